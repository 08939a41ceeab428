// fedpress admin: small enhancements. Every form works without this file.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function csrfToken(form) {
    var f = form && form.querySelector("input[name=csrf]");
    return f ? f.value : "";
  }

  // Insert text at the cursor of a textarea, as its own paragraph.
  function insertAtCursor(area, text) {
    var start = area.selectionStart, end = area.selectionEnd, v = area.value;
    var before = v.slice(0, start), after = v.slice(end);
    if (before && !/\n\n$/.test(before)) text = (/\n$/.test(before) ? "\n" : "\n\n") + text;
    if (after && !/^\n\n/.test(after)) text += /^\n/.test(after) ? "\n" : "\n\n";
    area.focus();
    area.setRangeText ? area.setRangeText(text, start, end, "end") : (area.value = before + text + after);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (e) {
    var ins = e.target.closest("[data-insert]");
    if (ins) {
      var area = document.getElementById(ins.getAttribute("data-target") || "body");
      if (area) { insertAtCursor(area, ins.getAttribute("data-insert")); }
      return;
    }
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var text = copy.getAttribute("data-copy"), label = copy.textContent;
      var done = function () { copy.textContent = "Copied"; setTimeout(function () { copy.textContent = label; }, 1500); };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(done, function () {});
      }
    }
  });

  // Read-only snippets select themselves, ready to copy.
  document.addEventListener("focusin", function (e) {
    if (e.target.classList && e.target.classList.contains("snippet")) e.target.select();
  });

  // Confirm destructive forms.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Publish date: show and edit it in the browser's time zone, send UTC.
  document.querySelectorAll("input[type=datetime-local][data-utc]").forEach(function (input) {
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var utc = input.getAttribute("data-utc");
    if (utc) {
      var d = new Date(utc);
      if (!isNaN(d)) {
        input.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
      }
    }
    var label = input.form && input.form.querySelector(".js-tz");
    if (label) {
      try { label.textContent = "(" + Intl.DateTimeFormat().resolvedOptions().timeZone + ")"; } catch (_) { label.textContent = "(your time zone)"; }
    }
    var hidden = input.form && input.form.querySelector("input[name=published_utc]");
    if (hidden) {
      input.form.addEventListener("submit", function () {
        var d = input.value ? new Date(input.value) : null;
        hidden.value = d && !isNaN(d) ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "";
      });
    }
  });

  // Warn before leaving an editor with unsaved changes.
  document.querySelectorAll("form[data-dirty-check]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    // autosave.js saved a draft: nothing left to lose.
    form.addEventListener("fedpress:saved", function () { dirty = false; });
    form.addEventListener("submit", function (e) {
      // Preview opens a new tab: the editor stays, still unsaved.
      if (!(e.submitter && e.submitter.hasAttribute("formaction"))) dirty = false;
    });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) { e.preventDefault(); e.returnValue = ""; }
    });
  });

  // Upload from the editor without leaving it; the image goes in at the cursor.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var status = form.querySelector(".upload-status");
    var say = function (text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("error", !!isError);
    };
    form.addEventListener("submit", function (e) {
      if (!window.fetch || !window.FormData) return;
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      say("Uploading…");
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(form) }
      }).then(function (res) {
        return res.json().catch(function () {
          return { error: res.status === 413 ? "File too large." : "Upload failed (" + res.status + ")." };
        });
      }).then(function (data) {
        if (data.error) { say(data.error, true); return; }
        var area = document.getElementById(form.getAttribute("data-target") || "body");
        if (area) insertAtCursor(area, data.markdown);
        say("Uploaded and inserted: " + data.markdown);
        form.reset();
        var list = document.querySelector("[data-media-list]");
        if (list) {
          var li = document.createElement("li");
          var img = document.createElement("img");
          img.src = data.url; img.alt = ""; img.width = data.width; img.height = data.height;
          var snip = document.createElement("input");
          snip.className = "snippet"; snip.readOnly = true; snip.value = data.markdown;
          snip.setAttribute("aria-label", "Markdown for " + data.name);
          var btn = document.createElement("button");
          btn.type = "button"; btn.className = "button button-small"; btn.textContent = "Insert";
          btn.setAttribute("data-insert", data.markdown); btn.setAttribute("data-target", area ? area.id : "body");
          li.append(img, snip, btn);
          list.prepend(li);
        }
      }).catch(function () {
        say("Upload failed: the server could not be reached.", true);
      }).finally(function () { button.disabled = false; });
    });
  });
})();
