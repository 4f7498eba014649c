// Reply composer: live length counter (X's weighted count approximated here; the server's count is the one
// that decides), saved replies inserted at the cursor, /shortcut + Tab, Ctrl+Enter to send.
// The composer works without this file: the counter is drawn by the server, the picker has an Insert button.
(function () {
  "use strict";
  if (window.cmhubComposer) return; // included by every composer fragment: set up once
  window.cmhubComposer = true;

  // --- X's weighted length (twitter-text v3 rules, approximated) --------------------------------------

  var URL_WEIGHT = 23;
  var TLDS = "com|net|org|info|biz|edu|gov|io|co|app|dev|ai|me|tv|xyz|online|site|shop|store|blog|news|tech|" +
    "cloud|media|social|live|page|link|art|club|design|agency|eu|fr|uk|de|us|ca";
  var URL_RE = new RegExp(
    "https?://[^\\s<>\"]+" +
    "|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:(?:" + TLDS + ")\\b(?::\\d+)?(?:/[^\\s<>\"]*)?|[a-z]{2}(?::\\d+)?/[^\\s<>\"]*)",
    "gi"
  );
  var TRAILING = ".,;:!?'\")]}";
  var LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  var PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function codePointWeight(cp) {
    for (var i = 0; i < LIGHT.length; i++) {
      if (cp >= LIGHT[i][0] && cp <= LIGHT[i][1]) return 1;
    }
    return 2;
  }

  function plainWeight(text) {
    var total = 0;
    var pieces = segmenter ? Array.from(segmenter.segment(text), function (s) { return s.segment; }) : Array.from(text);
    pieces.forEach(function (piece) {
      if (/^[\u00a9\u00ae]$/.test(piece)) { total += 1; return; } // (c) and (R) are emoji only in emoji style
      if (PICTOGRAPHIC.test(piece) || /^[0-9#*]\ufe0f?\u20e3$/.test(piece)) { total += 2; return; } // one emoji
      Array.from(piece).forEach(function (ch) { total += codePointWeight(ch.codePointAt(0)); });
    });
    return total;
  }

  function xWeightedLength(text) {
    text = text.normalize ? text.normalize("NFC") : text;
    var total = 0;
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var start = match.index;
      var before = start > 0 ? text.charAt(start - 1) : "";
      if (!/^https?:/i.test(match[0]) && /[\w@#$./-]/.test(before)) continue; // "node.js" inside a word
      var end = start + match[0].length;
      while (end > start && TRAILING.indexOf(text.charAt(end - 1)) >= 0) end--;
      total += plainWeight(text.slice(last, start)) + URL_WEIGHT;
      last = end;
      URL_RE.lastIndex = end;
    }
    return total + plainWeight(text.slice(last));
  }

  function lengthOf(field) {
    return field.getAttribute("data-weighted") === "1" ? xWeightedLength(field.value) : Array.from(field.value).length;
  }

  // --- Counter ------------------------------------------------------------------------------------------

  function counterFor(field) {
    var id = field.id === "reply-text" ? "reply-count" : field.getAttribute("data-count");
    return id ? document.getElementById(id) : null;
  }

  function updateCount(field) {
    var counter = counterFor(field);
    var limit = parseInt(field.getAttribute("data-limit") || "0", 10);
    if (!counter || !limit) return;
    var length = lengthOf(field);
    // Only the figures change: the server's words around them ("as X counts") stay.
    var figures = counter.querySelector(".composer-figures");
    if (!figures) {
      figures = document.createElement("span");
      figures.className = "composer-figures";
      counter.insertBefore(figures, counter.firstChild);
    }
    figures.textContent = length + " / " + limit;
    counter.classList.toggle("is-over", length > limit);
  }

  function isCounted(el) {
    return el && el.tagName === "TEXTAREA" && el.hasAttribute("data-limit");
  }

  document.addEventListener("input", function (event) {
    if (isCounted(event.target)) updateCount(event.target);
    if (event.target.id === "reply-text") showShortcutHint(event.target);
  });

  function countAll() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-limit]"), updateCount);
  }
  document.addEventListener("DOMContentLoaded", countAll);
  document.addEventListener("htmx:afterSettle", countAll);
  document.addEventListener("toggle", function (event) {
    if (event.target.tagName === "DETAILS") countAll();
  }, true);

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

  // Exposed for the browser tests and the curious: the same count the counter shows.
  window.cmhubXWeightedLength = xWeightedLength;
})();
