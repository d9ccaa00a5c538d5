// The tenant log follows itself: every five seconds, while the page is visible and not paused,
// the first page's rows are fetched again (the same page, partial=rows) and swapped in. The rows
// are parsed by DOMParser, which runs no script, from HTML the server escaped. Without this
// script the page is an ordinary list with a pager.
(function () {
  "use strict";
  var table = document.querySelector("table[data-live]");
  if (!table) return;
  var url = table.getAttribute("data-live");
  var status = document.getElementById("live-status");
  var toggle = document.getElementById("live-toggle");
  var paused = false, stopped = false, busy = false;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.setAttribute("aria-pressed", String(!paused));
    toggle.textContent = paused ? "Resume live updates" : "Pause live updates";
    status.textContent = paused ? "Live updates paused." : "Live updates on.";
    if (!paused) refresh();
  });
  status.textContent = "Live: new events appear here as they happen.";

  function firstID(tbody) {
    var row = tbody.querySelector("tr[data-id]");
    return row ? row.getAttribute("data-id") : "";
  }

  function refresh() {
    if (paused || stopped || busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", redirect: "error", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        var range = r.headers.get("X-Log-Range");
        var pager = document.querySelector(".pager .muted");
        var n = (range || "").split(" ");
        if (n.length === 3 && pager) pager.textContent = n[0] + "\u2013" + n[1] + " of " + n[2];
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString("<table><tbody>" + html + "</tbody></table>", "text/html");
        var fresh = doc.querySelector("tbody");
        var old = table.querySelector("tbody");
        var before = firstID(old);
        var added = 0;
        var rows = fresh.querySelectorAll("tr[data-id]");
        for (var i = 0; i < rows.length && rows[i].getAttribute("data-id") !== before; i++) added++;
        if (firstID(fresh) !== before) {
          old.replaceWith(document.adoptNode(fresh));
        }
        var now = new Date().toLocaleTimeString();
        status.textContent = added && before ? added + " new event" + (added === 1 ? "" : "s") + " at " + now + "." : "Live: checked at " + now + ".";
      })
      .catch(function () {
        stopped = true;
        toggle.hidden = true;
        status.textContent = "Live updates stopped (your session may have ended). Reload the page to continue.";
      })
      .finally(function () { busy = false; });
  }
  setInterval(refresh, 5000);
  document.addEventListener("visibilitychange", refresh);
})();
