// The venue's clock, as the server runs it (never the device's own clock), and what follows
// it: the display's clock text and every slot's progress bar.  No inline script: the CSP
// allows none, so this file finds its elements by data attributes.
(function () {
  "use strict";

  var TIME_REQUEST_TIMEOUT = 4000; // a /api/time request not answered by then is abandoned

  var body = document.body;

  // server: the server's clock (ms since epoch) at local performance.now() = local.
  var sync = { server: Date.now(), local: performance.now(), speed: 1 };
  // known: the page has the server's clock, measured or given (not only the device's).
  var known = false;

  // A display's page carries the server's clock as it was rendered (data-now, data-speed).
  // Taken as of the moment the page's first byte arrived, it is within one trip of the truth:
  // enough to show the time and flip on time until /api/time answers, if it ever does.
  (function seed() {
    var at = Number(body.dataset.now);
    if (!at) return;
    var entry = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var arrived = entry && entry.responseStart > 0 ? entry.responseStart : performance.now();
    sync = { server: at, local: Math.min(arrived, performance.now()), speed: Number(body.dataset.speed) || 1 };
    known = true;
  })();

  function now() {
    return sync.server + (performance.now() - sync.local) * sync.speed;
  }

  // One round trip to /api/time, abandoned after TIME_REQUEST_TIMEOUT (a hung answer must not
  // hold the measurement, nor anything waiting for it).
  async function sample() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIME_REQUEST_TIMEOUT);
    try {
      var t0 = performance.now();
      var response = await fetch("/api/time", { cache: "no-store", signal: controller.signal });
      var data = await response.json();
      var t1 = performance.now();
      return { rtt: t1 - t0, server: data.now + ((t1 - t0) / 2) * data.speed, local: t1, speed: data.speed };
    } finally {
      clearTimeout(timer);
    }
  }

  // NTP-style: several round trips; keep the one with the shortest round trip.
  async function measure() {
    var best = null;
    for (var i = 0; i < 5; i++) {
      try {
        var s = await sample();
        if (best === null || s.rtt < best.rtt) best = s;
      } catch (e) {
        break; // offline, or no answer in time: keep the last offset
      }
    }
    if (best !== null) {
      sync = { server: best.server, local: best.local, speed: best.speed };
      known = true;
      document.documentElement.dataset.clockSynced = "true";
    }
  }

  var lang = body.dataset.lang || "en";
  var timeZone = body.dataset.timezone || undefined;
  var english = lang.split("-")[0] === "en";
  // One time style per language, everywhere (dashboard/i18n.py writes the server's side):
  // English in the UN's style, as the programme prints it ("10 a.m.", "3.15 p.m."), made from
  // a 12-hour clock's parts; any other language its locale's short time ("15:15", "3:15 م"),
  // which is what Babel's "short" gives on the server.  No seconds, on the clock either.
  var timeFormat = english
    ? new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone, hour: "numeric", minute: "2-digit", hour12: true,
    })
    : new Intl.DateTimeFormat(lang, { timeZone: timeZone, timeStyle: "short" });
  // The day as the server writes it (dashboard/i18n.py Formatter.day): "Wednesday 13
  // December"; in other languages the locale's full date ("2023年12月13日星期三").
  var dateFormat = english
    ? new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone, weekday: "long", day: "numeric", month: "long",
    })
    : new Intl.DateTimeFormat(lang, { timeZone: timeZone, dateStyle: "full" });

  // A time of day at the venue, in the page's language: the one formatter of every time the
  // scripts show (the display's clock, "Offline since …").
  function timeText(ms) {
    var date = new Date(ms);
    if (!english) return timeFormat.format(date);
    var parts = {};
    timeFormat.formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    var period = (parts.dayPeriod || "").toUpperCase() === "AM" ? "a.m." : "p.m.";
    return (parts.minute === "00" ? parts.hour : parts.hour + "." + parts.minute) + " " + period;
  }

  // The display's clock: the same words as every other time ("3.15 p.m.", "15:15").
  var clockText = timeText;

  function tick() {
    if (!ready()) return; // only the device's clock so far: show nothing rather than its time
    var t = now();
    var date = new Date(t);
    document.querySelectorAll("[data-clock=time]").forEach(function (el) {
      var text = clockText(t);
      if (el.textContent !== text) el.textContent = text;
    });
    document.querySelectorAll("[data-clock=date]").forEach(function (el) {
      var text = dateFormat.format(date);
      if (el.textContent !== text) el.textContent = text;
    });
    document.querySelectorAll("progress[data-start][data-end]").forEach(function (el) {
      var start = Number(el.dataset.start), end = Number(el.dataset.end);
      el.value = Math.max(0, Math.min(1000, Math.round(((t - start) / (end - start)) * 1000)));
    });
  }

  // tried: the first measurement is over (if it failed, the device's clock is all there is).
  var tried = false;
  function ready() { return known || tried; }
  function start() { tried = true; tick(); }

  window.dashboardClock = {
    now: now, measure: measure, ready: ready, timeText: timeText, clockText: clockText,
  };
  // New content (a frame, a flip) comes with its progress bars at 0: set them before it is
  // painted, not at the next tick.
  document.addEventListener("dashboard:frame", tick);
  document.addEventListener("dashboard:flip", tick);
  tick();
  measure().then(start, start);
  setInterval(tick, 250);
  setInterval(measure, 5 * 60 * 1000);
})();
