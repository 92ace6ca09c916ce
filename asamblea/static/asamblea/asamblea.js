// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Copy buttons (invitation links, receipt codes).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    navigator.clipboard.writeText(source.value || source.textContent.trim()).then(function () {
      button.setAttribute("data-done", "1");
    });
  });
  // Print buttons.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();
