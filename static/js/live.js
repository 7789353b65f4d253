// Keeping a screen live: reconnects, a heartbeat watchdog, the offline mark, and the local
// timeline that flips a display at each boundary by itself.
//
// htmx's ws extension reconnects only after close codes 1006, 1011, 1012 and 1013; a screen
// must come back after any close (1000 and 1001 included) and after a silent drop.  So every
// socket htmx creates is wrapped: whatever ended it, the extension is told 1006 and reconnects,
// with capped full-jitter backoff.  On reconnect the server first sends the full current state.
(function () {
  "use strict";

  var HEARTBEAT_TIMEOUT = 35000; // the server sends something at least every 15 s
  var BACKOFF_MIN = 1000;
  var BACKOFF_CAP = 30000;
  var UNCONFIRMED_AFTER = 10 * 60 * 1000; // offline this long: say it is the printed programme

  var state = { socket: null, lastMessage: Date.now(), offlineSince: null, closes: 0 };
  window.dashboardLive = state;

  function venueNow() {
    return window.dashboardClock ? window.dashboardClock.now() : Date.now();
  }

  if (window.htmx) {
    // Full jitter over a window as long as the screen has been offline (at least 1 s, at most
    // 30 s): each attempt waits on average half the time offline so far, so the window grows
    // about 1.5 times an attempt.  After a short outage (a restart) a screen is back within
    // about twice the outage; over a long one the retries of a building's screens spread thin.
    // (Doubling per attempt instead lets a few unlucky screens of thousands wait 16 s after
    // a 1 s restart.)
    htmx.config.wsReconnectDelay = function () {
      var offlineFor = state.offlineSince ? Date.now() - state.offlineSince.real : 0;
      return Math.random() * Math.min(BACKOFF_CAP, Math.max(BACKOFF_MIN, offlineFor));
    };
    var create = htmx.createWebSocket;
    if (create) {
      htmx.createWebSocket = function (url) {
        var socket = create(url);
        var handler = null;
        var reported = false;
        // The extension sets socket.onclose; keep its handler and call it ourselves.
        Object.defineProperty(socket, "onclose", {
          configurable: true,
          get: function () { return handler; },
          set: function (fn) { handler = fn; },
        });
        function closed(event) {
          if (reported) return;
          reported = true;
          state.closes += 1;
          markOffline();
          if (handler) handler({ code: 1006, reason: "reconnect", wasClean: false, original: event });
        }
        socket.addEventListener("close", closed);
        socket.addEventListener("open", function () { state.lastMessage = Date.now(); });
        socket.addEventListener("message", function () {
          state.lastMessage = Date.now();
          markOnline();
        });
        socket.dashboardGiveUp = function () { // a dead link: do not wait for TCP to notice
          try { socket.close(); } catch (e) { /* already closing */ }
          closed({ code: 4000, reason: "heartbeat timeout" });
        };
        state.socket = socket;
        return socket;
      };
    }
  }

  function connectionMark() {
    return document.querySelector(".connection");
  }

  function markOffline() {
    if (state.offlineSince === null) state.offlineSince = { venue: venueNow(), real: Date.now() };
    document.documentElement.dataset.connection = "offline";
    renderMark();
  }

  function markOnline() {
    state.offlineSince = null;
    document.documentElement.dataset.connection = "online";
    var mark = connectionMark();
    if (mark) mark.hidden = true;
  }

  function renderMark() {
    var mark = connectionMark();
    if (!mark || state.offlineSince === null) return;
    var zone = document.body.dataset.timezone;
    var time = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" })
      .format(new Date(state.offlineSince.venue));
    var text = mark.dataset.offlineSince.replace("{time}", time);
    if (Date.now() - state.offlineSince.real > UNCONFIRMED_AFTER) {
      text += " · " + mark.dataset.unconfirmed;
      document.documentElement.dataset.connection = "unconfirmed";
    }
    if (mark.textContent !== text) mark.textContent = text;
    mark.hidden = false;
  }

  // The display's local timeline: the newest state whose instant has come replaces the one shown.
  function flip() {
    var shown = document.getElementById("display-now");
    var timeline = document.getElementById("display-timeline");
    if (!shown || !timeline) return;
    // Not before the page knows the server's clock: by the device's, any state may look due.
    if (window.dashboardClock && !window.dashboardClock.ready()) return;
    var now = venueNow();
    var from = Number(shown.dataset.from || 0);
    var due = null;
    timeline.querySelectorAll("template[data-at]").forEach(function (t) {
      var at = Number(t.dataset.at);
      if (at <= now && at > from && (due === null || at > Number(due.dataset.at))) due = t;
    });
    if (due === null) return;
    var next = due.content.firstElementChild;
    if (next) shown.replaceWith(document.importNode(next, true));
  }

  var lastBeat = 0;
  function watchdog() {
    var socket = state.socket;
    // Tell the server this screen is alive, so the secretariat sees screens that go down.
    if (socket && socket.readyState === 1 && Date.now() - lastBeat > 15000) {
      lastBeat = Date.now();
      try { socket.send("hb"); } catch (e) { /* closing */ }
    }
    if (socket && socket.readyState === 1 && Date.now() - state.lastMessage > HEARTBEAT_TIMEOUT) {
      socket.dashboardGiveUp();
    }
    if (state.offlineSince !== null) renderMark();
  }

  // Flip at the instant itself: a timer armed for the next state's instant (so screens that
  // lost the server still turn within a few ms of each other), re-armed at least every second
  // (the clock's offset may have been corrected) and after every message (a new timeline).
  function untilNext() {
    var timeline = document.getElementById("display-timeline");
    var shown = document.getElementById("display-now");
    if (!timeline || !shown) return null;
    var now = venueNow();
    var from = Number(shown.dataset.from || 0);
    var soonest = null;
    timeline.querySelectorAll("template[data-at]").forEach(function (t) {
      var at = Number(t.dataset.at);
      if (at > now && at > from && (soonest === null || at < soonest)) soonest = at;
    });
    return soonest === null ? null : soonest - now;
  }

  var timer = null;
  function arm() {
    if (timer !== null) clearTimeout(timer);
    flip();
    var wait = untilNext();
    timer = setTimeout(arm, wait === null ? 1000 : Math.min(1000, wait + 2));
  }

  document.addEventListener("htmx:wsAfterMessage", arm);
  arm();
  setInterval(watchdog, 1000);
})();
