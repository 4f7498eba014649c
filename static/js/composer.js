// Reply composer: saved replies inserted at the cursor, /shortcut + Tab, Ctrl+Enter to send. The length
// counter is the server's (the textarea asks for it through htmx as the person types: one count, as the
// network counts). The composer works without this file: the picker has an Insert button.
(function () {
  "use strict";
  if (window.cmhubComposer) return; // included by every composer fragment: set up once
  window.cmhubComposer = true;

  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-text") showShortcutHint(event.target);
  });

  // --- Saved replies ------------------------------------------------------------------------------------

  function insertAtCursor(field, text) {
    var start = field.selectionStart || 0;
    var end = field.selectionEnd || 0;
    var before = field.value.slice(0, start);
    var after = field.value.slice(end);
    field.value = before + text + after;
    var caret = before.length + text.length;
    field.setSelectionRange(caret, caret);
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (picker.id !== "saved-reply") return;
    var option = picker.options[picker.selectedIndex];
    var field = document.getElementById("reply-text");
    if (option && option.value && field) insertAtCursor(field, option.getAttribute("data-text") || "");
    picker.value = "";
  });

  // --- Suggested answers (the assistant's fragment under the composer) ----------------------------------
  // Insert puts the answer in the box (replacing an empty box, else at the cursor) and remembers which
  // suggestion it was, so the server can record whether it went out as is or edited.

  function insertSuggestion(button) {
    var field = document.getElementById("reply-text");
    if (!field) return false;
    if (!field.value.trim()) {
      field.value = "";
      field.setSelectionRange(0, 0);
    }
    insertAtCursor(field, button.getAttribute("data-insert-text") || "");
    var form = document.getElementById("reply-form");
    var hidden = form ? form.querySelector("input[name='suggestion_id']") : null;
    if (hidden) hidden.value = button.getAttribute("data-suggestion-id") || "";
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".suggestion-insert") : null;
    if (!button) return;
    if (insertSuggestion(button)) event.preventDefault();
  });

  // A draft written by the language model arrives in #assistant-draft: it goes into the box the same way,
  // once (its Insert button stays for putting it in again). Nothing is sent: the person reads and sends.
  document.addEventListener("htmx:load", function () {
    var button = document.querySelector("#assistant-draft .suggestion-insert[data-autoinsert]");
    if (!button) return;
    button.removeAttribute("data-autoinsert");
    insertSuggestion(button);
  });

  function savedReplies() {
    var picker = document.getElementById("saved-reply");
    if (!picker) return [];
    return Array.prototype.filter.call(picker.options, function (o) { return o.getAttribute("data-shortcut"); });
  }

  function typedShortcut(field) {
    var before = field.value.slice(0, field.selectionStart || 0);
    var match = /(^|\s)\/([\w-]+)$/.exec(before);
    return match ? match[2].toLowerCase() : null;
  }

  function showShortcutHint(field) {
    var hint = document.getElementById("shortcut-hint");
    if (!hint) return;
    var typed = typedShortcut(field);
    var matches = typed ? savedReplies().filter(function (o) { return o.getAttribute("data-shortcut").indexOf(typed) === 0; }) : [];
    hint.textContent = matches.slice(0, 5).map(function (o) {
      return "/" + o.getAttribute("data-shortcut") + " → " + o.getAttribute("data-title");
    }).join("   ");
  }

  function expandShortcut(field) {
    var typed = typedShortcut(field);
    if (!typed) return false;
    var options = savedReplies();
    var exact = options.filter(function (o) { return o.getAttribute("data-shortcut") === typed; });
    var prefixed = options.filter(function (o) { return o.getAttribute("data-shortcut").indexOf(typed) === 0; });
    var chosen = exact[0] || (prefixed.length === 1 ? prefixed[0] : null);
    if (!chosen) return false;
    var caret = field.selectionStart;
    field.setSelectionRange(caret - typed.length - 1, caret);
    insertAtCursor(field, chosen.getAttribute("data-text") || "");
    showShortcutHint(field);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (field.id !== "reply-text") return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (field.form) field.form.requestSubmit();
      return;
    }
    if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey && expandShortcut(field)) {
      event.preventDefault();
    }
  });
})();
