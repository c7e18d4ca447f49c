// The board's filters fold away; whether the agent keeps them open or closed is remembered in this browser.
// Markup: <details data-remember="KEY">; `data-force-open` (a filter is wrong) keeps it open whatever was stored.
(function () {
  function remember(details) {
    var key = details.getAttribute("data-remember");
    var stored = null;
    try { stored = window.localStorage.getItem(key); } catch (error) { return; }
    if (!details.hasAttribute("data-force-open") && (stored === "open" || stored === "closed")) {
      details.open = stored === "open";
    }
    details.addEventListener("toggle", function () {
      try { window.localStorage.setItem(key, details.open ? "open" : "closed"); } catch (error) { /* private mode */ }
    });
  }
  document.querySelectorAll("details[data-remember]").forEach(remember);
})();
