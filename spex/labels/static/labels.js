// Label station: after each scan the search box is ready for the next one, text selected, so a
// handheld scanner (types the code, then Enter) can fire label after label without a mouse.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target && event.detail.target.id === "found") {
    var box = document.getElementById("label-q");
    if (box) { box.focus(); box.select(); }
  }
});

// Refusals come back as 4xx/503 with a red fragment to show (unknown code, printer off):
// swap them in like any answer instead of htmx's default of dropping error responses.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 404 || status === 409 || status === 422 || status === 503) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
