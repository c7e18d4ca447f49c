// Keyboard shortcuts of the review board: j / k move the current row (its number link takes the focus), Enter
// opens its page, one letter per action presses that row's button (data-shortcut), ? shows the list
// (<dialog id="board-shortcuts">). Never while typing: inputs, selects, text areas and open dialogs keep their keys.
(function () {
  var currentId = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#board-results tbody.appt"));
  }

  function typing(target) {
    if (!(target instanceof Element)) return false;
    return Boolean(target.closest("input, select, textarea, [contenteditable], dialog[open]"));
  }

  function current() {
    var focused = document.activeElement instanceof Element ? document.activeElement.closest("tbody.appt") : null;
    return focused || (currentId ? document.getElementById(currentId) : null);
  }

  function mark(row) {
    rows().forEach(function (other) { other.classList.toggle("row-current", other === row); });
    if (!row) return;
    currentId = row.id;
    var link = row.querySelector(".cell-id > a[href]");
    if (link) link.focus();
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    mark(all[next]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var key = event.key;
    if (key === "?") {
      var help = document.getElementById("board-shortcuts");
      if (help && typeof help.showModal === "function") {
        event.preventDefault();
        help.showModal();
      }
      return;
    }
    if (key === "j" || key === "k") {
      if (!rows().length) return;
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    var row = current();
    if (!row) return;
    if (key === "Enter") {
      if (event.target !== document.body) return; // a focused link or button answers Enter itself
      var link = row.querySelector(".cell-id > a[href]");
      if (link) { event.preventDefault(); window.location.assign(link.href); }
      return;
    }
    if (key.length !== 1) return;
    var control = row.querySelector('[data-shortcut="' + key.toLowerCase() + '"]');
    if (!control || control.disabled) return;
    event.preventDefault();
    currentId = row.id;
    control.click();
  });

  // A row swapped by htmx is a new element with the same id: it stays the current one.
  document.addEventListener("htmx:afterSettle", function () {
    var row = currentId ? document.getElementById(currentId) : null;
    if (row) row.classList.add("row-current");
  });
})();
