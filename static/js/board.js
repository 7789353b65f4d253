// The hall board (templates/board.html): which rows show, and a page of them at a time.
//
// Each row is a meeting as it reads over a stretch of time (data-from, data-until: venue ms);
// the page's clock (static/js/clock.js) shows the rows whose time has come, connected or not,
// so a finished meeting leaves and the next one turns to "In session" with no frame.  Rows of
// rooms or programmes other than the board's filter (data-rooms, data-programme on the live
// root) never show.  The rows that show are cut into pages that fit the board's area, whole
// rows only (never scrolled, never a row cut), turned every PAGE_MS, with "Page 2 of 3".
(function () {
  "use strict";

  var root = document.querySelector(".board-grid");
  if (!root) return;
  var PAGE_MS = 10000;
  var clock = window.dashboardClock;
  var rooms = (root.dataset.rooms || "").split(",").filter(Boolean);
  var programme = root.dataset.programme || "";
  var page = 0;
  var pages = 1;
  var shownKey = "";

  function now() {
    return clock ? clock.now() : Date.now();
  }

  function wanted(row) {
    if (rooms.length && rooms.indexOf(row.dataset.room) < 0) return false;
    return !programme || row.dataset.programme === programme;
  }

  // The rows whose time has come, in the board's order (by time, then room).
  function due(t) {
    var rows = [];
    document.querySelectorAll("#board-now .board-row").forEach(function (row) {
      var from = row.dataset.from ? Number(row.dataset.from) : -Infinity;
      var until = row.dataset.until ? Number(row.dataset.until) : Infinity;
      if (wanted(row) && from <= t && t < until) rows.push(row);
      else row.hidden = true;
    });
    return rows;
  }

  // Cut ``rows`` into pages of whole rows that fit the board's area; show page ``page``.
  function paginate(rows) {
    var area = document.getElementById("board-now");
    var empty = document.querySelector(".board-empty");
    var indicator = document.querySelector(".board-pages");
    if (empty) empty.hidden = rows.length > 0;
    if (area) area.classList.toggle("board-none", rows.length === 0);
    if (!area || !rows.length) {
      pages = 1;
      if (indicator) indicator.textContent = "";
      return;
    }
    // Laid out all at once, each page is a run of rows from its first row's top: as many as
    // end within the area's height below the first row (rows' spacing included).
    rows.forEach(function (row) { row.hidden = false; });
    var boxes = rows.map(function (row) { return row.getBoundingClientRect(); });
    var gap = boxes.length > 1 ? Math.max(0, boxes[1].top - boxes[0].bottom) : 0;
    var room = area.getBoundingClientRect().bottom - boxes[0].top - gap;
    var cut = [[]];
    var top = boxes[0].top;
    rows.forEach(function (row, i) {
      if (boxes[i].bottom - top > room + 0.5 && cut[cut.length - 1].length) {
        cut.push([]);
        top = boxes[i].top;
      }
      cut[cut.length - 1].push(row);
    });
    pages = cut.length;
    if (page >= pages) page = 0;
    cut.forEach(function (list, i) {
      list.forEach(function (row) { row.hidden = i !== page; });
    });
    if (indicator) {
      indicator.textContent = pages > 1
        ? indicator.dataset.pages.replace("{page}", String(page + 1)).replace("{pages}", String(pages))
        : "";
    }
    root.dataset.page = String(page + 1);
    root.dataset.pages = String(pages);
  }

  // Lay the board out again when what is due changed, or when asked (a frame, a resize).
  function refresh(force) {
    if (clock && !clock.ready()) return;
    var rows = due(now());
    var key = rows.map(function (row) { return row.dataset.slot + "@" + (row.dataset.from || ""); }).join(",");
    // Announcements shown and hidden by the clock (static/js/screen.js) take the rows' room.
    key += "|" + document.querySelectorAll("#board-now .banner:not([hidden])").length;
    if (!force && key === shownKey) return;
    shownKey = key;
    paginate(rows);
  }

  function turn() {
    if (pages > 1) {
      page = (page + 1) % pages;
      paginate(due(now()));
    }
  }

  document.addEventListener("dashboard:frame", function () { refresh(true); });
  window.addEventListener("resize", function () { refresh(true); });
  new MutationObserver(function () { refresh(true); }).observe(document.documentElement, {
    attributes: true, attributeFilter: ["data-connection"],
  });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { refresh(true); });
  refresh(true);
  setInterval(function () { refresh(false); }, 250);
  setInterval(turn, PAGE_MS);
  window.dashboardBoard = { refresh: refresh, turn: turn };
})();
