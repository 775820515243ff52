/* WIP board: a clock, and the "reconnecting" banner while polls fail.
   htmx does the polling (hx-trigger="every 3s" on #board) and keeps polling after an error,
   so the board recovers by itself when the server or the network is back; this file only tells
   the people in the room that what they see may be old. */
(function () {
  "use strict";

  function banner() { return document.querySelector("[data-board-offline]"); }

  function showOffline(text) {
    var el = banner();
    if (!el) { return; }
    var label = el.querySelector("[data-board-offline-text]");
    if (label) { label.textContent = text; }
    el.hidden = false;
    document.body.classList.add("board-stale");
  }

  function showOnline() {
    var el = banner();
    if (el) { el.hidden = true; }
    document.body.classList.remove("board-stale");
  }

  function fromBoard(evt) {
    var elt = evt.detail && evt.detail.elt;
    return elt && elt.id === "board";
  }

  document.addEventListener("htmx:sendError", function (evt) { if (fromBoard(evt)) { showOffline("Reconnecting…"); } });
  document.addEventListener("htmx:timeout", function (evt) { if (fromBoard(evt)) { showOffline("Reconnecting…"); } });
  document.addEventListener("htmx:responseError", function (evt) {
    if (!fromBoard(evt)) { return; }
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    showOffline(status === 401 || status === 403 ? "Not signed in: open the board link again" : "Reconnecting…");
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (fromBoard(evt) && evt.detail.successful) { showOnline(); }
  });

  function tick() {
    var now = new Date();
    var text = now.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" }) + " " +
      now.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    document.querySelectorAll("[data-board-clock]").forEach(function (el) { el.textContent = text; });
  }
  tick();
  setInterval(tick, 1000);
}());
