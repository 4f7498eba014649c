// Post composer: shows the "different words on <channel>" box only for the channels ticked. The composer
// works without this file: every box is shown, and previews refresh through htmx or on save.
(function () {
  "use strict";

  function sync(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-override-for]"), function (box) {
      var box_channel = box.getAttribute("data-override-for");
      var tick = form.querySelector('input[data-channel="' + box_channel + '"]');
      box.hidden = !!tick && !tick.checked;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("post-form");
    if (!form) return;
    sync(form);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.hasAttribute("data-channel")) sync(form);
    });
  });
})();
