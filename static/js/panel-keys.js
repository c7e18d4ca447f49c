// Escape closes an open action panel, as its Close button does. The focus after it is the row's business: the
// row comes back with the button that opened the panel marked `autofocus`, which htmx focuses once it settled.
// Markup: the region carries `data-escape-scope`, the button to press carries `data-escape-close`.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    var scope = event.target instanceof Element ? event.target.closest("[data-escape-scope]") : null;
    var close = scope ? scope.querySelector("[data-escape-close]") : null;
    if (!close || close.disabled) return;
    event.preventDefault();
    close.click();
  });
})();
