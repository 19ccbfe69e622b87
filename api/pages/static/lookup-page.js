// hoso: the status page's QR path. The receipt's QR opens /tra-cuu#CODE.PIN: a browser never
// sends a fragment, so the PIN reaches no log. Here it is taken off the address bar at once and
// sent as the form would send it (a POST body).
const form = document.getElementById("lookup");
const found = location.hash.slice(1).match(/^([A-Za-z0-9.\-]{1,60})\.([0-9]{6})$/);
if (found) {
  history.replaceState(null, "", location.pathname);
  form.elements.code.value = found[1];
  form.elements.pin.value = found[2];
  form.submit();
} else {
  const heading = document.querySelector("main h2[tabindex]");
  if (heading) heading.focus();
}
