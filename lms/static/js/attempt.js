// Taking an attempt: save answers in the background, keep the navigator and the time left up
// to date, say the time left aloud at 5 and 1 minutes, warn before leaving unsaved answers.
// The page works without this script: the buttons save and submit as plain forms, the
// navigator is a list of links and the bar shows the time left when the page was served.
// Every word shown comes from the page (data attributes rendered in the reader's language).
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var status = document.querySelector(".save-status");
  var bar = document.querySelector(".exam-bar");
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));

  // --- Saving as one goes --------------------------------------------------------------------
  var changes = 0;        // edits made on this page
  var savedChanges = 0;   // edits the server has confirmed
  var saving = false;
  var saveAgain = false;
  var leaving = false;    // the form is being submitted: nothing to warn about
  var pending = null;

  function showStatus(ok) {
    if (status) {
      status.textContent = ok ? form.dataset.savedText || "✓" : form.dataset.notSavedText || "";
      status.classList.toggle("exam-save-failed", !ok);
    }
  }

  function save() {
    if (saving) {  // one request at a time, so an older answer never lands after a newer one
      saveAgain = true;
      return Promise.resolve(false);
    }
    saving = true;
    var sent = changes;
    return fetch(form.dataset.saveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.ok) { savedChanges = Math.max(savedChanges, sent); }
      showStatus(response.ok);
      return response.ok;
    }).catch(function () {
      showStatus(false);
      return false;
    }).then(function (ok) {
      saving = false;
      if (saveAgain) {
        saveAgain = false;
        save();
      }
      return ok;
    });
  }

  function unsaved() { return changes !== savedChanges; }

  function edited(event) {
    changes += 1;
    refreshNavigator();
    if (pending) { clearTimeout(pending); }
    // Typing waits for a pause; a click on an option is saved almost at once.
    pending = setTimeout(save, event.type === "input" && event.target.type === "text" ? 800 : 400);
  }

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  form.addEventListener("submit", function () { leaving = true; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && unsaved()) { save(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !unsaved()) { return; }
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  // --- Navigator: which questions have an answer ---------------------------------------------
  function isAnswered(fieldset) {
    var inputs = fieldset.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { return true; }
      } else if (input.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function refreshNavigator() {
    var count = 0;
    questions.forEach(function (fieldset) {
      var answered = isAnswered(fieldset);
      if (answered) { count += 1; }
      var legend = fieldset.querySelector("legend[id]");
      var link = legend && document.querySelector('.exam-nav-link[href="#' + legend.id + '"]');
      if (!link) { return; }
      link.classList.toggle("is-answered", answered);
      var yes = link.querySelector(".exam-nav-yes");
      var no = link.querySelector(".exam-nav-no");
      if (yes) { yes.hidden = !answered; }
      if (no) { no.hidden = answered; }
    });
    var counters = document.querySelectorAll(".exam-answered-count");
    for (var i = 0; i < counters.length; i += 1) { counters[i].textContent = String(count); }
  }
  refreshNavigator();

  // --- The bar: its height keeps jumped-to questions and focused fields out from under it ----
  if (bar) {
    bar.classList.add("exam-bar-live");
    var measure = function () {
      document.documentElement.style.setProperty("--exam-bar-height", bar.offsetHeight + "px");
    };
    window.addEventListener("resize", measure);
    measure();
  }

  // --- Time left -------------------------------------------------------------------------------
  var timer = document.querySelector(".exam-timer");
  if (!timer) { return; }
  var value = timer.querySelector(".countdown-value");
  var announcer = document.querySelector(".exam-announcer");
  // Counted from the server's "seconds left", so a device clock that is wrong does not matter.
  var secondsLeft = parseInt(timer.dataset.secondsLeft, 10);
  var end = isNaN(secondsLeft) ? Date.parse(timer.dataset.deadline)
    : Date.now() + secondsLeft * 1000;
  var warnings = announcer ? [
    { at: 5 * 60, text: announcer.dataset.fiveMinutes },
    { at: 60, text: announcer.dataset.oneMinute }
  ] : [];
  var previous = null;
  var finalSave = false;
  var interval = null;

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function clock(left) {
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var seconds = left % 60;
    return hours ? hours + ":" + twoDigits(minutes) + ":" + twoDigits(seconds)
      : minutes + ":" + twoDigits(seconds);
  }

  function tick() {
    var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    value.textContent = clock(left);
    timer.classList.toggle("exam-timer-warning", left <= 5 * 60);
    timer.classList.toggle("countdown-urgent", left <= 60);
    // Only when a moment is crossed on this page: a page opened with 3 minutes left does not
    // announce "5 minutes", and the region never changes between the moments.
    if (previous !== null) {
      warnings.forEach(function (warning) {
        if (previous > warning.at && left <= warning.at && left > 0) {
          announcer.textContent = warning.text;
        }
      });
    }
    previous = left;
    if (left <= 3 && !finalSave) {
      finalSave = true;
      save();
    }
    if (left === 0) {
      clearInterval(interval);
      leaving = true;
      form.submit();
    }
  }
  interval = setInterval(tick, 1000);
  tick();
})();
