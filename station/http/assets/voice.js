"use strict";
// The kiosk's spoken guidance: every screen, and every error message the
// citizen sees, said aloud in the visit's language, for those who read
// little in a hall where nobody may be at hand. The station speaks only
// phrases of the page's own text table (voice_screen_<screen>,
// voice_error_<code>), made on the kiosk itself and served as Ogg Opus at
// /voice/<lang>/<key>.opus. It follows app.js by its events.
(function () {
  const $ = (s) => document.querySelector(s);
  const k = window.kiosk;
  // One element for the whole page; without controls it is not shown and
  // screen readers pass it by.
  const audio = document.createElement("audio");
  audio.id = "voice";
  audio.preload = "auto";
  document.body.appendChild(audio);
  let on = true;   // Suara: on at the start of every visit
  let src = "";    // the phrase of the screen shown

  // The station says whether it speaks, and how loud (-voice-volume).
  function ready() { return !!(k.config && k.config.voice); }
  function has(key) { return k.t(key) !== key; }
  // keyFor picks the phrase of a screen, or of the error message it shows;
  // an error with no phrase of its own says the general one on the error
  // screen, and the screen's own phrase elsewhere.
  function keyFor(d) {
    if (d.code && has("voice_error_" + d.code)) return "voice_error_" + d.code;
    if (d.screen === "error") return "voice_error_other";
    return has("voice_screen_" + d.screen) ? "voice_screen_" + d.screen : "";
  }
  function play() {
    if (!src) return;
    if (audio.getAttribute("src") !== src) audio.src = src;
    else audio.currentTime = 0;
    audio.volume = Math.min(1, Math.max(0, Number(k.config.voice_volume) || 0));
    audio.play().catch(() => {}); // refused (no autoplay) or replaced by the next phrase
  }
  function sound(value) {
    on = value;
    $("#btn-sound").setAttribute("aria-pressed", on ? "true" : "false");
    if (on) play();
    else audio.pause();
  }

  $("#btn-sound").addEventListener("click", () => sound(!on));
  // Dengarkan lagi is a request to hear it: it speaks even with Suara off.
  $("#btn-again").addEventListener("click", play);

  let last = null; // the screen last told, to say again in another language
  function say(d) {
    last = d;
    const key = keyFor(d);
    src = key ? "/voice/" + encodeURIComponent(d.lang) + "/" + key + ".opus" : "";
    if (on && src) play();
    else audio.pause();
  }
  document.addEventListener("kiosk:screen", (e) => {
    if (!ready()) return;
    $("#btn-sound").hidden = false;
    $("#btn-again").hidden = false;
    say(e.detail);
  });
  // A citizen who switched the language hears the screen again in it
  // (app.js, whose listener ran first, has switched it).
  $("#lang").addEventListener("click", () => {
    if (ready() && last) say(Object.assign({}, last, { lang: k.lang() }));
  });
  document.addEventListener("kiosk:reset", () => {
    audio.pause();
    src = "";
    last = null;
    sound(true);
  });
})();
