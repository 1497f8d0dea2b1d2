/* The pickers page's own listener (templates/widgets/combobox_demo.html): lists the events the
   editor listens to. A file, not an inline script, so the Content-Security-Policy can forbid
   inline code everywhere. */
(function () {
  "use strict";
  var log = document.getElementById("widget-events");
  if (!log) return;
  ["combobox:select", "combobox:remove", "combobox:add"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var d = event.detail || {};
      var what = d.items ? d.items.map(function (i) { return i.id; }).join(", ") : d.id;
      var li = document.createElement("li");
      li.textContent = name + " " + what;
      log.appendChild(li);
    });
  });
})();
