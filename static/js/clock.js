// The venue's clock, as the server runs it (never the device's own clock), and what follows
// it: the display's clock text and every slot's progress bar.  No inline script: the CSP
// allows none, so this file finds its elements by data attributes.
(function () {
  "use strict";

  // server: the server's clock (ms since epoch) at local performance.now() = local.
  var sync = { server: Date.now(), local: performance.now(), speed: 1, measured: false };

  function now() {
    return sync.server + (performance.now() - sync.local) * sync.speed;
  }

  // NTP-style: several round trips; keep the one with the shortest round trip.
  async function measure() {
    var best = null;
    for (var i = 0; i < 5; i++) {
      try {
        var t0 = performance.now();
        var response = await fetch("/api/time", { cache: "no-store" });
        var data = await response.json();
        var t1 = performance.now();
        var rtt = t1 - t0;
        if (best === null || rtt < best.rtt) {
          best = { rtt: rtt, server: data.now + (rtt / 2) * data.speed, local: t1, speed: data.speed };
        }
      } catch (e) {
        break; // offline: keep the last offset
      }
    }
    if (best !== null) {
      sync = { server: best.server, local: best.local, speed: best.speed, measured: true };
      document.documentElement.dataset.clockSynced = "true";
    }
  }

  var body = document.body;
  var lang = body.dataset.lang || "en";
  var timeZone = body.dataset.timezone || undefined;
  var english = lang.split("-")[0] === "en";
  var timeFormat = new Intl.DateTimeFormat(english ? "en-US" : lang, {
    timeZone: timeZone, hour: "numeric", minute: "2-digit", second: "2-digit", hour12: english ? true : undefined,
  });
  var dateFormat = new Intl.DateTimeFormat(english ? "en-GB" : lang, {
    timeZone: timeZone, weekday: "long", day: "numeric", month: "long",
  });

  function clockText(date) {
    if (!english) return timeFormat.format(date);
    var parts = {};
    timeFormat.formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    var period = (parts.dayPeriod || "").toUpperCase() === "AM" ? "a.m." : "p.m.";
    return parts.hour + ":" + parts.minute + ":" + parts.second + " " + period;
  }

  function tick() {
    if (!tried) return; // before the first measurement, now() is only the device's clock
    var t = now();
    var date = new Date(t);
    document.querySelectorAll("[data-clock=time]").forEach(function (el) {
      var text = clockText(date);
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

  // tried: the first measurement is done (if it failed, the device's clock is all there is).
  var tried = false;
  function ready() { return tried; }
  function start() { tried = true; tick(); }

  window.dashboardClock = { now: now, measure: measure, ready: ready };
  measure().then(start, start);
  setInterval(tick, 250);
  setInterval(measure, 5 * 60 * 1000);
})();
