// What a screen works out from the venue's clock between two frames, connected or not:
//
// * countdowns ("Starts in 12 min", "Ends in 40 min"): an element with data-to (the instant,
//   ms) and data-far (its text before the last hour) counts the minutes of the last hour; the
//   words come with it, one form per plural category of the page's language (data-one,
//   data-few, data-other...: rendered from the catalogue), picked by Intl.PluralRules;
// * announcements: each has its instants (data-from, data-until), and is shown only between
//   them, so a display that lost the server still drops an expired one;
// * on a display, announcements keep to their bounded area (the ones that do not fit wait,
//   and a line says there are more on the phone), and each [data-fit] title is set as large as
//   its box allows, so a long title is never cut.
//
// No inline script (the CSP allows none): everything is found by data attributes.
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  var clock = window.dashboardClock;
  var lang = document.documentElement.lang || "en";
  var plural;
  try { plural = new Intl.PluralRules(lang); } catch (e) { plural = new Intl.PluralRules("en"); }

  function now() {
    return clock ? clock.now() : Date.now();
  }

  function countdownText(el, t) {
    var left = Number(el.dataset.to) - t;
    if (left > HOUR) return el.dataset.far || "";
    var n = Math.max(1, Math.ceil(left / MINUTE));
    var form = el.dataset[plural.select(n)] || el.dataset.other || "";
    return form.replace("{n}", String(n));
  }

  function countdowns(t) {
    document.querySelectorAll("[data-to][data-far]").forEach(function (el) {
      var text = countdownText(el, t);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  // Shown between data-from and data-until (either may be absent); true if anything changed.
  function announcements(t) {
    var changed = false;
    document.querySelectorAll("[data-banners] .banner").forEach(function (el) {
      var from = el.dataset.from ? Number(el.dataset.from) : -Infinity;
      var until = el.dataset.until ? Number(el.dataset.until) : Infinity;
      var hidden = t < from || t >= until;
      if (el.hidden !== hidden) {
        el.hidden = hidden;
        changed = true;
      }
    });
    return changed;
  }

  var bounded = document.body.classList.contains("display");

  // A display's announcements: those that do not fit their area wait (data-spill), the first
  // (urgent ones come first) always shows; a line says there are more.
  function bound(box) {
    var more = box.querySelector(".banners-more");
    var shown = [];
    box.querySelectorAll(".banner").forEach(function (el) {
      el.removeAttribute("data-spill");
      if (!el.hidden) shown.push(el);
    });
    if (more) more.hidden = true;
    if (!bounded) return;
    while (shown.length > 1 && box.scrollHeight > box.clientHeight + 1) {
      shown.pop().setAttribute("data-spill", "");
      if (more) more.hidden = false;
    }
  }

  function fits(el) {
    return el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1;
  }

  // The largest size (a factor of the element's own, down to half of it) at which it fits.
  function fit(el) {
    el.style.setProperty("--fit", "1");
    if (fits(el)) return;
    var low = 0.4, high = 1;
    for (var i = 0; i < 8; i++) {
      var mid = (low + high) / 2;
      el.style.setProperty("--fit", String(mid));
      if (fits(el)) low = mid; else high = mid;
    }
    el.style.setProperty("--fit", String(low));
  }

  function layout() {
    if (!bounded) return;
    document.querySelectorAll("[data-banners]").forEach(bound);
    // Twice: a title that shrinks may leave room for the other to grow.
    for (var round = 0; round < 2; round++) document.querySelectorAll("[data-fit]").forEach(fit);
  }

  function tick(relayout) {
    var changed = false;
    // Not before the page knows the server's clock: by the device's, anything may look due.
    if (!clock || clock.ready()) {
      var t = now();
      countdowns(t);
      changed = announcements(t);
    }
    if (changed || relayout) layout();
  }

  document.addEventListener("dashboard:frame", function () { tick(true); });
  document.addEventListener("dashboard:flip", function () { tick(true); });
  window.addEventListener("resize", function () { layout(); });
  // The offline mark takes room below the grid (static/css/site.css): fit again.
  new MutationObserver(function () { layout(); }).observe(document.documentElement, {
    attributes: true, attributeFilter: ["data-connection"],
  });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { layout(); });
  tick(true);
  layout();
  setInterval(function () { tick(false); }, 1000);
  window.dashboardScreen = { layout: layout, tick: tick };
})();
