// Publishing calendar: drag a scheduled post onto another day to move it. The drop fills in the post's own
// Move form (day changed, time of day kept) and submits it, so the server does exactly what the form does
// without JavaScript: it moves the post, then redirects back to this calendar with a message.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("table[data-calendar-move]");
    if (!table) return;
    var dragged = null;

    function dayOf(element) {
      return element && element.closest ? element.closest("td[data-date]") : null;
    }

    function clearTargets() {
      table.querySelectorAll(".is-drop-target").forEach(function (cell) {
        cell.classList.remove("is-drop-target");
      });
    }

    table.addEventListener("dragstart", function (event) {
      var entry = event.target.closest && event.target.closest("[data-post]");
      if (!entry) return;
      dragged = entry;
      entry.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", entry.getAttribute("data-post"));
    });

    table.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      dragged = null;
      clearTargets();
    });

    table.addEventListener("dragover", function (event) {
      var cell = dayOf(event.target);
      if (!cell || !dragged) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = "move";
      if (!cell.classList.contains("is-drop-target")) {
        clearTargets();
        cell.classList.add("is-drop-target");
      }
    });

    table.addEventListener("dragleave", function (event) {
      var cell = dayOf(event.target);
      if (cell && !cell.contains(event.relatedTarget)) cell.classList.remove("is-drop-target");
    });

    table.addEventListener("drop", function (event) {
      var cell = dayOf(event.target);
      if (!cell) return;
      event.preventDefault();
      clearTargets();
      var id = event.dataTransfer.getData("text/plain") || (dragged && dragged.getAttribute("data-post"));
      var form = id ? document.getElementById("move-" + id) : null;
      if (!form) return;
      var day = cell.getAttribute("data-date");
      if (day === form.elements.date.defaultValue) return; // dropped back where it was
      form.elements.date.value = day;
      form.elements.time.value = form.elements.time.defaultValue; // the time of day is kept
      var entry = form.closest("[data-post]");
      if (entry) {
        entry.classList.add("is-moving");
        cell.querySelector(".calendar-posts").appendChild(entry);
      }
      form.requestSubmit();
    });
  });
})();
