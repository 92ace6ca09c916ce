// Casting from a vote page with JavaScript. The form posts to the lean endpoint
// (/cast/<poll>/) either way; without JavaScript the browser follows its 303 back to the vote
// page, which shows the receipt once. With JavaScript the same request asks for JSON and the
// receipt is shown in place. A busy server answers 503 with Retry-After: ask again after it,
// a few times. A ballot may have been stored when an answer was lost on the way, so a retry
// answered "already voted" means recorded. Kept in one function, apart from the live updates.
(function () {
  "use strict";
  var TRIES = 6;

  function say(form, text) {
    var status = form.querySelector("[data-cast-status]");
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }

  // The form gives way to "recorded" (what the live region will say too); the receipt goes
  // in its slot outside the live region, where no live update replaces it.
  function showReceipt(form, receipt) {
    var done = document.createElement("p");
    done.className = "msg success";
    done.id = "cast-ok";
    done.setAttribute("tabindex", "-1");
    done.textContent = form.dataset.done || "";
    form.replaceWith(done);
    var template = document.getElementById("cast-receipt-template");
    var slot = document.getElementById("cast-receipt-slot");
    if (receipt && template && slot) {
      var shown = template.content.cloneNode(true);
      shown.querySelector("input").value = receipt;
      slot.replaceChildren(shown);
    }
    done.focus();
  }

  function castInPlace(form, tries) {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    function again(wait, text) {
      if (tries + 1 >= TRIES) {
        if (button) button.disabled = false;
        say(form, text);
        return;
      }
      say(form, text);
      window.setTimeout(function () { castInPlace(form, tries + 1); }, wait * 1000);
    }
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok && data.ok) { showReceipt(form, data.receipt); return; }
        if (tries > 0 && data.code === "already_voted") { showReceipt(form, null); return; }
        if (response.status === 503) {
          var wait = parseInt(response.headers.get("Retry-After") || "2", 10) || 2;
          again(wait, data.message || form.dataset.busy);
          return;
        }
        if (button) button.disabled = false;
        say(form, data.message || form.dataset.failed);
      });
    }).catch(function () { again(2, form.dataset.offline); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-cast]");
    if (!form || !window.fetch || !window.URLSearchParams) return;
    event.preventDefault();
    castInPlace(form, 0);
  });
})();
