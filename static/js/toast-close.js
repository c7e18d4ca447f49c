// A toast's × removes it. One delegated listener instead of an inline handler: the CSP allows no inline code.
// Success and info toasts go by themselves after a few seconds; an error stays until it is closed.
(function () {
  var DISMISS_AFTER_MS = 6000;

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".toast-close") : null;
    var toast = button ? button.closest(".toast") : null;
    if (toast) toast.remove();
  });

  function fadeLater(toast) {
    if (toast.dataset.dismissing || toast.classList.contains("toast-error")) return;
    toast.dataset.dismissing = "1";
    window.setTimeout(function () { toast.remove(); }, DISMISS_AFTER_MS);
  }

  function watch(region) {
    region.querySelectorAll(".toast").forEach(fadeLater);
    new MutationObserver(function () { region.querySelectorAll(".toast").forEach(fadeLater); })
      .observe(region, { childList: true, subtree: true });
  }

  var region = document.getElementById("toasts");
  if (region) watch(region);
})();
