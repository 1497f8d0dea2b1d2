/*
 * "Suggested for ..." lists in the editor, from GET /api/v1/suggest/<target> (catalog/suggest.py).
 *
 *   <section data-suggest="skills" data-param="occupation" data-codes="51-4121.00,..."
 *            data-add="skill-row" | data-add="chips" data-target="#chosen-occupations" data-name="occupations">
 *     <p role="status" data-suggest-status></p><ul data-suggest-list></ul>
 *   </section>
 *
 * Each suggestion is a button: one click adds it (a skill row, or a chip in the chosen list) and
 * removes it from the list; nothing is added without that click, and nothing is saved until the
 * tab is. The reason ("essential for welder (Welders, ...)") is its tooltip and its description
 * for screen readers. What is already chosen is left out of the request.
 */
(function () {
  "use strict";

  var SIZE = 12;

  function chosenIds(section) {
    var form = section.closest("form");
    if (section.dataset.add === "skill-row") {
      return Array.prototype.map.call(form.querySelectorAll("[data-skill-rows] tr"), function (r) { return r.dataset.value; });
    }
    return window.CatalogPickers.chipIds(document.querySelector(section.dataset.target));
  }

  function add(section, item) {
    if (section.dataset.add === "skill-row") {
      return window.CatalogEditor.addSkillRow(section.closest("form"), item, section);
    }
    var added = window.CatalogPickers.addToTarget(document.querySelector(section.dataset.target),
                                                  [{id: item.id, code: item.id, label: item.label}], section.dataset.name);
    var status = section.querySelector("[role=status]");
    status.textContent = added ? item.label + " added. Save changes to keep it." : item.label + " is already chosen.";
    return added > 0;
  }

  function show(section, items) {
    var list = section.querySelector("[data-suggest-list]");
    var status = section.querySelector("[role=status]");
    list.textContent = "";
    status.textContent = items.length ? "" : "No suggestions left.";
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      var because = item.because.join("; ");
      var why = document.createElement("span");
      button.type = "button";
      button.className = "suggestion";
      button.dataset.id = item.id;
      button.title = because;
      button.appendChild(document.createTextNode(item.label + " "));
      var kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = item.kind;
      button.appendChild(kind);
      why.id = section.id + "-why-" + index;
      why.className = "visually-hidden";
      why.textContent = because;
      button.setAttribute("aria-describedby", why.id);
      button.addEventListener("click", function () {
        if (add(section, item) !== false) li.remove();
        if (!list.children.length) status.textContent = "All suggestions added.";
      });
      li.appendChild(button);
      li.appendChild(why);
      list.appendChild(li);
    });
  }

  function load(section) {
    var codes = section.dataset.codes.split(",").filter(Boolean);
    if (!codes.length) return;
    var params = new URLSearchParams();
    codes.forEach(function (code) { params.append(section.dataset.param, code); });
    params.set("size", String(SIZE));
    chosenIds(section).filter(Boolean).forEach(function (id) { params.append("exclude", id); });
    var status = section.querySelector("[role=status]");
    status.textContent = "Loading suggestions\u2026";
    fetch("/api/v1/suggest/" + section.dataset.suggest + "?" + params.toString(), {headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.message || "suggestions are unavailable");
          return body;
        });
      })
      .then(function (body) { show(section, body.items); },
            function (error) { status.textContent = "Suggestions are unavailable: " + error.message; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-suggest]"), load);
  });
})();
