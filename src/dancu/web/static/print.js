// A [data-print] button prints the page (the browser's own dialog). Without this script the
// page says to use the browser's Print command; the button stays hidden.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
