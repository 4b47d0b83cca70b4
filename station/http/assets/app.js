"use strict";
// The kiosk page. One screen at a time, each with one clear next step;
// Bahasa Indonesia first. Texts live in /i18n/<lang>.json. The page keeps
// nothing personal beyond the masked NIK, and wipes it on every reset.
(function () {
  // The station sets the idle timeout (/api/config); the warning comes at 3/4 of it.
  let IDLE_RESET_MS = 60000, IDLE_WARN_MS = 45000;
  const DONE_RESET_MS = 20000, POLL_MS = 700;
  // A scanner types a ticket and Enter; slow or wireless scanners pause
  // mid-ticket, so only a long silence drops what was typed.
  const SCAN_GAP_MS = 10000;
  const texts = {};
  let lang = "id";
  let screen = "start";
  let view = null;          // the session as the server last showed it
  let tracked = [];         // request ids being printed
  let lastError = null;     // {code, message_id, message_en}
  let scanBuffer = "", scanLast = 0, activeField = "nik";
  let cardMode = false, cardEnabled = false; // card mode: the NIK comes from the e-KTP
  let pollTimer = null, idleWarnTimer = null, idleResetTimer = null, doneTimer = null, availTimer = null;
  const $ = (s) => document.querySelector(s);

  function t(key) { return (texts[lang] && texts[lang][key]) || (texts.id && texts.id[key]) || key; }

  function applyTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
    renderDynamic();
  }

  function announce(text) { $("#status").textContent = text; }

  function show(name) {
    screen = name;
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== "screen-" + name; });
    const heading = document.querySelector("#screen-" + name + " h2");
    announce(heading ? heading.textContent : "");
    if (name === "pin") focusField(activeField);
    armIdle();
    if (name === "start") refreshAvailability();
  }

  async function call(method, path, body) {
    let res;
    try {
      res = await fetch(path, { method, headers: { "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
    } catch (e) {
      throw { code: "network", message_id: null, message_en: null };
    }
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) throw data.error || { code: "http_" + res.status };
    return data;
  }

  // ---- start screen: availability --------------------------------------
  async function refreshAvailability() {
    clearTimeout(availTimer);
    const list = $("#avail-list");
    try {
      const a = await call("GET", "/api/availability");
      list.replaceChildren(...a.documents.map((d) => {
        const li = document.createElement("li");
        const reasonKey = "avail_" + (d.ready ? "ready" : d.reason);
        li.className = d.ready ? "avail-yes" : "avail-no";
        li.dataset.type = d.type;
        li.textContent = d.title + " — " + (texts.id[reasonKey] ? t(reasonKey) : t("avail_other"));
        return li;
      }));
    } catch (e) {
      const li = document.createElement("li");
      li.textContent = t("avail_unknown");
      list.replaceChildren(li);
    }
    if (screen === "start") availTimer = setTimeout(refreshAvailability, 15000);
  }

  // ---- QR scanner: a keyboard that types fast and ends with Enter -------
  // A scanner types into whatever has focus: a focused button would be
  // pressed by the ticket's spaces and final Enter. On these screens the
  // keys are taken before any element sees them.
  document.addEventListener("keyup", (e) => {
    if (screen === "start" || screen === "ticket") e.preventDefault();
  }, true);
  document.addEventListener("keydown", (e) => {
    if (screen !== "start" && screen !== "ticket") return;
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    const now = Date.now();
    if (now - scanLast > SCAN_GAP_MS) scanBuffer = "";
    scanLast = now;
    if (e.key === "Enter") {
      e.preventDefault();
      // Keys pressed before the scan (a curious finger) come before the prefix.
      const at = scanBuffer.indexOf("TK1:");
      const text = at >= 0 ? scanBuffer.slice(at).trim() : "";
      scanBuffer = "";
      if (text) login("/api/login/ticket", { ticket: text });
      return;
    }
    if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) {
      scanBuffer += e.key;
      if (scanBuffer.length > 2048) scanBuffer = "";
      e.preventDefault();
    }
  }, true);

  // ---- NIK + PIN with the on-screen keypad ------------------------------
  function focusField(name) {
    activeField = name;
    $("#" + name).focus();
  }
  function updateCount() { $("#nik-count").textContent = $("#nik").value.length + "/16"; }
  $("#nik").addEventListener("focus", () => { activeField = "nik"; });
  $("#pin").addEventListener("focus", () => { activeField = "pin"; });
  ["nik", "pin"].forEach((id) => $("#" + id).addEventListener("input", (e) => {
    e.target.value = e.target.value.replace(/\D/g, "");
    updateCount();
  }));
  $("#keypad").addEventListener("click", (e) => {
    const key = e.target.dataset.key;
    if (!key) return;
    const f = $("#" + activeField);
    if (key === "del") f.value = f.value.slice(0, -1);
    else if (f.value.length < Number(f.maxLength)) f.value += key;
    updateCount();
    if (activeField === "nik" && f.value.length === 16) focusField("pin");
    else f.focus();
  });
  $("#pin-ok").addEventListener("click", () => {
    if (cardMode) login("/api/login/card", { pin: $("#pin").value });
    else login("/api/login/pin", { nik: $("#nik").value, pin: $("#pin").value });
    $("#pin").value = "";
  });

  // ---- e-KTP: wait for a tap, then the PIN as second factor --------------
  async function waitCard() {
    while (screen === "card") {
      let r;
      try { r = await call("POST", "/api/card/read"); } catch (e) { if (screen === "card") fail(e); return; }
      if (screen !== "card") return;
      if (r.status === "read") {
        cardMode = true;
        $("#card-subject").textContent = r.subject;
        $("#card-read").hidden = false;
        $("#nik-entry").hidden = true;
        activeField = "pin";
        show("pin");
        return;
      }
    }
  }

  // ---- login, documents, printing ----------------------------------------
  async function login(path, body) {
    $("#checking-text").textContent = t("checking");
    show("checking");
    try {
      view = await call("POST", path, body);
      $("#nik").value = ""; updateCount();
      show("docs");
      renderDocs();
    } catch (e) { fail(e); }
  }

  // A document can be sent to print until it is submitted.
  function printable(d) { return d.status === "approved" && (!d.print || d.print.state === "preview" || d.print.state === "failed"); }

  function renderDocs() {
    if (!view) return;
    $("#subject").textContent = view.subject;
    let ready = 0;
    $("#doc-list").replaceChildren(...view.documents.map((d) => {
      const li = document.createElement("li");
      li.dataset.request = d.request_id;
      const name = document.createElement("strong");
      name.textContent = d.title;
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = t("doc_" + d.status);
      li.append(name, state);
      if (printable(d)) {
        ready++;
        const b = document.createElement("button");
        b.type = "button"; b.className = "primary print"; b.textContent = t("print");
        b.addEventListener("click", () => startPrint([d.request_id]));
        li.append(b);
      }
      return li;
    }));
    $("#print-all").hidden = ready < 2;
  }

  // Printing goes through a preview: the pages shown are rendered from the
  // same PDF that will print.
  async function startPrint(ids) {
    tracked = ids;
    $("#checking-text").textContent = t("preview_preparing");
    show("checking");
    const figures = [];
    for (const id of ids) {
      let p;
      try { p = await call("POST", "/api/prepare", { request_id: id }); } catch (e) { return fail(e); }
      const title = view.documents.find((d) => d.request_id === id).title;
      for (let i = 0; i < (p.pages || 1); i++) {
        const fig = document.createElement("figure");
        const img = document.createElement("img");
        img.src = "/api/preview/" + encodeURIComponent(id) + "/" + i;
        img.alt = title + " — " + t("preview_page") + " " + (i + 1);
        const cap = document.createElement("figcaption");
        cap.textContent = img.alt;
        fig.append(img, cap);
        figures.push(fig);
      }
    }
    $("#preview-pages").replaceChildren(...figures);
    show("preview");
  }

  async function confirmPrint() {
    show("printing");
    renderProgress();
    for (const id of tracked) {
      try { await call("POST", "/api/print", { request_id: id }); } catch (e) { return fail(e); }
    }
    poll();
  }

  function renderProgress() {
    if (!view) return;
    $("#progress").replaceChildren(...view.documents.filter((d) => tracked.includes(d.request_id)).map((d) => {
      const li = document.createElement("li");
      li.dataset.request = d.request_id;
      const name = document.createElement("strong");
      name.textContent = d.title;
      const st = d.print ? d.print.state : "preparing";
      const state = document.createElement("span");
      state.className = "state " + st;
      state.textContent = t("step_" + st);
      li.append(name, state);
      return li;
    }));
  }

  async function poll() {
    clearTimeout(pollTimer);
    try { view = await call("GET", "/api/session"); } catch (e) { return fail(e); }
    renderProgress();
    const mine = view.documents.filter((d) => tracked.includes(d.request_id));
    // "held" ends the citizen's wait: an officer takes over, the token stays valid.
    const settled = mine.every((d) => d.print && ["printed", "failed", "in_doubt", "held"].includes(d.print.state));
    if (!settled) { pollTimer = setTimeout(poll, POLL_MS); return; }
    const bad = mine.find((d) => d.print.state !== "printed");
    if (bad) return fail(bad.print.error || { code: bad.print.state });
    const card = mine.some((d) => d.type !== "kk"), paper = mine.some((d) => d.type === "kk");
    $("#done-what").dataset.kinds = (card ? "card " : "") + (paper ? "paper" : "");
    show("done");
    renderDynamic();
    doneTimer = setTimeout(reset, DONE_RESET_MS);
  }

  function fail(e) {
    lastError = e;
    show("error");
    renderDynamic();
  }

  function renderDynamic() {
    if (screen === "docs") renderDocs();
    if (screen === "printing") renderProgress();
    if (screen === "done") {
      const kinds = $("#done-what").dataset.kinds || "";
      $("#done-what").textContent = [kinds.includes("card") ? t("done_card") : "", kinds.includes("paper") ? t("done_paper") : ""].join(" ").trim();
    }
    if (screen === "error" && lastError) {
      const msg = lang === "en" ? lastError.message_en : lastError.message_id;
      $("#error-text").textContent = msg || t("network_error");
      $("#error-code").textContent = lastError.code || "";
      // A wrong PIN keeps the NIK: the citizen retypes only the PIN.
      $("#error-retry").hidden = lastError.code !== "credentials_rejected" || $("#nik").value.length !== 16;
    }
    if (screen === "start") refreshAvailability();
  }

  // ---- reset and idle ----------------------------------------------------
  async function reset() {
    [pollTimer, doneTimer, idleWarnTimer, idleResetTimer].forEach(clearTimeout);
    const hadSession = view !== null;
    view = null; tracked = []; lastError = null; scanBuffer = "";
    $("#nik").value = ""; $("#pin").value = ""; updateCount();
    $("#subject").textContent = ""; $("#doc-list").replaceChildren(); $("#progress").replaceChildren(); $("#preview-pages").replaceChildren();
    $("#idle").hidden = true;
    activeField = "nik";
    cardMode = false;
    $("#card-read").hidden = true; $("#card-subject").textContent = ""; $("#nik-entry").hidden = false;
    show("start");
    if (hadSession) await call("POST", "/api/session/logout").catch(() => {});
  }

  function armIdle() {
    clearTimeout(idleWarnTimer); clearTimeout(idleResetTimer);
    $("#idle").hidden = true;
    // Nothing personal on the start screens; a print in progress is never abandoned.
    if (screen === "start" || screen === "ticket" || screen === "card" || screen === "printing" || screen === "checking") return;
    idleWarnTimer = setTimeout(() => { $("#idle").hidden = false; $("#idle-stay").focus(); }, IDLE_WARN_MS);
    idleResetTimer = setTimeout(reset, IDLE_RESET_MS);
  }
  ["pointerdown", "keydown"].forEach((ev) => document.addEventListener(ev, () => { if ($("#idle").hidden) armIdle(); }, true));
  $("#idle-stay").addEventListener("click", async () => {
    armIdle();
    if (view) { try { view = await call("GET", "/api/session"); } catch (e) { fail(e); } }
  });

  // A reload (or a crashed browser) resumes the server's session: the
  // prints in progress, or the document list; without one, the start.
  async function resume() {
    try { view = await call("GET", "/api/session"); } catch (e) { view = null; return reset(); }
    const busy = view.documents.filter((d) => d.print && ["preparing", "queued", "printing"].includes(d.print.state));
    if (busy.length) { tracked = busy.map((d) => d.request_id); show("printing"); return poll(); }
    show("docs");
    renderDocs();
  }

  // ---- wiring ------------------------------------------------------------
  document.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => (b.dataset.go === "start" ? reset() : show(b.dataset.go))));
  $("#way-ticket").addEventListener("click", () => show("ticket"));
  $("#way-pin").addEventListener("click", () => show("pin"));
  $("#way-card").addEventListener("click", () => { if (cardEnabled) { show("card"); waitCard(); } });
  $("#print-all").addEventListener("click", () => startPrint(view.documents.filter(printable).map((d) => d.request_id)));
  $("#finish").addEventListener("click", reset);
  $("#preview-ok").addEventListener("click", confirmPrint);
  $("#preview-back").addEventListener("click", async () => {
    // Not printing after all: give the documents back to the registry.
    for (const id of tracked) await call("POST", "/api/release", { request_id: id }).catch(() => {});
    tracked = [];
    $("#preview-pages").replaceChildren();
    try { view = await call("GET", "/api/session"); } catch (e) { return fail(e); }
    show("docs");
    renderDocs();
  });
  $("#done-ok").addEventListener("click", reset);
  $("#error-ok").addEventListener("click", reset);
  $("#error-retry").addEventListener("click", () => { lastError = null; activeField = "pin"; show("pin"); });
  $("#lang").addEventListener("click", () => { lang = lang === "id" ? "en" : "id"; applyTexts(); });

  const config = fetch("/api/config").then((r) => r.json()).then((c) => {
    if (c.idle_ms > 0) { IDLE_RESET_MS = c.idle_ms; IDLE_WARN_MS = Math.round(c.idle_ms * 0.75); }
    cardEnabled = !!c.card;
    $("#way-card").disabled = !cardEnabled;
    $("#way-card small").hidden = cardEnabled;
  }).catch(() => {});
  Promise.all([config, ...["id", "en"].map((l) => fetch("/i18n/" + l + ".json").then((r) => r.json()).then((j) => { texts[l] = j; }))])
    .then(async () => {
      applyTexts();
      await resume();
      document.body.dataset.ready = "true"; // listening: keys typed from now on are read
    })
    .catch(() => { document.body.textContent = "Anjungan: texts could not be loaded."; });
})();
