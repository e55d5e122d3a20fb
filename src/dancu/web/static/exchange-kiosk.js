// The self-service kiosk: keep the scan field focused (a keyboard-emulating card or QR
// reader types a line and Enter into it), and go back to the empty start screen after
// data-idle seconds without a touch, a key or a scan, so nobody sees the last patient.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle") || "30", 10) * 1000;
  var home = body.getAttribute("data-home") || "/kiosk";
  var scan = document.getElementById("scan");
  var timer = null;

  function clear() {
    if (scan) { scan.value = ""; }
    if (window.location.pathname !== home) { window.location.replace(home); }
  }
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(clear, idle);
  }
  function refocus() {
    if (scan && document.activeElement !== scan) { scan.focus(); }
  }
  ["click", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  if (scan) { document.addEventListener("click", refocus); refocus(); }
  /* Only a page restored from the back-forward cache is cleared: on a fresh load, pageshow
     comes after the load event, and a reader may already have typed its line by then (a
     slow stylesheet): clearing it then lost the scan (the kiosk browser test's flake). */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && scan) { scan.value = ""; }
  });
  restart();
})();
