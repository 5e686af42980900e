// The console's own script. Pages work without it; it only keeps live
// updates from wiping what the operator is doing: while a box is ticked
// or a field has the focus inside a live part, its refresh waits.
document.addEventListener("htmx:beforeRequest", function (event) {
  var live = event.detail.elt;
  if (!live || !live.hasAttribute("data-live")) {
    return;
  }
  var form = live.closest("form") || live;
  if (form.querySelector("input[type=checkbox]:checked") || live.contains(document.activeElement)) {
    event.preventDefault();
  }
});
