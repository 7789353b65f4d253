// A room display on its own: it turns to each coming state at that state's instant, connected
// or not (each frame carries the rest of the day's states: #display-timeline, inert
// <template data-at>s); and when the server runs another build than the page's (a deploy: new
// scripts, styles, templates, catalogue), it reloads itself, at a quiet moment.
(function () {
  "use strict";

  // A hall board (templates/board.html) turns its rows itself (static/js/board.js); from here
  // it takes only the reload for a new build, at a moment when none of its rows changes.
  var board = !document.getElementById("display-timeline") && document.getElementById("board-now");
  if (!document.getElementById("display-timeline") && !board) return;
  var clock = window.dashboardClock;
  var body = document.body.dataset;
  // No reload this close to a change of what the screen shows, before or after (venue ms).
  var RELOAD_MARGIN = Number(body.reloadMarginMs);
  // A reload that did not bring the server's build (another server still had the old one)
  // is not tried again for the same build before this long.
  var RELOAD_AGAIN_AFTER = 10 * 60 * 1000;
  var RELOAD_CHECK_TIMEOUT = 5000;
  var RELOADED = "dashboard-reloaded"; // sessionStorage: {build, at} of the last reload

  function venueNow() {
    return clock ? clock.now() : Date.now();
  }

  // Where the screen is in its day: the shown state's instant (from), the newest state now due
  // (due), and the instant of the next one (next).
  function position(now) {
    if (board) return boardPosition(now);
    var shown = document.getElementById("display-now");
    var timeline = document.getElementById("display-timeline");
    var from = shown ? Number(shown.dataset.from || 0) : 0;
    var due = null;
    var next = null;
    if (timeline) {
      timeline.querySelectorAll("template[data-at]").forEach(function (t) {
        var at = Number(t.dataset.at);
        if (at <= from) return;
        if (at <= now) {
          if (due === null || at > Number(due.dataset.at)) due = t;
        } else if (next === null || at < next) {
          next = at;
        }
      });
    }
    return { shown: shown, from: from, due: due, next: next };
  }

  // A board's position: the latest of its rows' instants passed, the next to come; nothing to
  // flip here (a frame only says again what the rows say, unless a room changed).
  function boardPosition(now) {
    var shown = document.getElementById("board-now");
    var from = 0;
    var next = null;
    document.querySelectorAll("#board-now .board-row").forEach(function (el) {
      [el.dataset.from, el.dataset.until].forEach(function (value) {
        if (!value) return;
        var at = Number(value);
        if (at <= now) from = Math.max(from, at);
        else if (next === null || at < next) next = at;
      });
    });
    return { shown: shown, from: from, due: null, next: next };
  }

  // The newest state whose instant has come replaces the one shown.
  function flip() {
    // Not before the page knows the server's clock: by the device's, any state may look due.
    if (clock && !clock.ready()) return;
    var at = position(venueNow());
    var next = at.due && at.due.content.firstElementChild;
    if (!at.shown || !next) return;
    var fresh = document.importNode(next, true);
    // A state to come has no announcements of its own: the page's (sent once, each with its
    // instants) move into it (static/js/screen.js shows and hides them).
    var place = fresh.querySelector("[data-banners=slot]");
    var banners = at.shown.querySelector("[data-banners]:not([data-banners=slot])");
    if (place && banners) place.replaceWith(banners);
    at.shown.replaceWith(fresh);
    document.dispatchEvent(new CustomEvent("dashboard:flip"));
  }

  // Flip at the instant itself: a timer armed for the next state's instant (so screens that
  // lost the server still turn within a few ms of each other), re-armed at least every second
  // (the clock's offset may have been corrected) and after every frame (a new timeline).
  var timer = null;
  function arm() {
    if (timer !== null) clearTimeout(timer);
    flip();
    var now = venueNow();
    var next = position(now).next;
    timer = setTimeout(arm, next === null ? 1000 : Math.min(1000, next - now + 2));
  }

  // --- reloading for a new build -------------------------------------------------------------

  function serverBuild() {
    var heartbeat = document.getElementById("heartbeat"); // replaced by every heartbeat frame
    return heartbeat ? heartbeat.dataset.build : undefined;
  }

  // Quiet: the shown state took effect at least RELOAD_MARGIN ago, and the next is at least as
  // far off; a reload then cannot hide a change from the room.
  function quiet() {
    if (clock && !clock.ready()) return false;
    var now = venueNow();
    var at = position(now);
    return !at.due && now - at.from >= RELOAD_MARGIN && (at.next === null || at.next - now >= RELOAD_MARGIN);
  }

  function lastReload() {
    try { return JSON.parse(sessionStorage.getItem(RELOADED) || "null"); } catch (e) { return null; }
  }

  // Now a good time to reload for the server's build?  Only online (a reload while offline
  // would leave an error page on the screen) and at a quiet moment.
  function due(build) {
    if (!build || build === body.build) return false;
    if (document.documentElement.dataset.connection !== "online" || !quiet()) return false;
    var last = lastReload();
    return !(last && last.build === build && Date.now() - last.at < RELOAD_AGAIN_AFTER);
  }

  var reloading = false;
  function reloadIfStale() {
    var build = serverBuild();
    if (reloading || !due(build)) return;
    reloading = true;
    // And only if the page comes back: ask for it first (a kiosk has nobody to press F5).
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, RELOAD_CHECK_TIMEOUT);
    fetch(location.href, { cache: "no-store", signal: controller.signal }).then(function (response) {
      clearTimeout(timeout);
      if (!response.ok) throw new Error("HTTP " + response.status);
      if (!due(build)) throw new Error("no longer quiet or online");
      try {
        sessionStorage.setItem(RELOADED, JSON.stringify({ build: build, at: Date.now() }));
      } catch (e) { /* no storage: the check above only spaces reloads out */ }
      location.reload();
    }).catch(function () {
      clearTimeout(timeout);
      reloading = false;
    });
  }

  document.addEventListener("dashboard:frame", function () {
    arm();
    reloadIfStale();
  });
  arm();
  setInterval(reloadIfStale, 1000);
})();
