/* Volgende Deur: the "copy link" button next to a survey link (the field stays selectable
   by hand when the clipboard is not available). */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copyTarget);
      var status = document.getElementById(button.dataset.copyTarget + "-status");
      field.select();
      var done = function () {
        if (status) { status.textContent = button.dataset.copied; }
        button.textContent = button.dataset.copied;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else {
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* select only */ }
      }
    });
  });
});
