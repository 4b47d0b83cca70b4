"use strict";
// The kiosk page: Bahasa Indonesia first, English on request; one clear
// next step per screen. It keeps no personal data beyond the masked NIK.
const T = {
  id: { title: "Anjungan Cetak Dokumen Mandiri", choose: "Pilih cara masuk:", way_ticket: "Pindai Tiket QR",
        way_pin: "NIK + PIN", ticket_help: "Arahkan kode QR tiket Anda ke pemindai di bawah layar.",
        ticket_label: "Kode tiket", back: "Kembali", continue: "Lanjut", nik_label: "NIK (16 digit)",
        pin_label: "PIN (6 digit, dari SMS/email persetujuan)", hello: "NIK Anda:", docs_help: "Dokumen yang siap dicetak:",
        finish: "Selesai", print: "Cetak", printed: "Sudah dicetak. Silakan ambil dokumen Anda.",
        preparing: "Menyiapkan dokumen…", queued: "Menunggu printer…", printing: "Sedang mencetak…",
        failed: "Gagal dicetak", in_doubt: "Menunggu petugas", approved: "Siap dicetak", lang: "English",
        in_doubt_status: "Menunggu pemeriksaan petugas" },
  en: { title: "Self-Service Document Printing", choose: "Choose how to start:", way_ticket: "Scan QR Ticket",
        way_pin: "NIK + PIN", ticket_help: "Hold your ticket's QR code under the scanner below the screen.",
        ticket_label: "Ticket code", back: "Back", continue: "Continue", nik_label: "NIK (16 digits)",
        pin_label: "PIN (6 digits, from the approval SMS/email)", hello: "Your NIK:", docs_help: "Documents ready to print:",
        finish: "Finish", print: "Print", printed: "Printed. Please take your document.",
        preparing: "Preparing the document…", queued: "Waiting for the printer…", printing: "Printing…",
        failed: "Printing failed", in_doubt: "Waiting for an officer", approved: "Ready to print", lang: "Bahasa Indonesia",
        in_doubt_status: "Waiting for an officer to check" },
};
let lang = "id";
let polling = null;
const $ = (s) => document.querySelector(s);

function tr() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = T[lang][el.dataset.t]; });
  $("#lang").textContent = T[lang].lang;
}

function show(id) {
  document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== id; });
  const first = document.querySelector("#" + id + " input");
  if (first) first.focus();
}

function say(text, ok) {
  const m = $("#message");
  m.textContent = text || "";
  m.hidden = !text;
  m.className = ok ? "message ok" : "message";
}

function errText(e) { return e ? (lang === "en" ? e.message_en : e.message_id) : ""; }

async function call(method, path, body) {
  const res = await fetch(path, { method, headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) throw data.error || { message_id: "Terjadi gangguan.", message_en: "Something went wrong." };
  return data;
}

function render(view) {
  $("#subject").textContent = view.subject;
  const list = $("#doc-list");
  list.replaceChildren();
  let busy = false;
  for (const d of view.documents) {
    const li = document.createElement("li");
    li.dataset.request = d.request_id;
    const name = document.createElement("strong");
    name.textContent = d.title;
    const state = document.createElement("span");
    state.className = "state";
    const st = d.print ? d.print.state : d.status;
    state.textContent = st === "printed" ? T[lang].printed : (T[lang][st] || st);
    if (d.print && d.print.error) state.textContent += " — " + errText(d.print.error);
    li.append(name, state);
    if (!d.print && d.status === "approved") {
      const b = document.createElement("button");
      b.className = "primary print";
      b.textContent = T[lang].print;
      b.onclick = () => printDoc(d.request_id, b);
      li.append(b);
    }
    if (d.print && ["preparing", "queued", "printing"].includes(d.print.state)) busy = true;
    list.append(li);
  }
  clearTimeout(polling);
  if (busy) polling = setTimeout(refresh, 700);
}

async function refresh() {
  try { render(await call("GET", "/api/session")); } catch (e) { say(errText(e)); show("start"); }
}

async function printDoc(id, button) {
  button.disabled = true;
  say("");
  try { await call("POST", "/api/print", { request_id: id }); } catch (e) { say(errText(e)); }
  refresh();
}

async function login(path, body) {
  say("");
  try { render(await call("POST", path, body)); show("docs"); } catch (e) { say(errText(e)); }
}

document.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => { say(""); show(b.dataset.go); }));
$("#lang").onclick = () => { lang = lang === "id" ? "en" : "id"; tr(); };
$("#ticket-form").onsubmit = (e) => { e.preventDefault(); login("/api/login/ticket", { ticket: $("#ticket-input").value.trim() }); $("#ticket-input").value = ""; };
$("#pin-form").onsubmit = (e) => { e.preventDefault(); login("/api/login/pin", { nik: $("#nik-input").value.trim(), pin: $("#pin-input").value.trim() }); $("#pin-input").value = ""; };
$("#done").onclick = async () => { clearTimeout(polling); await call("POST", "/api/session/logout").catch(() => {}); say(""); show("start"); };
tr();
