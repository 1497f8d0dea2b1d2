// The Import page: while a dry run or an import runs, ask for its progress every second and
// show it; when it ends, reload the page to show the report.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box) return;
  var state = box.getAttribute("data-state");
  if (state !== "queued" && state !== "running") return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.state !== "queued" && status.state !== "running") {
          window.location.reload();
          return;
        }
        var bar = document.getElementById("import-progress");
        var done = document.getElementById("import-done");
        if (bar) { bar.max = status.total || 1; bar.value = status.done; }
        if (done) { done.textContent = String(status.done); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
