// Live alerts: the hub pushes the open alerts (GET /events) and the page
// adds or removes them without a reload. body[data-opened] counts the
// alerts added live (tests read it).
"use strict";
(function () {
  if (!document.getElementById("alerts") || !window.EventSource) return;
  const none = document.getElementById("no-alerts");
  const list = () => document.getElementById("alerts");
  const fragment = html => document.createRange().createContextualFragment(html);
  const shown = () => { none.hidden = list().children.length > 0; };
  const es = new EventSource("/events" + location.search);
  es.addEventListener("open", () => { document.getElementById("live").hidden = false; });
  // The whole list on (re)connection: it catches up with what changed
  // since the page was rendered.
  es.addEventListener("alerts", e => {
    list().replaceWith(fragment(e.data));
    shown();
  });
  es.addEventListener("opened", e => {
    const li = fragment(e.data).firstElementChild;
    if (document.getElementById(li.id)) return;
    li.classList.add("new");
    list().appendChild(li);
    shown();
    document.body.dataset.opened = String(Number(document.body.dataset.opened || 0) + 1);
  });
  es.addEventListener("closed", e => {
    const li = document.getElementById("alert-" + e.data.trim());
    if (li) li.remove();
    shown();
  });
})();
