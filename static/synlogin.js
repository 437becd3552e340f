// The landing page of a QQ login with UCenter's synchronized login: the
// other applications' script tags below this one log the member in there;
// then the browser goes back to where the login began. DOMContentLoaded
// waits for those scripts; the timer caps the wait when one hangs, as
// Discuz's own page leaves after its refresh time.
(function () {
  var me = document.currentScript;
  var to = me && me.getAttribute('data-to');
  if (!to) { return; }
  var gone = false;
  function go() {
    if (!gone) { gone = true; window.location.replace(to); }
  }
  window.setTimeout(go, 3000);
  document.addEventListener('DOMContentLoaded', go);
})();
