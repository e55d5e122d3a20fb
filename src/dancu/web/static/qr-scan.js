// /verify: read a wallet document's QR code with the camera ([data-qr-scan]), decoded here
// by jsQR (/static/vendor/jsqr/, no CDN), and verify what it holds through the same form a
// pasted link goes through. The back camera of a phone when there is one; paste stays the
// fallback (no camera, refused, or a browser without camera access on plain HTTP).
(function () {
  "use strict";
  var root = document.querySelector("[data-qr-scan]");
  var media = navigator.mediaDevices;
  if (!root || !media || !media.getUserMedia || typeof window.jsQR !== "function") { return; }
  var form = document.querySelector("[data-testid=verify-form]");
  var input = form.querySelector("textarea");
  var start = root.querySelector("[data-qr-start]");
  var stop = root.querySelector("[data-qr-stop]");
  var video = root.querySelector("video");
  var status = root.querySelector("[data-qr-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var timer = null;
  var MAX_WIDTH = 800; // px of the frame decoded: enough for a QR held at a hand's length

  function say(name, detail) {
    status.textContent = root.getAttribute("data-say-" + name).replace("{detail}", detail || "");
  }

  function halt() {
    if (timer !== null) { window.clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.srcObject = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function found(text) {
    halt();
    say("found");
    // a link to this kind of server's short link: its path is enough (the token is ours)
    var link = null;
    try { link = new URL(text); } catch (e) { link = null; }
    input.value = link && link.pathname.indexOf("/v/") === 0 ? link.pathname : text;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function look() {
    timer = null;
    if (!stream) { return; }
    var w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      var scale = Math.min(1, MAX_WIDTH / w);
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var frame = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
      if (code && code.data) { found(code.data); return; }
    }
    timer = window.setTimeout(look, 200);
  }

  start.addEventListener("click", function () {
    say("starting");
    media.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        stop.focus();
        return video.play();
      })
      .then(function () { say("looking"); look(); })
      .catch(function (error) {
        halt();
        say("failed", error && error.name === "NotAllowedError" ? root.getAttribute("data-say-refused") : root.getAttribute("data-say-none"));
        input.focus();
      });
  });
  stop.addEventListener("click", function () { halt(); say("stopped"); start.focus(); });
  root.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && stream) { halt(); say("stopped"); start.focus(); }
  });
  window.addEventListener("pagehide", halt);
  root.hidden = false;
})();
