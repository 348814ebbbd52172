// Share actions: a "Copy link" button beside each public link.
// Without this script the buttons stay hidden and the link is shown, ready to select.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  if (!buttons.length) { return; }

  function copyFrom(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    // Plain HTTP (no Clipboard API): copy the selection the old way.
    return new Promise(function (resolve, reject) {
      field.focus();
      field.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      if (copied) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function announce(button, text) {
    var box = button.closest(".share");
    var status = box && box.querySelector(".share-status");
    if (!status) { return; }
    // Emptied first, so the same words are announced again after a second copy.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) { return; }
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      copyFrom(field).then(function () {
        announce(button, button.dataset.copied || "");
      }, function () {
        // Could not copy: leave the link selected for the person to copy themselves.
        field.focus();
        field.select();
      });
    });
  });
})();
