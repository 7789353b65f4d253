// Keeping a page live: the page's own WebSocket client, its heartbeat and its offline mark.
//
// The element with data-live="/ws/..." names the socket.  Each message is one or more
// top-level elements with ids; each replaces the element of the page with the same id, through
// htmx's public htmx.swap (so htmx processes what comes in: the console's rooms carry hx-post
// buttons).  After each message the document gets a "dashboard:frame" event.
//
// A screen must come back after any close (1000 and 1001 included), after a silent drop (no
// message for dead-after: TCP may take many minutes to notice) and after an attempt stuck while
// connecting (a server that accepts but never answers).  Each time, it waits a random time up
// to the time it has been offline so far, at least backoff-min and at most backoff-max: full
// jitter over a window that grows about 1.5 times an attempt, so after a short outage (a
// restart) a screen is back within about twice the outage, and over a long one the retries of
// a building's screens spread thin.  (Doubling per attempt instead lets a few unlucky screens of
// thousands wait 16 s after a 1 s restart.)  On reconnect the server first sends the full
// current state.
//
// Timings come from the server (data-*-ms on <body>, dashboard/timings.py).
(function () {
  "use strict";

  var root = document.querySelector("[data-live]");
  if (!root) return;
  var body = document.body.dataset;
  var T = {
    heartbeat: Number(body.heartbeatMs),
    deadAfter: Number(body.deadAfterMs),
    connectTimeout: Number(body.connectTimeoutMs),
    backoffMin: Number(body.backoffMinMs),
    backoffMax: Number(body.backoffMaxMs),
    unconfirmedAfter: Number(body.unconfirmedAfterMs),
  };

  // socket: the current one (null between attempts); closes: sockets ended, each once.
  var state = { socket: null, lastMessage: Date.now(), offlineSince: null, closes: 0 };
  window.dashboardLive = state;

  function venueNow() {
    return window.dashboardClock ? window.dashboardClock.now() : Date.now();
  }

  // A display opened without ?screen= keeps the id the server gave it the first time (in
  // localStorage), so the console lists it under one name the staff can label, across reloads.
  var screenId = root.dataset.screenId || "";
  if (screenId) {
    try {
      var kept = localStorage.getItem("dashboard.screen");
      if (kept && /^display-[0-9a-f]{8}$/.test(kept)) screenId = kept;
      else localStorage.setItem("dashboard.screen", screenId);
    } catch (e) { /* no storage: this page's id, until it reloads */ }
  }

  function url() {
    var live = root.dataset.live;  // it may carry a query already (?lang=)
    var join = live.indexOf("?") < 0 ? "?" : "&";
    var path = live + (screenId ? join + "screen=" + encodeURIComponent(screenId) : "");
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  var CONNECTING = 0, OPEN = 1; // WebSocket.readyState
  var attemptStarted = 0;
  var lastBeat = 0;

  function connect() {
    var socket = new WebSocket(url());
    state.socket = socket;
    attemptStarted = Date.now();
    socket.onopen = function () {
      state.lastMessage = Date.now();
      lastBeat = 0;
    };
    socket.onmessage = function (event) {
      if (state.socket !== socket) return;
      state.lastMessage = Date.now();
      if (typeof event.data === "string") swapFrame(event.data);
      markOnline();
      document.dispatchEvent(new CustomEvent("dashboard:frame"));
    };
    socket.onclose = function () { ended(socket); };
  }

  // A socket is over (closed, failed, or given up): count it, say so, try again later.
  function ended(socket) {
    if (state.socket !== socket) return; // already given up
    state.socket = null;
    state.closes += 1;
    markOffline();
    var offlineFor = Date.now() - state.offlineSince.real;
    var span = Math.min(T.backoffMax, Math.max(T.backoffMin, offlineFor));
    setTimeout(connect, Math.random() * span);
  }

  // Stop waiting for a socket (dead link, or stuck connecting): do not wait for TCP to notice.
  function giveUp(socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    try { socket.close(); } catch (e) { /* already closing */ }
    ended(socket);
  }

  function swapFrame(text) {
    var parsed = document.createElement("template");
    parsed.innerHTML = text;
    Array.prototype.slice.call(parsed.content.children).forEach(function (element) {
      var target = element.id ? document.getElementById(element.id) : null;
      if (!target) return;
      if (window.htmx) {
        htmx.swap(target, element.outerHTML, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0, ignoreTitle: true });
      } else {
        target.replaceWith(document.importNode(element, true)); // htmx failed to load: still live
      }
    });
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
    // In the page's language, as the clock shows times (static/js/clock.js).
    var time = window.dashboardClock ? window.dashboardClock.timeText(state.offlineSince.venue) : "";
    var text = mark.dataset.offlineSince.replace("{time}", time);
    if (Date.now() - state.offlineSince.real > T.unconfirmedAfter) {
      text += " · " + mark.dataset.unconfirmed;
      document.documentElement.dataset.connection = "unconfirmed";
    }
    if (mark.textContent !== text) mark.textContent = text;
    mark.hidden = false;
  }

  function watchdog() {
    var socket = state.socket;
    var now = Date.now();
    if (socket && socket.readyState === CONNECTING && now - attemptStarted > T.connectTimeout) {
      giveUp(socket); // accepted but never answered, or lost on the way: try again
    } else if (socket && socket.readyState === OPEN) {
      // Tell the server this screen is alive, so the secretariat sees screens that go down.
      if (now - lastBeat >= T.heartbeat) {
        lastBeat = now;
        try { socket.send("hb"); } catch (e) { /* closing */ }
      }
      if (now - state.lastMessage > T.deadAfter) giveUp(socket); // a silent drop
    }
    if (state.offlineSince !== null) renderMark();
  }

  connect();
  setInterval(watchdog, Math.min(1000, T.heartbeat / 2));
})();
