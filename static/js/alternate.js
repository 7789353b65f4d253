// An alternating display (templates/display_alternating.html): show each language's frame in
// turn, `data-every` milliseconds each.  The turns follow the device's clock in whole periods
// since the epoch, so the screens of a building (their clocks set by NTP) turn together; each
// frame is a whole display, live and offline alike, so nothing else is needed here.
(function () {
  "use strict";
  var every = Number(document.body.dataset.every) || 10000;
  var frames = Array.prototype.slice.call(document.querySelectorAll("main.alternating iframe"));
  if (frames.length < 2) return;
  function turn() {
    var now = Date.now();
    var shown = Math.floor(now / every) % frames.length;
    frames.forEach(function (frame, i) { frame.hidden = i !== shown; });
    setTimeout(turn, every - (now % every) + 5);
  }
  turn();
})();
