// Taking an attempt: save answers in the background and show the time left.
// The page works without this script: the buttons save and submit as plain forms.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var status = form.querySelector(".save-status");
  var timer = null;

  function save() {
    var data = new FormData(form);
    return fetch(form.dataset.saveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (status) { status.textContent = response.ok ? form.dataset.savedText || "✓" : ""; }
      return response.ok;
    }).catch(function () { return false; });
  }

  form.addEventListener("change", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 400);
  });

  var countdown = document.querySelector(".countdown");
  if (!countdown) { return; }
  var deadline = Date.parse(countdown.dataset.deadline);
  var value = countdown.querySelector(".countdown-value");
  var finalSave = false;

  function tick() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left <= 60) { countdown.classList.add("countdown-urgent"); }
    if (left <= 3 && !finalSave) {
      finalSave = true;
      save();
    }
    if (left === 0) {
      clearInterval(interval);
      form.submit();
    }
  }
  var interval = setInterval(tick, 1000);
  tick();
})();
