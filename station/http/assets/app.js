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
  // The shortest text taken for a scan of another QR code; shorter is keys pressed by hand.
  const MIN_SCAN = 8;
  const texts = {};
  let lang = "id";
  let screen = "start";
  let view = null;          // the session as the server last showed it
  let tracked = [];         // request ids being printed
  let lastError = null;     // {code, message_id, message_en}
  let avail = null;         // document type → {ready, reason}, from /api/availability
  let closedNotice = null;  // {message_id, message_en} outside the opening hours, from /api/availability
  let waitRef = "", waitDoc = "", leftDoc = "";
  let scanBuffer = "", scanLast = 0, activeField = "nik";
  let cardMode = false, cardEnabled = false; // card mode: the NIK comes from the e-KTP
  let fingerEnabled = false; // the station offers a fingerprint instead of the PIN after a card read
  let cardUsed = false;      // this visit tapped a card: remind to take it at the end
  let pollTimer = null, idleWarnTimer = null, idleResetTimer = null, doneTimer = null, availTimer = null;
  // One event stream at a time: the session's (prints) or the card screen's.
  let stream = null, cardReadID = "", countdownTimer = null, sending = false;
  const deadlines = {};     // request id → Date.now() when printerd expects it done
  const seen = {};          // request id → the steps shown so far, in order
  const $ = (s) => document.querySelector(s);

  // titleOf is a document's name in the chosen language, from its spec.
  function titleOf(d) { return (lang === "en" && d.title_en) || d.title; }
  function t(key) { return (texts[lang] && texts[lang][key]) || (texts.id && texts.id[key]) || key; }
  // tn is t with {n} filled in, and the key's "_one" form for 1 ("1 second", not "1 seconds").
  function tn(key, n) { return (Number(n) === 1 && texts.id && texts.id[key + "_one"] ? t(key + "_one") : t(key)).replace("{n}", n); }
  // The reason a document cannot print, in words; a keyword the page has no words for is "a problem".
  function reasonText(reason) { const k = "avail_" + reason; return texts.id && texts.id[k] ? t(k) : t("avail_other"); }

  function applyTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
    document.querySelectorAll("[data-t-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.tLabel)); });
    document.querySelectorAll("[data-t-alt]").forEach((el) => { el.alt = t(el.dataset.tAlt); });
    renderDynamic();
  }

  function announce(text) { $("#status").textContent = text; }

  function show(name) {
    if (name !== "preview") closeFull(false);
    screen = name;
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== "screen-" + name; });
    const heading = document.querySelector("#screen-" + name + " h2");
    announce(heading ? heading.textContent : "");
    if (name === "pin") focusField(activeField);
    armIdle();
    if (name === "start") refreshAvailability();
    shown(name);
  }

  // shown tells the page's other parts (guide.js: steps, help; voice.js:
  // spoken guidance) that a screen shows, once the code that showed it has
  // filled in its texts (an error's message comes after show("error")).
  function shown(name) {
    setTimeout(() => {
      if (screen !== name) return; // already gone: the next screen speaks for itself
      tell(name === "error" && lastError ? lastError.code || "" : "");
    }, 0);
  }
  // tell says so for the screen shown, with the code of an error message
  // it shows now ("" for none): the error screen's, or one within a
  // screen (a card that is not an e-KTP, a NIK too short, a finger that
  // does not match).
  function tell(code) {
    const detail = { screen, lang };
    if (code) detail.code = code;
    document.dispatchEvent(new CustomEvent("kiosk:screen", { detail }));
  }

  // The logout a reset sends must reach the server before the next login:
  // its answer clears the session cookie, and arriving after a login's
  // answer it would clear the new visitor's session.
  let loggingOut = Promise.resolve();
  let previewGen = 0; // the preview on screen; an older one's pages do not enable its button
  async function call(method, path, body) {
    if (path.startsWith("/api/login/")) await loggingOut;
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
  // loadAvailability asks which documents can print now; null when unknown.
  async function loadAvailability() {
    try {
      const a = await call("GET", "/api/availability");
      avail = {};
      a.documents.forEach((d) => { avail[d.type] = d; });
      closedNotice = a.closed || null;
      return a.documents;
    } catch (e) { avail = null; return null; }
  }
  async function refreshAvailability() {
    clearTimeout(availTimer);
    const list = $("#avail-list");
    const docs = await loadAvailability();
    if (docs) {
      list.replaceChildren(...docs.map((d) => {
        const li = document.createElement("li");
        li.className = d.ready ? "avail-yes" : "avail-no";
        li.dataset.type = d.type;
        li.textContent = titleOf(d) + " — " + (d.ready ? t("avail_ready") : reasonText(d.reason));
        return li;
      }));
    } else {
      const li = document.createElement("li");
      li.textContent = t("avail_unknown");
      list.replaceChildren(li);
    }
    // Nothing can print: the kiosk says so before anyone signs in.
    $("#out-of-service").hidden = !!closedNotice || !docs || docs.some((d) => d.ready);
    renderClosed();
    if (screen === "start") availTimer = setTimeout(refreshAvailability, 15000);
  }
  // canPrintNow: false only when the kiosk knows the document's printer cannot take it now.
  const canPrintNow = (d) => !avail || !avail[d.type] || avail[d.type].ready;

  // ---- QR scanner: a keyboard that types fast and ends with Enter -------
  // A scanner types into whatever has focus: a focused button would be
  // pressed by the ticket's spaces and final Enter. On these screens the
  // keys are taken before any element sees them.
  // The paste field of the ticket screen is the one exception: what is
  // typed or pasted there stays there until Enter or Lanjut.
  const inPasteField = (e) => e.target && e.target.id === "ticket-paste";
  document.addEventListener("keyup", (e) => {
    if ((screen === "start" || screen === "ticket") && e.key !== "Tab" && !inPasteField(e)) e.preventDefault();
  }, true);
  document.addEventListener("keydown", (e) => {
    if (screen !== "start" && screen !== "ticket") return;
    if (e.key === "Tab" || inPasteField(e)) return; // keyboard users move between the buttons; scanners end with Enter
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    const now = Date.now();
    if (now - scanLast > SCAN_GAP_MS) scanBuffer = "";
    scanLast = now;
    if (e.key === "Enter") {
      e.preventDefault();
      // Keys pressed before the scan (a curious finger) come before the prefix.
      const at = scanBuffer.indexOf("TK1:");
      const text = at >= 0 ? scanBuffer.slice(at).trim() : scanBuffer.trim();
      scanBuffer = "";
      // Another QR code is answered too (not_a_ticket: what to scan
      // instead); a few keys and Enter from a curious finger are not.
      if (at >= 0 || text.length >= MIN_SCAN) login("/api/login/ticket", { ticket: text });
      return;
    }
    if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) {
      scanBuffer += e.key;
      if (scanBuffer.length > 2048) scanBuffer = "";
      e.preventDefault();
    }
  }, true);

  // A ticket pasted as text (README: "paste a ticket"): in the field of the
  // ticket screen, or anywhere on the start and ticket screens.
  function loginPasted(text) {
    const at = text.indexOf("TK1:");
    text = (at >= 0 ? text.slice(at) : text).trim();
    if (!text) { $("#ticket-paste").placeholder = t("ticket_paste_empty"); return; }
    $("#ticket-paste").value = "";
    login("/api/login/ticket", { ticket: text });
  }
  $("#ticket-paste-ok").addEventListener("click", () => loginPasted($("#ticket-paste").value));
  $("#ticket-paste").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); loginPasted(e.target.value); } });
  document.addEventListener("paste", (e) => {
    if ((screen !== "start" && screen !== "ticket") || inPasteField(e)) return;
    e.preventDefault();
    loginPasted((e.clipboardData && e.clipboardData.getData("text")) || "");
  });

  // ---- NIK + PIN with the on-screen keypad ------------------------------
  function focusField(name) {
    activeField = name;
    $("#" + name).focus();
  }
  // What is wrong with a field, checked as it is typed and kept with the
  // input: {key, n} for a short NIK or PIN, or the server's error.
  const problems = { nik: null, pin: null };
  const WANT = { nik: 16, pin: 6 };
  function check(name, final) {
    const n = WANT[name] - $("#" + name).value.length;
    const p = problems[name];
    if (n <= 0) { if (p && p.key) problems[name] = null; }
    else if (final || (p && p.key)) problems[name] = { key: name + "_short", n };
    renderProblems();
    return n <= 0;
  }
  function renderProblems() {
    ["nik", "pin"].forEach((name) => {
      const p = problems[name];
      $("#" + name + "-error").textContent = !p ? "" : p.key ? tn(p.key, p.n) : (lang === "en" ? p.message_en : p.message_id) || "";
      $("#" + name).setAttribute("aria-invalid", p ? "true" : "false");
    });
  }
  function updateCount() { $("#nik-count").textContent = $("#nik").value.length + "/16"; if (!cardMode) check("nik", false); check("pin", false); }
  $("#nik").addEventListener("focus", () => { activeField = "nik"; });
  // Leaving the NIK short for the PIN says at once that digits are missing.
  $("#pin").addEventListener("focus", () => { activeField = "pin"; if (!cardMode && $("#nik").value.length) check("nik", true); });
  ["nik", "pin"].forEach((id) => $("#" + id).addEventListener("input", (e) => {
    e.target.value = e.target.value.replace(/\D/g, "");
    if (problems[id] && !problems[id].key) problems[id] = null; // the server's objection was to what stood there before
    updateCount();
  }));
  $("#keypad").addEventListener("click", (e) => {
    const key = e.target.dataset.key;
    if (!key) return;
    const f = $("#" + activeField);
    if (key === "del") f.value = f.value.slice(0, -1);
    else if (f.value.length < Number(f.maxLength)) f.value += key;
    if (problems[activeField] && !problems[activeField].key) problems[activeField] = null;
    updateCount();
    if (activeField === "nik" && f.value.length === 16) focusField("pin");
    else f.focus();
  });
  $("#pin-ok").addEventListener("click", () => {
    // Checked here, not by the server: the input stays as typed and the
    // message says what is missing.
    const nikOK = cardMode || check("nik", true), pinOK = check("pin", true);
    if (!nikOK) { tell("nik_short"); return focusField("nik"); }
    if (!pinOK) { tell("pin_short"); return focusField("pin"); }
    if (cardMode) login("/api/login/card", { pin: $("#pin").value, read_id: cardReadID });
    else login("/api/login/pin", { nik: $("#nik").value, pin: $("#pin").value });
    $("#pin").value = "";
  });

  // ---- e-KTP: wait for a tap, then the PIN as second factor --------------
  function closeStream() { if (stream) { stream.close(); stream = null; } }
  const onCardScreen = () => screen === "card" || screen === "card-again";

  // The card screens follow the reader live over /api/card/events; the
  // stream also brings the read. Without a stream the page long-polls.
  function waitCard() {
    closeStream();
    showCardState({ status: "waiting" });
    if (!window.EventSource) return pollCard();
    const es = new EventSource("/api/card/events");
    stream = es;
    es.addEventListener("card", (m) => {
      if (stream !== es) return;
      const c = JSON.parse(m.data);
      if (c.status === "superseded") { closeStream(); return; }
      if (c.status === "read" && c.read_id) { closeStream(); return cardRead(c.subject, c.read_id); }
      showCardState(c);
    });
    es.onerror = () => {
      if (stream !== es) return;
      closeStream();
      if (onCardScreen()) pollCard();
    };
  }

  async function pollCard() {
    while (onCardScreen()) {
      let r;
      try { r = await call("POST", "/api/card/read"); } catch (e) { if (onCardScreen()) showCardState({ status: "failed", error: e }); await new Promise((ok) => setTimeout(ok, 2000)); continue; }
      if (!onCardScreen()) return;
      if (r.status === "read") return cardRead(r.subject, "");
    }
  }

  function cardRead(subject, readID) {
    if (!onCardScreen()) return;
    cardMode = cardUsed = true;
    cardReadID = readID;
    $("#card-subject").textContent = subject;
    $("#card-read").hidden = false;
    $("#nik-entry").hidden = true;
    $("#use-finger").hidden = !fingerEnabled;
    activeField = "pin";
    show("pin");
  }

  // ---- e-KTP: a fingerprint instead of the PIN ----------------------------
  // Each request waits up to 10 s for a finger; the page asks again until
  // a match, the last attempt, or the citizen goes back.
  async function waitFinger() {
    const body = { read_id: cardReadID };
    $("#finger-state").textContent = t("finger_waiting");
    $("#finger-state").className = "card-state ok";
    while (screen === "finger") {
      let r;
      try { r = await call("POST", "/api/card/fingerprint", body); } catch (e) {
        if (screen !== "finger") return;
        if (e.code === "fingerprint_no_match" || e.code === "fingerprint_unreadable") {
          $("#finger-state").textContent = e.code === "fingerprint_no_match" ? tn("finger_no_match", e.attempts_left) : t("finger_unreadable");
          $("#finger-state").className = "card-state bad";
          tell(e.code);
          continue;
        }
        return fail(e);
      }
      if (screen !== "finger") return;
      if (r.status === "waiting") continue;
      view = r;
      show("docs");
      return renderDocs();
    }
  }
  $("#use-finger").addEventListener("click", () => { show("finger"); waitFinger(); });
  $("#finger-pin").addEventListener("click", () => {
    call("DELETE", "/api/card/fingerprint", { read_id: cardReadID }).catch(() => {});
    activeField = "pin";
    show("pin");
  });

  // The reader's state in plain words; a card lifted too early gets its own screen.
  let cardState = { status: "waiting" };
  function showCardState(c) {
    const news = c.status !== cardState.status;
    cardState = c;
    if (c.status === "removed_early") { if (screen !== "card-again") show("card-again"); }
    else if (screen === "card-again") show("card");
    const el = $("#card-state");
    el.dataset.status = c.status;
    const key = "card_state_" + c.status;
    let text = texts.id && texts.id[key] ? t(key) : "";
    if (c.status === "failed" && c.error) text = (lang === "en" ? c.error.message_en : c.error.message_id) || t("card_state_failed");
    el.textContent = text || t("card_state_waiting");
    const bad = ["removed_early", "not_ektp", "failed", "reader_missing", "service_down", "set_aside"].includes(c.status);
    el.className = "card-state " + (bad ? "bad" : "ok");
    // A card lifted early has its own screen, which tells itself.
    if (news && bad && c.status !== "removed_early") tell("card_" + c.status);
  }

  // ---- login, documents, printing ----------------------------------------
  async function login(path, body) {
    $("#checking-text").textContent = t("checking");
    show("checking");
    try {
      view = await call("POST", path, body);
      $("#nik").value = ""; updateCount();
      await loadAvailability();
      show("docs");
      renderDocs();
    } catch (e) {
      // A NIK the server finds invalid goes back to its field, as typed.
      if (e.code === "nik_invalid" && path === "/api/login/pin") {
        show("pin");
        focusField("nik");
        problems.nik = e; // after the focus, which checks the length
        tell(e.code);
        return renderProblems();
      }
      fail(e);
    }
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
      name.textContent = titleOf(d);
      const state = document.createElement("span");
      state.className = "state";
      const ps = d.print && d.print.state;
      if (ps === "printed" || ps === "held" || ps === "in_doubt" || ps === "resumable") state.textContent = t("step_" + ps) + (d.print.ref ? " — " + t("step_ref") + " " + d.print.ref : "");
      else if (printable(d) && !canPrintNow(d)) { state.className = "state not-now"; state.textContent = t("avail_not_now") + " — " + reasonText(avail[d.type].reason); }
      else state.textContent = t("doc_" + d.status);
      li.append(name, state);
      if (ps === "resumable") {
        // A print of this citizen's last visit, held when they left: the
        // same job, already checked by them, goes on without a preview.
        const b = document.createElement("button");
        b.type = "button"; b.className = "primary print resume"; b.textContent = t("resume");
        b.addEventListener("click", () => { tracked = [d.request_id]; confirmPrint(); });
        li.append(b);
      } else if (printable(d) && canPrintNow(d)) {
        ready++;
        const b = document.createElement("button");
        b.type = "button"; b.className = "primary print"; b.textContent = t("print");
        b.addEventListener("click", () => startPrint([d.request_id]));
        li.append(b);
      }
      return li;
    }));
    $("#print-all").hidden = ready < 2;
    $("#print-all").dataset.count = ready;
  }

  // Printing goes through a preview: the pages shown are rendered from the
  // same PDF that will print.
  async function startPrint(ids) {
    tracked = ids;
    $("#checking-text").textContent = t("preview_preparing");
    show("checking");
    // Again before the preview: a printer may have stopped since the list was shown.
    await loadAvailability();
    const notNow = view.documents.filter((d) => ids.includes(d.request_id) && !canPrintNow(d));
    if (notNow.length) { show("docs"); renderDocs(); return; }
    const figures = [];
    let masked = false;
    for (const id of ids) {
      let p;
      try { p = await call("POST", "/api/prepare", { request_id: id }); } catch (e) { return fail(e); }
      const doc = view.documents.find((d) => d.request_id === id);
      const title = titleOf(doc);
      const card = /card/.test((doc && doc.media) || "");
      for (let i = 0; i < (p.pages || 1); i++) {
        const fig = document.createElement("figure");
        const sheet = document.createElement("div");
        sheet.className = "sheet";
        const img = document.createElement("img");
        img.src = "/api/preview/" + encodeURIComponent(id) + "/" + i;
        img.alt = title + " — " + t("preview_page") + " " + (i + 1);
        sheet.append(img);
        if (card) { fig.classList.add("card"); img.classList.add("card-page"); }
        // The citizen's name, covered from people nearby; "Lihat" shows it while held.
        (p.masks || []).filter((m) => m.page === i).forEach((m) => {
          const cover = document.createElement("div");
          cover.className = "mask";
          cover.setAttribute("aria-hidden", "true");
          Object.assign(cover.style, { left: m.x * 100 + "%", top: m.y * 100 + "%", width: m.w * 100 + "%", height: m.h * 100 + "%" });
          sheet.append(cover);
          masked = true;
        });
        const cap = document.createElement("figcaption");
        cap.textContent = img.alt;
        // Zoom: the page at twice the width, panned by dragging or
        // scrolling inside its frame, so a KK's small print can be read
        // on a portrait screen.
        // A card opens in its full view instead: on a landscape screen the
        // preview beside the words cannot show it at 80 % of the width.
        const zoom = document.createElement("button");
        zoom.type = "button"; zoom.className = "zoom"; zoom.dataset.t = "preview_zoom"; zoom.textContent = t("preview_zoom");
        zoom.setAttribute("aria-pressed", "false");
        if (card) {
          zoom.setAttribute("aria-haspopup", "dialog");
          zoom.addEventListener("click", () => openFull(sheet, zoom));
          sheet.addEventListener("click", () => openFull(sheet, zoom));
        } else zoom.addEventListener("click", () => {
          const on = fig.classList.toggle("zoomed");
          zoom.setAttribute("aria-pressed", on ? "true" : "false");
          zoom.dataset.t = on ? "preview_unzoom" : "preview_zoom";
          zoom.textContent = t(zoom.dataset.t);
        });
        fig.append(sheet, cap, zoom);
        figures.push(fig);
      }
    }
    $("#preview-pages").replaceChildren(...figures);
    $("#preview-pages").classList.remove("revealed");
    $("#reveal").hidden = !masked;
    // The citizen confirms what they have seen: the button waits for the
    // pages (loaded or failed), and a tap cannot land on a button the
    // arriving pages are still moving.
    const ok = $("#preview-ok"), gen = ++previewGen;
    ok.disabled = true;
    Promise.all(figures.map((f) => f.querySelector("img").decode().catch(() => {})))
      .then(() => { if (gen === previewGen) ok.disabled = false; });
    show("preview");
  }

  // The card's full view: a copy of the sheet (the page and its masks)
  // over the screen below the top bar, which keeps help, sound and
  // language at hand. A tap on the card enlarges it more, panned by
  // dragging; Tutup, in the primary action's corner, goes back.
  let fullFrom = null; // the button that opened the full view, focused again after
  function openFull(sheet, from) {
    const fv = $("#fullview");
    const copy = sheet.cloneNode(true);
    copy.addEventListener("click", () => fv.classList.toggle("zoomed"));
    $("#fullview-frame").replaceChildren(copy);
    $("#fullview-reveal").hidden = !copy.querySelector(".mask");
    fv.classList.remove("zoomed");
    document.body.classList.add("full");
    fv.hidden = false;
    placeFull();
    fullFrom = from;
    $("#fullview-close").focus();
    armIdle();
    const detail = { screen: "fullview", lang };
    document.dispatchEvent(new CustomEvent("kiosk:screen", { detail }));
  }
  function closeFull(speak) {
    const fv = $("#fullview");
    if (fv.hidden) return;
    fv.hidden = true;
    document.body.classList.remove("full");
    $("#fullview-frame").replaceChildren();
    if (fullFrom) fullFrom.focus();
    fullFrom = null;
    if (speak) tell("");
  }
  // Just below the top bar, whose height follows the screen and the Aa size.
  function placeFull() {
    const top = $(".top").getBoundingClientRect().bottom, fv = $("#fullview");
    fv.style.top = top + "px";
    fv.style.setProperty("--fv-height", innerHeight - top + "px");
  }
  addEventListener("resize", placeFull);
  new ResizeObserver(placeFull).observe($(".top"));
  $("#fullview-close").addEventListener("click", () => closeFull(true));
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeFull(true); });

  async function confirmPrint() {
    tracked.forEach((id) => { delete seen[id]; });
    show("printing");
    renderProgress();
    follow(); // subscribed before the first print is sent: no step is missed
    sending = true;
    for (const id of tracked) {
      try { await call("POST", "/api/print", { request_id: id }); } catch (e) { sending = false; closeStream(); return fail(e); }
    }
    sending = false;
    if (view && stream) progressed();
  }

  // follow gets the session's changes pushed over /api/events; when the
  // stream fails, the page polls /api/session instead.
  function follow() {
    closeStream();
    if (!window.EventSource) return poll();
    const es = new EventSource("/api/events");
    stream = es;
    es.addEventListener("session", (m) => {
      if (stream !== es) return;
      view = JSON.parse(m.data);
      progressed();
    });
    es.addEventListener("ended", () => {
      if (stream !== es) return;
      closeStream();
      if (screen === "printing" || screen === "wait") fail({ code: "session_expired" });
    });
    es.onerror = () => {
      if (stream !== es) return;
      closeStream();
      if (screen === "printing" || screen === "wait") poll();
    };
  }

  // The four steps a citizen sees; other states (held, failed) replace them.
  const STEPS = ["preparing", "queued", "printing", "printed"];
  function renderProgress() {
    if (!view) return;
    $("#progress").replaceChildren(...view.documents.filter((d) => tracked.includes(d.request_id)).map((d) => {
      const li = document.createElement("li");
      li.dataset.request = d.request_id;
      const st = d.print ? (d.print.state === "preview" ? "preparing" : d.print.state) : "preparing";
      const steps = seen[d.request_id] || (seen[d.request_id] = []);
      if (steps[steps.length - 1] !== st) steps.push(st);
      li.dataset.seen = steps.join(" ");
      const name = document.createElement("strong");
      name.textContent = titleOf(d);
      const state = document.createElement("span");
      state.className = "state " + st;
      state.textContent = t("step_" + st);
      const at = STEPS.indexOf(st);
      const ol = document.createElement("ol");
      ol.className = "steps";
      if (at >= 0) ol.append(...STEPS.map((s, i) => {
        const step = document.createElement("li");
        step.className = i < at ? "step done" : i === at ? "step current" : "step";
        if (i === at) step.setAttribute("aria-current", "step");
        step.textContent = t("step_" + s);
        return step;
      }));
      const left = document.createElement("span");
      left.className = "left";
      if (d.print && d.print.remaining_ms > 0 && st === "printing") deadlines[d.request_id] = Date.now() + d.print.remaining_ms;
      else if (st !== "printing") delete deadlines[d.request_id];
      const ref = document.createElement("span");
      ref.className = "ref-small";
      ref.textContent = d.print && d.print.ref ? t("step_ref") + " " + d.print.ref : "";
      li.append(name, state, ref, ol, left);
      return li;
    }));
    // Where it will come out: the card slot, the paper slot (a KK), or both.
    const kinds = view.documents.filter((d) => tracked.includes(d.request_id)).map((d) => (d.type === "kk" ? "paper-slot" : "card-slot"));
    document.querySelectorAll("#printing-pics img.pic").forEach((img) => { img.hidden = !kinds.includes(img.dataset.part); });
    tickCountdown();
  }

  // "about N seconds left", counting down from printerd's estimate; nothing when unknown or overdue.
  function tickCountdown() {
    clearTimeout(countdownTimer);
    let any = false;
    document.querySelectorAll("#progress > li").forEach((li) => {
      const until = deadlines[li.dataset.request];
      const secs = until ? Math.ceil((until - Date.now()) / 1000) : 0;
      li.querySelector(".left").textContent = secs > 0 ? tn("time_left", secs) : "";
      if (secs > 0) any = true;
    });
    if (any && screen === "printing") countdownTimer = setTimeout(tickCountdown, 1000);
  }

  async function poll() {
    clearTimeout(pollTimer);
    try { view = await call("GET", "/api/session"); } catch (e) { return fail(e); }
    if (!progressed()) pollTimer = setTimeout(poll, POLL_MS);
  }

  // progressed shows the latest view of the prints and, once every one has
  // settled, the end of the wait; it reports whether they have.
  // A held print (jam, cover open, no blanks) keeps the citizen on the
  // waiting screen: the stream stays open, and the print goes on to done
  // once an officer has cleared the printer.
  function progressed() {
    if (screen !== "printing" && screen !== "wait") return true;
    if (screen === "printing") renderProgress();
    if (sending) return false; // an earlier attempt's state is not this one's outcome
    const mine = view.documents.filter((d) => tracked.includes(d.request_id));
    const held = mine.find((d) => d.print && d.print.state === "held");
    if (held) { showWait(held); return false; }
    const settled = mine.every((d) => d.print && ["printed", "failed", "in_doubt"].includes(d.print.state));
    if (!settled) { if (screen === "wait") { show("printing"); renderProgress(); } return false; }
    closeStream();
    const bad = mine.find((d) => d.print.state !== "printed");
    if (bad) { fail(Object.assign({}, bad.print.error || { code: bad.print.state }, { ref: bad.print.ref })); return true; }
    showDone(mine);
    return true;
  }

  function showWait(d) {
    waitRef = d.print.ref || ""; waitDoc = titleOf(d);
    if (screen !== "wait") { $("#wait-called").hidden = true; show("wait"); }
    renderDynamic();
  }

  // The done screen says where to take what printed and what is still to
  // print in this session; the session ends only when nothing is left or
  // the citizen finishes.
  function showDone(mine) {
    const card = mine.some((d) => d.media !== "iso_a4_210x297mm"), paper = mine.some((d) => d.media === "iso_a4_210x297mm");
    $("#done-what").dataset.kinds = (card ? "card " : "") + (paper ? "paper" : "");
    // The paper documents by name, in both languages: the words follow a language switch.
    $("#done-what").dataset.paper = JSON.stringify(mine.filter((d) => d.media === "iso_a4_210x297mm").map((d) => ({ title: d.title, title_en: d.title_en })));
    $("#done-refs").dataset.refs = mine.map((d) => d.print.ref).filter(Boolean).join(", ");
    show("done");
    renderDynamic();
    $("#done-takecard").hidden = true;
    cardLeft().then((on) => { if (screen === "done") $("#done-takecard").hidden = !on; });
    const left = view.documents.filter(printable);
    if (!left.length) doneTimer = setTimeout(reset, DONE_RESET_MS);
  }

  function fail(e) {
    closeStream();
    lastError = e;
    show("error");
    renderDynamic();
  }

  // Outside the opening hours the start screen says so, and when it opens
  // again, before anyone signs in.
  function renderClosed() {
    const el = $("#closed");
    el.hidden = !closedNotice;
    el.textContent = closedNotice ? (lang === "en" ? closedNotice.message_en : closedNotice.message_id) : "";
  }

  function renderDynamic() {
    renderClosed();
    if (screen === "docs") renderDocs();
    if (screen === "printing") renderProgress();
    if (screen === "done") {
      const kinds = $("#done-what").dataset.kinds || "";
      const paperDocs = JSON.parse($("#done-what").dataset.paper || "[]").map(titleOf).join(", ");
      $("#done-what").textContent = [kinds.includes("card") ? t("done_card") : "", kinds.includes("paper") ? t("done_paper").replace("{doc}", paperDocs) : ""].join(" ").trim();
      $("#pic-card-out").hidden = !kinds.includes("card");
      $("#pic-paper-out").hidden = !kinds.includes("paper");
      const refs = $("#done-refs").dataset.refs || "";
      $("#done-refs").textContent = refs ? t("ref_label") + " " + refs : "";
      const left = view ? view.documents.filter(printable) : [];
      $("#done-more").hidden = $("#done-next").hidden = !left.length;
      $("#done-thanks").hidden = left.length > 0;
      $("#done-left").replaceChildren(...left.map((d) => {
        const li = document.createElement("li");
        li.dataset.request = d.request_id;
        li.textContent = titleOf(d) + (canPrintNow(d) ? "" : " — " + t("avail_not_now") + " (" + reasonText(avail[d.type].reason) + ")");
        return li;
      }));
    }
    if (screen === "wait") {
      $("#wait-what").textContent = t("wait_held").replace("{doc}", waitDoc);
      $("#wait-ref").textContent = waitRef;
    }
    if (screen === "left") {
      $("#left-text").textContent = t("left_text").replace("{doc}", leftDoc);
      $("#left-ref").textContent = waitRef;
    }
    if (screen === "error" && lastError) {
      const msg = lang === "en" ? lastError.message_en : lastError.message_id;
      $("#error-text").textContent = msg || t("network_error");
      $("#error-code").textContent = lastError.code || "";
      $("#error-ref").textContent = lastError.ref || "";
      $("#error-ref-line").hidden = !lastError.ref;
      // A wrong PIN keeps the NIK: the citizen retypes only the PIN.
      $("#error-retry").hidden = lastError.code !== "credentials_rejected" || $("#nik").value.length !== 16;
    }
    if (screen === "start") refreshAvailability();
    if (screen === "pin") renderProblems();
    if (onCardScreen()) showCardState(cardState);
  }

  // ---- reset and idle ----------------------------------------------------
  async function reset() {
    [pollTimer, doneTimer, idleWarnTimer, idleResetTimer, countdownTimer].forEach(clearTimeout);
    closeStream();
    cardReadID = "";
    Object.keys(deadlines).forEach((k) => delete deadlines[k]);
    Object.keys(seen).forEach((k) => delete seen[k]);
    const hadSession = view !== null;
    view = null; tracked = []; lastError = null; scanBuffer = "";
    waitRef = ""; waitDoc = ""; leftDoc = "";
    $("#error-text").textContent = ""; $("#error-code").textContent = ""; $("#error-ref").textContent = "";
    $("#wait-called").hidden = true; $("#done-left").replaceChildren();
    // Each visitor starts in Bahasa Indonesia, whatever the one before chose.
    if (lang !== "id") { lang = "id"; applyTexts(); }
    $("#nik").value = ""; $("#pin").value = ""; $("#ticket-paste").value = "";
    problems.nik = problems.pin = null;
    updateCount();
    $("#subject").textContent = ""; $("#doc-list").replaceChildren(); $("#progress").replaceChildren(); $("#preview-pages").replaceChildren();
    closeFull(false);
    $("#idle").hidden = true;
    activeField = "nik";
    cardMode = false;
    $("#card-read").hidden = true; $("#card-subject").textContent = ""; $("#nik-entry").hidden = false;
    $("#use-finger").hidden = true;
    if (screen === "finger") call("DELETE", "/api/card/fingerprint", { read_id: cardReadID }).catch(() => {});
    // The visit's own choices (larger text, the help shown) end with it.
    document.dispatchEvent(new CustomEvent("kiosk:reset"));
    show("start");
    // Always, session or not: the server sets aside a card left on the
    // reader, so it cannot log the next visitor in.
    loggingOut = call("POST", "/api/session/logout").catch(() => {});
    await loggingOut;
    if (hadSession || cardUsed) remindCard();
    cardUsed = false;
  }

  // "Take your e-KTP": shown at the end of a visit while a card lies on
  // the reader, until it is lifted (or the citizen says so, or a minute
  // passes: the card is set aside either way).
  const CARD_REMIND_MS = 60000;
  async function cardLeft() {
    if (!cardEnabled) return false;
    try { return (await call("GET", "/api/card/left")).present; } catch (e) { return false; }
  }
  async function remindCard() {
    if (!(await cardLeft()) || screen !== "start") return;
    show("takecard");
    const until = Date.now() + CARD_REMIND_MS;
    while (screen === "takecard" && Date.now() < until) {
      await new Promise((ok) => setTimeout(ok, POLL_MS));
      if (!(await cardLeft())) break;
    }
    if (screen === "takecard") show("start");
  }

  function armIdle() {
    clearTimeout(idleWarnTimer); clearTimeout(idleResetTimer);
    $("#idle").hidden = true;
    // Nothing personal on the start screens; a print in progress is never abandoned.
    if (screen === "start" || screen === "ticket" || screen === "card" || screen === "card-again" || screen === "printing" || screen === "checking" || screen === "takecard") return;
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
    const busy = view.documents.filter((d) => d.print && ["preparing", "queued", "printing", "held"].includes(d.print.state));
    if (busy.length) { tracked = busy.map((d) => d.request_id); show("printing"); if (!progressed()) follow(); return; }
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
  $("#done-next").addEventListener("click", async () => {
    clearTimeout(doneTimer);
    tracked = [];
    await loadAvailability();
    show("docs");
    renderDocs();
  });
  $("#wait-call").addEventListener("click", async () => {
    try { await call("POST", "/api/call-officer"); } catch (e) { return fail(e); }
    $("#wait-called").hidden = false;
    announce(t("wait_called"));
  });
  // Leaving ends the session: printerd holds the job (citizen_absent) and
  // an officer hands it over later with the reference.
  $("#wait-leave").addEventListener("click", async () => {
    closeStream();
    leftDoc = waitDoc;
    const ref = waitRef;
    await call("POST", "/api/session/logout").catch(() => {});
    view = null; tracked = [];
    waitRef = ref;
    show("left");
    renderDynamic();
    doneTimer = setTimeout(reset, DONE_RESET_MS);
  });
  $("#left-ok").addEventListener("click", reset);
  $("#takecard-ok").addEventListener("click", () => show("start"));
  // Press and hold to see what the masks cover; letting go covers it again.
  // The same on the card's full view.
  [["#reveal", "#preview-pages"], ["#fullview-reveal", "#fullview-frame"]].forEach(([btn, pages]) => {
    const b = $(btn);
    const reveal = (on) => { $(pages).classList.toggle("revealed", on); b.setAttribute("aria-pressed", on ? "true" : "false"); };
    b.addEventListener("pointerdown", (e) => { e.preventDefault(); reveal(true); });
    ["pointerup", "pointerleave", "pointercancel", "blur"].forEach((ev) => b.addEventListener(ev, () => reveal(false)));
    b.addEventListener("keydown", (e) => { if (e.key === " " || e.key === "Enter") { e.preventDefault(); reveal(true); } });
    b.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") reveal(false); });
    b.addEventListener("contextmenu", (e) => e.preventDefault()); // a long press is not a menu
  });
  $("#error-ok").addEventListener("click", reset);
  $("#error-retry").addEventListener("click", () => { lastError = null; activeField = "pin"; show("pin"); });
  $("#lang").addEventListener("click", () => { lang = lang === "id" ? "en" : "id"; applyTexts(); });

  // What guide.js needs of the page: its texts, the station's settings
  // and whether a citizen is signed in (an officer can be called then).
  window.kiosk = { t, lang: () => lang, screen: () => screen, signedIn: () => view !== null, call, config: {} };
  const config = fetch("/api/config").then((r) => r.json()).then((c) => {
    window.kiosk.config = c;
    if (c.idle_ms > 0) { IDLE_RESET_MS = c.idle_ms; IDLE_WARN_MS = Math.round(c.idle_ms * 0.75); }
    cardEnabled = !!c.card;
    fingerEnabled = !!c.fingerprint;
    // Which finger: the station's setting (the sensor does not say).
    if (c.finger) $("#finger-title").dataset.t = "finger_title_" + c.finger;
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
