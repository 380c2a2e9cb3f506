// A little JavaScript where it helps; every page works without it.
// 1. The elder's check-in code refreshes itself (data-refresh on its container).
// 2. Where the browser can read QR codes from the camera, a "扫码" button fills the code field.
// 3. The check-in and check-out forms ask for the phone's position and send it with the code.
(function () {
  "use strict";

  function refreshCode(box) {
    var url = box.getAttribute("data-refresh");
    var every = Number(box.getAttribute("data-every") || "15") * 1000;
    setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-code-part]");
          var old = box.querySelector("[data-code-part]");
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
        })
        .catch(function () { /* offline: the last code stays on screen */ });
    }, every);
  }

  function setUpScan(button) {
    var target = document.getElementById(button.getAttribute("data-target"));
    var video = document.getElementById(button.getAttribute("data-video"));
    if (!target || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          return video.play().then(function () { return stream; });
        })
        .then(function (stream) {
          var tries = 0;
          function look() {
            detector.detect(video).then(function (codes) {
              var raw = codes.length ? String(codes[0].rawValue) : "";
              var digits = raw.replace("timebank-checkin:", "");
              if (/^[0-9]{6}$/.test(digits)) {
                target.value = digits;
                stream.getTracks().forEach(function (t) { t.stop(); });
                video.hidden = true;
                target.focus();
              } else if (tries++ < 600) {
                requestAnimationFrame(look);
              }
            }).catch(function () { video.hidden = true; });
          }
          look();
        })
        .catch(function () { button.hidden = true; });
    });
  }

  function askPosition(form) {
    var status = form.querySelector("[data-geo-status]");
    var lat = form.querySelector("input[name=lat]");
    var lon = form.querySelector("input[name=lon]");
    if (!status || !lat || !lon || !navigator.geolocation) { return; }
    function say(which) {
      status.textContent = status.getAttribute("data-" + which);
      status.hidden = false;
    }
    say("asking");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        say("found");
      },
      function () { say("none"); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refreshCode);
    document.querySelectorAll("[data-scan]").forEach(setUpScan);
    document.querySelectorAll("form[data-geo]").forEach(askPosition);
  });
})();
