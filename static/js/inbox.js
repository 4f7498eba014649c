// Inbox: keyboard shortcuts, live-list upkeep and presence. Every page works without this file: links are
// real links, actions are forms, and polling is htmx's (this file only tidies what it brings).
(function () {
  "use strict";

  var selectedId = null; // the list row under the keyboard cursor, kept across live updates

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function rowsList() { return document.getElementById("conversation-rows"); }
  function rows() { var list = rowsList(); return list ? $all(":scope > li.conversation-row", list) : []; }

  // --- Selection in the list ----------------------------------------------------------------------------

  function select(row, focus) {
    rows().forEach(function (r) { r.classList.remove("is-selected"); });
    if (!row) { selectedId = null; return; }
    row.classList.add("is-selected");
    selectedId = row.id;
    if (focus) {
      var link = $(".row-link", row);
      if (link) link.focus();
    }
  }

  function selectedRow() {
    return selectedId ? document.getElementById(selectedId) : null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selectedRow());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next], true);
  }

  // A click or focus on a row makes it the keyboard's row too.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("li.conversation-row");
    if (row) select(row, false);
  });

  // --- Bulk form shortcuts: act on the ticked rows, else on the selected one ------------------------------

  function submitBulk(shortcut) {
    var button = $('#bulk-form [data-shortcut="' + shortcut + '"]');
    if (!button) return false;
    var ticked = $all("#conversation-rows .row-check:checked");
    if (!ticked.length) {
      var row = selectedRow();
      var box = row && $(".row-check", row);
      if (!box) return false;
      box.checked = true;
    }
    button.click(); // a click, not requestSubmit(): htmx takes the submitter from the last clicked button
    return true;
  }

  function clickShortcut(shortcut) {
    var button = $('[data-shortcut="' + shortcut + '"]');
    if (!button) return false;
    button.click();
    return true;
  }

  // --- Keyboard -------------------------------------------------------------------------------------------

  function typing(target) {
    if (!target || !target.closest) return false;
    var field = "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit]), textarea, select";
    return Boolean(target.closest(field + ", [contenteditable]:not([contenteditable=false])"));
  }

  function openHelp() {
    var dialog = document.getElementById("shortcuts-help");
    if (dialog && !dialog.open && typeof dialog.showModal === "function") dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
    if (opener) { event.preventDefault(); openHelp(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    var dialog = document.getElementById("shortcuts-help");
    if (dialog && dialog.open) return; // the dialog closes itself on Escape
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter": {
        var row = selectedRow();
        var link = row && $(".row-link", row);
        // Enter on a focused link or button does its own thing (a row's link opens it in the pane).
        if (!link || (event.key === "Enter" && event.target !== document.body)) { handled = false; break; }
        openConversation(link.href, true);
        break;
      }
      case "x": {
        var box = selectedRow() && $(".row-check", selectedRow());
        if (box) box.checked = !box.checked; else handled = false;
        break;
      }
      case "e": handled = submitBulk("resolve") || clickShortcut("resolve"); break;
      case "a": handled = submitBulk("assign-me") || clickShortcut("assign-me"); break;
      case "r": {
        var reply = document.getElementById("reply-text");
        if (reply) reply.focus(); else handled = false;
        break;
      }
      case "u": {
        var back = $('[data-shortcut="back"]');
        if (back && split()) closePane(true);
        else if (back) window.location.assign(back.href);
        else handled = false;
        break;
      }
      case "/": {
        var search = document.getElementById("inbox-search");
        if (search) { search.focus(); search.select(); } else handled = false;
        break;
      }
      case "?": openHelp(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // --- Live list: after htmx swaps rows in, drop duplicates, keep the page's order, restore the cursor ------

  function compare(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function tidy() {
    var list = rowsList();
    if (!list) return;
    var seen = {};
    rows().forEach(function (row) {
      if (seen[row.id]) row.remove(); else seen[row.id] = true;
    });
    var descending = list.getAttribute("data-sort") === "desc";
    var current = rows();
    var sorted = current.slice().sort(function (a, b) {
      var order = compare(a.getAttribute("data-sort-key") || "", b.getAttribute("data-sort-key") || "");
      return descending ? -order : order;
    });
    var changed = sorted.some(function (row, i) { return row !== current[i]; });
    if (changed) {
      var active = document.activeElement;
      var focusedRow = active && active.closest && active.closest("li.conversation-row");
      sorted.forEach(function (row) { list.appendChild(row); });
      if (focusedRow && document.activeElement !== active) { var moved = $(".row-link", focusedRow); if (moved) moved.focus(); }
    }
    // New rows that sort after everything loaded belong to a page not loaded yet: "Load more" brings them.
    if ($("#inbox-pager [data-more]")) {
      var all = rows();
      while (all.length && all[all.length - 1].hasAttribute("data-live")) all.pop().remove();
    }
    rows().forEach(function (row) { row.removeAttribute("data-live"); });
    var row = selectedRow();
    if (row) row.classList.add("is-selected");
    markOpenRow();
    // The focused row was redrawn by the swap: put the focus back on its new copy.
    if (focusBeforeSwap && (document.activeElement === document.body || !document.activeElement)) {
      var redrawn = document.getElementById(focusBeforeSwap);
      var link = redrawn && $(".row-link", redrawn);
      if (link) link.focus();
    }
    focusBeforeSwap = null;
  }

  var focusBeforeSwap = null;
  function rememberFocus() {
    var active = document.activeElement;
    var row = active && active.closest && active.closest("li.conversation-row");
    if (row && !focusBeforeSwap) focusBeforeSwap = row.id;
  }
  document.addEventListener("htmx:beforeSwap", rememberFocus);
  document.addEventListener("htmx:oobBeforeSwap", rememberFocus);

  var tidyQueued = false;
  function queueTidy() {
    if (tidyQueued) return;
    tidyQueued = true;
    window.setTimeout(function () { tidyQueued = false; tidy(); }, 0);
  }
  document.addEventListener("htmx:oobAfterSwap", queueTidy);
  document.addEventListener("htmx:afterSettle", queueTidy);

  // Shareable filter URLs: leave the empty fields out of the query string htmx builds and pushes.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "inbox-filters") return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "" || (name === "status" && params[name] === "open") ||
          (name === "assignee" && params[name] === "anyone") || (name === "sort" && params[name] === "newest")) {
        delete params[name];
      }
    });
  });

  // --- Split view: the list's rows open their conversation in the pane beside it ----------------------------
  // The pane is the server's own partial of the conversation page (HX-Target: conversation-pane), fetched
  // through htmx so its forms and polls work as on the full page; the address bar follows (pushState), the
  // back button goes back through what was opened, and every URL also renders the same split page itself.

  function split() { return document.getElementById("inbox-split"); }

  // A filtered list that lands while a conversation is open keeps that conversation in the address bar:
  // the pane still shows it, so the URL says so too (with the new filters), whatever order the answers came in.
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var detail = event.detail;
    var elt = detail && detail.requestConfig && detail.requestConfig.elt;
    if (!detail.history || !elt || elt.id !== "inbox-filters") return;
    var box = split();
    var open = box && box.classList.contains("has-conversation") ? conversationIdOf(window.location.href) : null;
    if (!open) return;
    var filtered = new URL(detail.history.path, window.location.href);
    detail.history.path = window.location.pathname + filtered.search;
  });
  function pane() { return document.getElementById("conversation-pane"); }

  function conversationIdOf(url) {
    var match = /\/inbox\/(\d+)\/$/.exec(new URL(url, window.location.href).pathname);
    return match ? match[1] : null;
  }

  function markOpenRow() {
    var open = split() && split().classList.contains("has-conversation") ? conversationIdOf(window.location.href) : null;
    $all("#conversation-rows .row-link").forEach(function (link) {
      var row = link.closest("li.conversation-row");
      if (open && row && row.getAttribute("data-id") === open) {
        link.setAttribute("aria-current", "true");
        row.classList.remove("is-unread"); // opening it read it
        var dot = $(".unread-dot", row);
        if (dot) dot.remove();
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  function setTitle() {
    var box = split();
    var conv = $(".pane-conversation", pane());
    var suffix = box ? box.getAttribute("data-title-suffix") : "";
    document.title = conv ? conv.getAttribute("data-title") + " · " + suffix : suffix;
  }

  function leavePresence() {
    var poll = document.getElementById("presence-poll");
    if (!poll) return;
    if (!navigator.sendBeacon) return;
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { headers = {}; }
    var data = new FormData();
    data.append("state", "left");
    data.append("csrfmiddlewaretoken", headers["X-CSRFToken"] || "");
    navigator.sendBeacon(poll.getAttribute("data-presence-url"), data);
  }

  function openConversation(url, push) {
    var box = split();
    if (!box || !window.htmx || !conversationIdOf(url)) { window.location.assign(url); return; }
    leavePresence();
    window.htmx.ajax("GET", url, { target: "#conversation-pane", swap: "innerHTML" }).then(function () {
      if (!$(".pane-conversation", pane())) { window.location.assign(url); return; } // not what we asked
      if (push) window.history.pushState({ inboxPane: url }, "", url);
      box.classList.add("has-conversation");
      setTitle();
      markOpenRow();
      // One column (phones): the list is hidden now, so the conversation's heading takes the focus.
      var list = $(".inbox-list-column", box);
      if (list && list.offsetParent === null) {
        var heading = $(".pane-conversation h1", pane());
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        window.scrollTo(0, 0);
      }
    }, function () { window.location.assign(url); });
  }

  function closePane(push) {
    var box = split();
    if (!box) return;
    leavePresence();
    var url = box.getAttribute("data-inbox-url") + window.location.search;
    if (push) window.history.pushState({ inboxPane: "" }, "", url);
    box.classList.remove("has-conversation");
    var empty = document.getElementById("pane-empty-template");
    pane().replaceChildren(empty ? empty.content.cloneNode(true) : "");
    setTitle();
    markOpenRow();
    var row = selectedRow();
    var link = row && $(".row-link", row);
    if (link) link.focus();
  }

  // A poll sent from a conversation that has since left the pane answers for nothing on the page: drop it
  // rather than let its out-of-band parts look for their places in another conversation.
  // (A detached element's events do not bubble to the document: the listener goes on the element itself.)
  function dropIfDetached(event) {
    if (!document.body.contains(event.currentTarget)) event.preventDefault();
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.closest && elt.closest("#conversation-pane")) {
      elt.removeEventListener("htmx:beforeOnLoad", dropIfDetached);
      elt.addEventListener("htmx:beforeOnLoad", dropIfDetached);
    }
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest("a[data-open-pane], a[data-close-pane]");
    if (!link || !split()) return;
    event.preventDefault();
    if (link.hasAttribute("data-close-pane")) closePane(true);
    else openConversation(link.href, true);
  });

  window.addEventListener("popstate", function (event) {
    if (!split() || (event.state && event.state.htmx)) return; // htmx restores the pages it pushed itself
    if (conversationIdOf(window.location.href)) openConversation(window.location.href, false);
    else if (split().classList.contains("has-conversation")) closePane(false);
  });

  // --- Presence: "replying" while the reply box has focus or was typed in lately ---------------------------

  var lastInput = 0;
  function presenceState() { return document.getElementById("presence-state"); }
  function setPresence(value) {
    var input = presenceState();
    if (!input || input.value === value) return;
    input.value = value;
    if (window.htmx) window.htmx.trigger(document.body, "presence-change");
  }
  function isReplyBox(target) { return target && target.id === "reply-text"; }

  document.addEventListener("focusin", function (event) { if (isReplyBox(event.target)) setPresence("replying"); });
  document.addEventListener("input", function (event) {
    if (isReplyBox(event.target)) { lastInput = Date.now(); setPresence("replying"); }
  });
  document.addEventListener("focusout", function (event) {
    if (!isReplyBox(event.target)) return;
    var box = event.target;
    window.setTimeout(function () {
      if (document.activeElement === box) return;
      var drafting = box.value && box.value.trim() && Date.now() - lastInput < 30000;
      if (!drafting) setPresence("viewing");
    }, 1500);
  });

  // Leaving the page: say so at once rather than waiting for the entry to expire.
  window.addEventListener("pagehide", leavePresence);
})();
