// The overview, live: the server sends the overview again whenever it
// changes (GET /events), and a new alert that needs someone sounds a
// short tone. Without this script the page still works: it reloads
// itself every 30 seconds (<noscript> in layout.html).
"use strict";
(function () {
  if (!document.getElementById("overview") || !window.EventSource) return;
  const audible = root => new Set([...root.querySelectorAll("#alerts li[data-audible]")].map(li => li.dataset.key));
  let known = audible(document);
  let audio = null;
  const sound = document.getElementById("sound");
  // Browsers let a page sound only after a click on it; until then a
  // button says sounds are off.
  function ready() {
    try {
      if (!audio) audio = new AudioContext();
      if (audio.state === "suspended") audio.resume().then(() => { sound.hidden = true; });
      sound.hidden = audio.state === "running";
    } catch (e) {
      sound.hidden = false;
    }
  }
  document.getElementById("sound-on").addEventListener("click", ready);
  document.addEventListener("click", ready, { once: true });
  ready();
  // A short two-note tone. body[data-tones] counts them (tests read it).
  function tone() {
    document.body.dataset.tones = String(Number(document.body.dataset.tones || 0) + 1);
    if (!audio || audio.state !== "running") return;
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
  es.addEventListener("overview", e => {
    const next = document.createRange().createContextualFragment(e.data);
    const now = audible(next);
    let added = false;
    for (const li of next.querySelectorAll("#alerts li[data-audible]")) {
      if (!known.has(li.dataset.key)) {
        added = true;
        li.classList.add("new");
      }
    }
    document.getElementById("overview").replaceWith(next);
    known = now;
    document.title = now.size ? "(" + now.size + ") " + title : title;
    if (added) tone();
  });
})();
