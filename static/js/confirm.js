// Destructive actions ask first. A form (or its submit button) carrying data-confirm="Question?" is sent
// only when the person accepts; dismissing leaves everything as it was. The listener runs in the capture
// phase, before htmx's own submit handler, so htmx forms (hx-post) ask the same way as plain ones. No inline
// script: the question is in the attribute, translated by the template.
(function () {
  "use strict";

  function question(form, submitter) {
    if (submitter && submitter.hasAttribute("data-confirm")) return submitter.getAttribute("data-confirm");
    return form.getAttribute("data-confirm");
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var text = question(form, event.submitter);
      if (!text || window.confirm(text)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    },
    true
  );
})();
