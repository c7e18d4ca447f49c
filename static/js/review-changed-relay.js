// The review board announces every change with the `review-changed` event. Relay it to the other tabs of this
// browser, so a health dashboard open next to the board refreshes at once instead of at its next minute.
(function () {
  if (!("BroadcastChannel" in window)) return;
  var channel = new BroadcastChannel("sync-desk");
  document.body.addEventListener("review-changed", function (event) {
    if (!(event.detail && event.detail.relayed)) channel.postMessage("review-changed");
  });
  channel.addEventListener("message", function (message) {
    if (message.data === "review-changed") htmx.trigger(document.body, "review-changed", { relayed: true });
  });
})();
