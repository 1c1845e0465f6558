// Progressive enhancement only: every page works without this file.
// Move focus to the error summary after a failed submission (GOV.UK pattern).
document.addEventListener('DOMContentLoaded', function () {
  var summary = document.querySelector('[data-autofocus]');
  if (summary) summary.focus();
});
