// The live view (/live): fetch the board every second and swap it in, without reloading the
// page. The page is complete without this script (its Refresh link reloads it). No inline
// script anywhere: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  var board = document.getElementById("live-board");
  var source = document.getElementById("live-source");
  var note = document.getElementById("live-note");
  if (!board || !source || !window.fetch || !window.DOMParser) { return; }
  var url = source.getAttribute("data-src");
  var every = 1000 * (Number(source.getAttribute("data-every")) || 1);
  var failures = 0;

  function later() { window.setTimeout(poll, every); }

  function stopped() { if (note) { note.hidden = false; } }

  function poll() {
    if (document.hidden) { later(); return; }   // a background tab asks for nothing
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual",
                 headers: { "Accept": "text/html" } })
      .then(function (response) {
        // Signed out (a redirect to the sign-in page) or refused: stop asking.
        if (response.type === "opaqueredirect" || response.status === 401 ||
            response.status === 403) { stopped(); return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .getElementById("live-board");
        if (fresh && fresh.innerHTML !== board.innerHTML) {
          board.replaceChildren.apply(board, Array.prototype.slice.call(fresh.childNodes));
        }
        failures = 0;
        if (note) { note.hidden = true; }
        later();
      })
      .catch(function () {
        failures += 1;                // a blip (a restart, the network): keep trying a while
        if (failures >= 3) { stopped(); }
        if (failures < 120) { later(); }
      });
  }

  later();
}());
