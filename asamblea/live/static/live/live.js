// Live pages (meetings, the projector, votes, consultations): progressive enhancement only,
// every page works without this file. The page's live region (#live) is a server-rendered
// fragment; when the page's event stream says something changed, the fragment is fetched again
// and merged into the page. Without a stream (no EventSource, Redis down, network trouble) the
// fragment is polled every few seconds instead.
//
// The merge never destroys what the person is doing: it changes only the nodes that differ and
// keeps every element it can (matched by id, by a form's action, by a control's name), so a
// half-made choice, a half-typed number or an open <details> survive any number of updates.
// Browsers keep what a person typed or ticked when only the default (the attribute) changes,
// and a <details> keeps the open state its reader gave it. A form disappears only when the
// server no longer offers it (the vote closed), never because something else changed.
(function () {
  "use strict";
  var region = document.getElementById("live");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  var liveUrl = region.getAttribute("data-live-url");
  var streamUrl = region.getAttribute("data-stream-url");
  var mode = "polling";
  var inflight = false;
  var pending = false;
  var debounce = null;
  var pollTimer = null;
  var loadedAt = Date.now();
  // A page fed by many streams (a consultation of many assemblies) fetches at most this often.
  var minInterval = parseInt(region.getAttribute("data-min-interval"), 10) || 0;

  // -- the merge ---------------------------------------------------------------------------

  // Two nodes are "the same element" when this key matches: the id when there is one,
  // otherwise the tag plus what tells forms and controls apart.
  function key(node) {
    if (node.nodeType !== 1) { return "#" + node.nodeType; }
    var k = node.nodeName;
    if (node.id) { return k + "#" + node.id; }
    var action = node.getAttribute("action");
    if (action !== null) { k += "@" + action; }
    var name = node.getAttribute("name");
    if (name !== null) { k += "!" + name; }
    var type = (node.getAttribute("type") || "").toLowerCase();
    if (node.nodeName === "OPTION" || node.nodeName === "BUTTON" ||
        type === "radio" || type === "checkbox") {
      k += "=" + node.getAttribute("value");
    }
    return k;
  }

  function syncAttributes(old, fresh) {
    var i, attr;
    for (i = old.attributes.length - 1; i >= 0; i--) {
      attr = old.attributes[i];
      // The reader opened or closed it; the server does not decide that.
      if (attr.name === "open" && old.nodeName === "DETAILS") { continue; }
      if (!fresh.hasAttribute(attr.name)) { old.removeAttribute(attr.name); }
    }
    for (i = 0; i < fresh.attributes.length; i++) {
      attr = fresh.attributes[i];
      if (attr.name === "open" && old.nodeName === "DETAILS") { continue; }
      if (old.getAttribute(attr.name) !== attr.value) { old.setAttribute(attr.name, attr.value); }
    }
  }

  function morphNode(old, fresh) {
    if (old.nodeType !== 1) {
      if (old.nodeValue !== fresh.nodeValue) { old.nodeValue = fresh.nodeValue; }
      return;
    }
    syncAttributes(old, fresh);
    if (old.nodeName === "DETAILS") { syncOpen(old, fresh); }
    morphChildren(old, fresh);
  }

  // The server may open a <details> that needs attention (a hand count to correct); it never
  // closes one, and a reader's own opening or closing stands until the server newly asks.
  function syncOpen(old, fresh) {
    var asked = fresh.hasAttribute("open");
    if (asked && !old._serverOpen) { old.open = true; }
    old._serverOpen = asked;
  }

  function rememberServerOpen(root) {
    var all = root.querySelectorAll("details");
    for (var i = 0; i < all.length; i++) { all[i]._serverOpen = all[i].hasAttribute("open"); }
  }

  function morphChildren(oldParent, freshParent) {
    var remaining = Array.prototype.slice.call(oldParent.childNodes);
    var fresh = Array.prototype.slice.call(freshParent.childNodes);
    var cursor = oldParent.firstChild;
    for (var n = 0; n < fresh.length; n++) {
      var wanted = key(fresh[n]);
      var match = null;
      for (var i = 0; i < remaining.length; i++) {
        if (remaining[i] && key(remaining[i]) === wanted) {
          match = remaining[i];
          remaining[i] = null;
          break;
        }
      }
      if (match) {
        morphNode(match, fresh[n]);
        if (match === cursor) { cursor = cursor.nextSibling; }
        else { oldParent.insertBefore(match, cursor); }
      } else {
        var added = document.importNode(fresh[n], true);
        if (added.nodeType === 1) {
          if (added.nodeName === "DETAILS") { added._serverOpen = added.hasAttribute("open"); }
          rememberServerOpen(added);
        }
        oldParent.insertBefore(added, cursor);
      }
    }
    for (var r = 0; r < remaining.length; r++) {
      if (remaining[r]) { oldParent.removeChild(remaining[r]); }
    }
  }

  function merge(html) {
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    morphChildren(region, doc.body);
  }

  // -- fetching ----------------------------------------------------------------------------

  function showStatus() {
    region.setAttribute("data-mode", mode);
    var el = document.getElementById("live-status");
    if (el) { el.textContent = el.getAttribute("data-" + mode) || ""; }
  }

  function refresh() {
    if (inflight) { pending = true; return; }
    inflight = true;
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        merge(html);
        loadedAt = Date.now();
        showStatus();
        tick();
        region.setAttribute("data-refreshed", String(loadedAt));
      })
      .catch(function () { /* keep the last good view; the next event or poll retries */ })
      .then(function () {
        inflight = false;
        if (pending) { pending = false; schedule(); }
      });
  }

  function schedule() {
    if (debounce) { return; }
    var wait = Math.max(80, minInterval - (Date.now() - loadedAt));
    debounce = setTimeout(function () { debounce = null; refresh(); }, wait);
  }

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

  rememberServerOpen(region);
  setInterval(tick, 1000);
  showStatus();
  connect();
})();
