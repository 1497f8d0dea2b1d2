/*
 * The "list all" keyword picker: the occupation picker's search, where an editor sees every
 * matching occupation (up to data-size, 50), checks the ones that apply, and adds them at once.
 *
 *   <div data-picklist data-vocabulary="occupations" data-name="occupations" data-size="50"
 *        data-target="#chosen" data-add-label="Add occupations">
 *     <label for="occ-search">Find occupations by keyword</label> <input id="occ-search" type="search">
 *   </div>
 *
 * Results are a group of checkboxes with a live "N of TOTAL" count; items already in the target
 * are left out. The Add button fires `combobox:add` (cancelable, detail {items}) and then moves the
 * checked items into data-target as chips, the same chips combobox.js makes. Load after combobox.js.
 */
(function () {
  "use strict";

  var P = window.CatalogPickers;
  var el = P.el;

  function Picklist(root) {
    this.root = root;
    this.input = root.querySelector("input:not([type=hidden])");
    this.source = new P.Source(root);
    this.source.size = parseInt(root.dataset.size || "50", 10);
    this.name = root.dataset.name || this.source.vocabulary;
    this.target = root.dataset.target ? document.querySelector(root.dataset.target) : null;
    this.items = [];
    this.timer = null;
    root.catalogPicklist = this;
    root.setAttribute("data-combobox-ready", "");
    this.build();
    this.bind();
  }

  Picklist.prototype.build = function () {
    var resultsId = P.nextId("picklist-results");
    this.count = el("p", {role: "status", "class": "picklist-count", "aria-live": "polite"});
    this.group = el("fieldset", {"class": "picklist-group", id: resultsId});
    this.group.appendChild(el("legend", {"class": "picklist-legend"}, "Matching " + this.source.vocabulary));
    this.list = el("ul", {"class": "picklist-results"});
    this.group.appendChild(this.list);
    this.group.hidden = true;
    this.input.setAttribute("aria-controls", resultsId);
    this.input.setAttribute("autocomplete", "off");
    this.addButton = P.makeAddButton(this.root.dataset.addLabel || "Add");
    this.root.appendChild(this.count);
    this.root.appendChild(this.group);
    this.root.appendChild(this.addButton);
  };

  Picklist.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () {
      window.clearTimeout(self.timer);
      self.timer = window.setTimeout(function () { self.search(); }, P.DEBOUNCE_MS);
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();           // searching is not submitting the form
      window.clearTimeout(self.timer);
      self.search();
    });
    this.list.addEventListener("change", function () { self.checkedChanged(); });
    this.addButton.addEventListener("click", function () { self.addChecked(); });
  };

  Picklist.prototype.search = function () {
    var self = this;
    var text = this.input.value.trim();
    if (text.length < P.MIN_CHARS) {
      this.show([], 0, "");
      return;
    }
    this.root.setAttribute("aria-busy", "true");
    this.source.fetch(text, P.chipIds(this.target)).then(function (body) {
      self.root.removeAttribute("aria-busy");
      self.show(body.items || [], body.total || 0, text);
    }, function (error) {
      if (P.isAbort(error)) return;
      self.root.removeAttribute("aria-busy");
      self.show([], 0, "");
      self.count.textContent = error.message;
    });
  };

  Picklist.prototype.show = function (items, total, text) {
    var self = this;
    this.items = items;
    this.list.textContent = "";
    items.forEach(function (item, index) {
      var id = P.nextId("picklist-item");
      var li = el("li", {"class": "picklist-item"});
      var box = el("input", {type: "checkbox", id: id, value: item.id, "data-index": String(index)});
      var label = el("label", {"for": id});
      label.appendChild(el("span", {"class": "picklist-label"}, P.describe(item)));
      if (item.code && item.code !== item.label) label.appendChild(el("span", {"class": "combobox-code"}, item.code));
      li.appendChild(box);
      li.appendChild(label);
      self.list.appendChild(li);
    });
    this.group.hidden = !items.length;
    this.count.textContent = !text ? "" : items.length ? items.length + " of " + total :
      "No matches for \u201c" + text + "\u201d.";
    this.checkedChanged();
  };

  Picklist.prototype.checked = function () {
    var self = this;
    return Array.prototype.filter.call(this.list.querySelectorAll("input[type=checkbox]"), function (box) {
      return box.checked;
    }).map(function (box) { return self.items[parseInt(box.dataset.index, 10)]; });
  };

  Picklist.prototype.checkedChanged = function () {
    this.addButton.disabled = !this.checked().length;
  };

  Picklist.prototype.addChecked = function () {
    var items = this.checked();
    if (!items.length) return;
    if (P.emit(this.root, "combobox:add", {items: items}, true) && this.target) {
      var added = P.addToTarget(this.target, items, this.name);
      this.count.textContent = "Added " + added + (added === 1 ? " item." : " items.");
    }
    this.list.textContent = "";
    this.group.hidden = true;
    this.items = [];
    this.checkedChanged();
    this.input.focus();
  };

  P.register("[data-picklist]", Picklist);
  P.Picklist = Picklist;
})();
