// A toast's × removes it. One delegated listener instead of an inline handler: the CSP allows no inline code.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".toast-close") : null;
    var toast = button ? button.closest(".toast") : null;
    if (toast) toast.remove();
  });
})();
