// The console's failures, shown by the action that failed, in the page's language.
//
// htmx 2 swaps no 4xx/5xx answer by default: a failed Send would show nothing.  The server
// answers the console's own errors with a fragment to show (header X-Console-Error, from
// web/errors.py): it is swapped into the action's target.  What the server could not word (no
// answer at all, a proxy's error page, a body refused before the application) gets one of the
// messages of #console-errors, written by the server in the page's language.
//
// A session that ended: the fragment holds a small log-in form, sent here with fetch, so the
// page and what was typed in it stay; the new session's CSRF token then goes into the page
// (hx-headers on <body> and the forms' csrf fields), and the officer presses Send again.
(function () {
  "use strict";

  var words = document.getElementById("console-errors");
  if (!words || !window.htmx) return;
  var say = words.dataset;

  function show(target, text, kind) {
    var p = document.createElement("p");
    p.className = kind || "error";
    p.setAttribute("role", kind === "ok" ? "status" : "alert");
    p.textContent = text;
    target.replaceChildren(p);
  }

  function useToken(token) {
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": token }));
    document.querySelectorAll('input[name="csrf"]').forEach(function (input) {
      input.value = token;
    });
  }

  function wordsFor(status) {
    if (status === 0) return say.lost;
    if (status === 401) return say.session;
    if (status === 413) return say.tooLarge;
    if (status === 429) return say.tooMany;
    if (status >= 500) return say.server;
    return say.refused;
  }

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr.status;
    if (status < 400) return;
    detail.isError = false; // handled here: shown, not only logged
    if (detail.xhr.getResponseHeader("X-Console-Error")) {
      detail.shouldSwap = true; // the server's own words (HX-Reswap: innerHTML)
      return;
    }
    detail.shouldSwap = false;
    show(detail.target, wordsFor(status) + " (" + status + ")");
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    show(event.detail.target, say.lost);
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target || event.target; // htmx.swap's (live.js) have no target
    if (!(target instanceof Element)) return;
    var renewed = target.querySelector("[data-csrf]");
    if (renewed) {
      useToken(renewed.dataset.csrf);
      renewed.removeAttribute("data-csrf");
    }
    var name = target.querySelector('form[data-relogin] input[name="name"]');
    if (name && !name.value) name.value = say.user;
  });

  // The one-tap actions (partials/_console_actions.html): a small form opened puts the focus
  // on its first field; once what it said was sent, it closes, emptied (a second Send would
  // be a second override), and the preview, now out of date, goes.
  document.addEventListener(
    "toggle",
    function (event) {
      var details = event.target;
      if (!(details instanceof HTMLDetailsElement) || !details.open) return;
      if (!details.closest("#console-actions")) return;
      var field = details.querySelector(
        "form input:not([type=hidden]), form select, form textarea, form button"
      );
      if (field) field.focus();
    },
    true
  );

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!(form instanceof HTMLFormElement)) return;
    if (!form.closest("#console-actions")) return;
    if (!event.detail.target.querySelector("[data-sent]")) return;
    var preview = document.getElementById("console-preview");
    if (preview) preview.replaceChildren();
    var details = form.closest("details");
    if (!details) return;
    form.reset();
    details.open = false;
    details.querySelector("summary").focus();
  });

  // The in-place log-in: POST /chair/login, which answers with the console (a new session and
  // its token) or with the log-in page and its error, already in the page's language.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-relogin")) return;
    event.preventDefault();
    var result = form.querySelector("[data-relogin-result]");
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.text().then(function (text) {
          var page = new DOMParser().parseFromString(text, "text/html");
          var token = page.querySelector('input[name="csrf"]');
          if (response.ok && token) {
            useToken(token.value);
            show(form.closest("[data-problem]").parentElement, say.relogged, "ok");
            return;
          }
          var error = page.querySelector(".error");
          result.textContent = error ? error.textContent : wordsFor(response.status);
          button.disabled = false;
        });
      })
      .catch(function () {
        result.textContent = say.lost;
        button.disabled = false;
      });
  });
})();
