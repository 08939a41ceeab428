// fedpress editor autosave. A draft (or a new article, which becomes a
// draft) is saved while the author writes; a published article's changes
// are kept aside in an autosave revision, never over what readers see.
// Without this file the editor works the same, without autosave.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) return;

  var delay = parseInt(form.getAttribute("data-autosave-delay"), 10) || 10000;
  var status = form.querySelector(".autosave-status");
  var timer = null, inflight = null, changed = false;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  // The attribute, not form.action: the buttons named "action" shadow it.
  function isNew() {
    return /\/admin\/articles$/.test(form.getAttribute("action"));
  }

  function hasText() {
    var t = form.querySelector("[name=title]"), b = form.querySelector("[name=body]");
    return (t && t.value.trim() !== "") || (b && b.value.trim() !== "");
  }

  // The publish date as admin.js sends it: the browser's time, in UTC.
  function fillUTC() {
    var input = form.querySelector("input[type=datetime-local]");
    var hidden = form.querySelector("input[name=published_utc]");
    if (!input || !hidden) return;
    var d = input.value ? new Date(input.value) : null;
    hidden.value = d && !isNaN(d) ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "";
  }

  function save(keepalive) {
    timer = null;
    if (!changed || !hasText()) return Promise.resolve();
    if (inflight) return inflight.then(function () { return save(keepalive); });
    changed = false;
    fillUTC();
    var body = new URLSearchParams(new FormData(form));
    var csrf = form.querySelector("input[name=csrf]");
    say("Saving…");
    inflight = fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: body, credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" }
    }).then(function (res) {
      return res.json().catch(function () {
        return { error: res.status === 403 ?
          "Not saved automatically: you may have been logged out. Log in again in another tab, then keep writing here." :
          "Not saved automatically: the server had a problem. Keep this page open." };
      });
    }).then(function (data) {
      if (data.error) { changed = true; say(data.error, true); return; }
      if (isNew() && data.action) {
        // The new article exists now: later saves and the buttons update it.
        form.setAttribute("action", data.action);
        form.setAttribute("data-autosave", data.autosave_url);
        var back = document.querySelector("input[name=return_to]");
        if (back) back.value = data.edit_url;
        if (window.history && history.replaceState) history.replaceState(null, "", data.edit_url);
      }
      if (data.saved === "draft") {
        say("Draft saved automatically, " + data.time + ".");
        if (!changed) form.dispatchEvent(new CustomEvent("fedpress:saved"));
      } else if (data.saved === "autosave") {
        say("Changes kept aside, " + data.time + ". Readers see them when you update.");
      }
    }).catch(function () {
      changed = true;
      say("Not saved automatically: the server could not be reached. Keep this page open.", true);
    }).finally(function () { inflight = null; });
    return inflight;
  }

  function schedule() {
    changed = true;
    if (!timer) timer = setTimeout(save, delay);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  // Leaving the tab: save now rather than wait.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && changed) {
      clearTimeout(timer);
      save(true);
    }
  });

  form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.hasAttribute("formaction")) return; // Preview
    clearTimeout(timer);
    timer = null;
    changed = false;
    // A new article's first autosave still on its way would make a second
    // article: send the form once it has answered, to the article it made.
    if (inflight && isNew()) {
      e.preventDefault();
      var submitter = e.submitter;
      inflight.then(function () { form.requestSubmit(submitter); });
    }
  });
})();
