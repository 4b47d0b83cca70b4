// The overview's live alerts. Without this script the page still works:
// it reloads itself every 30 seconds (<noscript> in layout.html).
"use strict";
(function () {
  let box = document.getElementById("alerts");
  if (!box || !window.EventSource) return;
  const keys = () => new Set([...box.querySelectorAll("li[data-audible]")].map(li => li.dataset.key));
  let known = keys();
  let audio = null;
  const sound = document.getElementById("sound");
  // Browsers let a page sound only after a click on it; until then the
  // button says sounds are off.
  function ready() {
    if (!audio) audio = new AudioContext();
    if (audio.state === "suspended") audio.resume();
    sound.hidden = audio.state === "running";
  }
  document.getElementById("sound-on").addEventListener("click", ready);
  document.addEventListener("click", ready, { once: true });
  try { ready(); } catch (e) { sound.hidden = false; }
  // A short two-note tone.
  function tone() {
    document.body.dataset.tones = String(Number(document.body.dataset.tones || 0) + 1);
    if (!audio) return;
    const t = audio.currentTime;
    for (const [f, at] of [[880, 0], [660, 0.18]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.3, t + at);
      g.gain.exponentialRampToValueAtTime(0.001, t + at + 0.16);
      o.connect(g).connect(audio.destination);
      o.start(t + at);
      o.stop(t + at + 0.17);
    }
  }
  const title = document.title;
  const es = new EventSource("/events");
  es.addEventListener("alerts", e => {
    box.outerHTML = e.data;
    const fresh = document.getElementById("alerts");
    const now = new Set([...fresh.querySelectorAll("li[data-audible]")].map(li => li.dataset.key));
    let added = false;
    for (const k of now) if (!known.has(k)) {
      added = true;
      fresh.querySelector(`li[data-key="${CSS.escape(k)}"]`).classList.add("new");
    }
    known = now;
    document.title = now.size ? "(" + now.size + ") " + title : title;
    box = fresh;
    if (added) tone();
  });
})();
