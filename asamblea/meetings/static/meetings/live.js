// Live meeting pages: progressive enhancement only, every page works without this file.
// The page's live region is a server-rendered fragment; when the meeting's event stream says
// something changed, the fragment is fetched again. Without a stream (no EventSource, Redis
// down, network trouble) the fragment is polled every few seconds instead.
(function () {
  "use strict";
  var region = document.getElementById("live");
  if (!region || !window.fetch) { return; }
  var liveUrl = region.getAttribute("data-live-url");
  var streamUrl = region.getAttribute("data-stream-url");
  var mode = "polling";
  var inflight = false;
  var pending = false;
  var debounce = null;
  var pollTimer = null;
  var loadedAt = Date.now();

  function showStatus() {
    region.setAttribute("data-mode", mode);
    var el = document.getElementById("live-status");
    if (el) { el.textContent = el.getAttribute("data-" + mode) || ""; }
  }

  function typing() {
    var a = document.activeElement;
    return a && region.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) &&
      a.type !== "radio";
  }

  function refresh() {
    if (inflight || typing()) { pending = true; return; }
    inflight = true;
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        loadedAt = Date.now();
        showStatus();
        tick();
      })
      .catch(function () { /* keep the last good view; the next event or poll retries */ })
      .then(function () {
        inflight = false;
        if (pending) { pending = false; schedule(); }
      });
  }

  function schedule() {
    if (debounce) { return; }
    debounce = setTimeout(function () { debounce = null; refresh(); }, 80);
  }

  region.addEventListener("focusout", function () {
    if (pending) { pending = false; schedule(); }
  });

  function startPolling() {
    mode = "polling";
    showStatus();
    if (!pollTimer) { pollTimer = setInterval(refresh, 3000); }
  }

  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (!window.EventSource || !streamUrl) { startPolling(); return; }
    var source = new EventSource(streamUrl);
    source.addEventListener("hello", function () {
      stopPolling();
      mode = "connected";
      schedule(); // catch up with anything that changed while not connected
    });
    source.onmessage = schedule;
    source.addEventListener("reset", schedule);
    source.addEventListener("degraded", startPolling);
    source.onerror = function () {
      startPolling();
      if (source.readyState === 2) { setTimeout(connect, 10000); }
    };
  }

  // Speaking timers count on the client between updates; the server's figure wins on refresh.
  function tick() {
    var timers = region.querySelectorAll("[data-timer]");
    for (var i = 0; i < timers.length; i++) {
      var t = timers[i];
      var seconds = parseInt(t.getAttribute("data-timer"), 10) || 0;
      var limit = parseInt(t.getAttribute("data-limit"), 10) || 0;
      if (t.getAttribute("data-running") === "1") {
        seconds += Math.floor((Date.now() - loadedAt) / 1000);
      }
      t.textContent = seconds + " s" + (limit ? " / " + limit + " s" : "");
      t.classList.toggle("over", limit > 0 && seconds > limit);
    }
  }

  setInterval(tick, 1000);
  showStatus();
  connect();
})();
