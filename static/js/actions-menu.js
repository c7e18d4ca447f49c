// A row's "More" menu (<details data-actions-menu>): one open at a time, closed by Escape (the focus goes back to
// its summary) or by a click elsewhere. Opening and choosing work without this script; it only tidies up.
(function () {
  function openMenus() {
    return document.querySelectorAll("details[data-actions-menu][open]");
  }
  document.addEventListener("click", function (event) {
    var inside = event.target instanceof Element ? event.target.closest("details[data-actions-menu]") : null;
    openMenus().forEach(function (menu) { if (menu !== inside) menu.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    var menu = event.target instanceof Element ? event.target.closest("details[data-actions-menu][open]") : null;
    if (!menu) return;
    event.preventDefault();
    menu.open = false;
    menu.querySelector("summary").focus();
  });
})();
