"use strict";
// The kiosk's guidance around the screens app.js shows: the step
// indicator, the pictures placed after this kiosk model's layout, larger
// text (Aa) for the visit, and Bantuan (help) with a call for an officer.
// It follows app.js by its events: kiosk:screen at every screen shown,
// kiosk:reset when a visit ends.
(function () {
  const $ = (s) => document.querySelector(s);
  const k = window.kiosk;

  // Where each screen is in the citizen's flow. An error or the checking
  // screen stays on the step it happened in.
  const STEP = {
    start: "signin", ticket: "signin", card: "signin", "card-again": "signin", pin: "signin", finger: "signin",
    docs: "check", preview: "check", printing: "print", wait: "print", done: "collect", left: "collect", takecard: "collect",
  };
  let step = "signin";
  function markStep(screen) {
    step = STEP[screen] || step;
    document.querySelectorAll("#steps li").forEach((li) => {
      if (li.dataset.step === step) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
  }

  // The pictures are drawn with their part on the kiosk's right; one on
  // the left is mirrored. Parts: reader, scanner, card-slot, paper-slot.
  function placePictures() {
    const layout = k.config.layout || {};
    const side = { reader: layout.reader, scanner: layout.scanner, "card-slot": layout.card_slot, "paper-slot": layout.paper_slot };
    document.querySelectorAll("img.pic[data-part]").forEach((img) => {
      img.classList.toggle("mirror", side[img.dataset.part] === "left");
    });
  }

  // ---- Aa: larger text and higher contrast, for this visit only ----------
  function bigger(on) {
    document.documentElement.classList.toggle("bigger", on);
    $("#btn-bigger").setAttribute("aria-pressed", on ? "true" : "false");
  }
  $("#btn-bigger").addEventListener("click", () => bigger($("#btn-bigger").getAttribute("aria-pressed") !== "true"));

  // ---- Bantuan: the current step in pictures, and an officer on call ----
  function openHelp() {
    const screen = k.screen();
    const text = $("#help-text");
    text.dataset.t = "help_" + step;
    text.textContent = k.t(text.dataset.t);
    // The screen's own pictures when it has some, else the step's.
    let pics = [...document.querySelectorAll("#screen-" + screen + " img.pic")];
    if (!pics.length && HELP_PICS[step]) pics = [...document.querySelectorAll(HELP_PICS[step])];
    $("#help-pics").replaceChildren(...pics.map((p) => p.cloneNode(true)));
    $("#help-pics").querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
    $("#help-call").hidden = !k.signedIn();
    $("#help-called").hidden = true;
    $("#help").hidden = false;
    $("#help-close").focus();
  }
  const HELP_PICS = {
    signin: "#screen-card img.pic, #screen-ticket img.pic",
    print: "#printing-pics img.pic:not([hidden])",
    collect: "#done-pics img.pic:not([hidden]), #screen-takecard img.pic",
  };
  function closeHelp() {
    if ($("#help").hidden) return;
    $("#help").hidden = true;
    $("#btn-help").focus();
  }
  $("#btn-help").addEventListener("click", openHelp);
  $("#help-close").addEventListener("click", closeHelp);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeHelp(); });
  $("#help-call").addEventListener("click", async () => {
    try { await k.call("POST", "/api/call-officer"); } catch (e) { $("#help-call").hidden = true; return; }
    $("#help-called").hidden = false;
  });

  document.addEventListener("kiosk:screen", (e) => {
    const was = step;
    markStep(e.detail.screen);
    if (step !== was) closeHelp(); // it explained a step that is over
    placePictures();
  });
  document.addEventListener("kiosk:reset", () => {
    bigger(false);
    $("#help").hidden = true;
  });
})();
