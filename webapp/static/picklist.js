/*
 * The "list all" keyword picker: the occupation picker's search, where an editor sees every
 * matching occupation, data-size (50) at a time with "Show more", ticks the ones that apply,
 * and adds them at once.
 *
 *   <div data-picklist data-vocabulary="occupations" data-name="occupations" data-size="50"
 *        data-target="#chosen" data-add-label="Add occupations">
 *     <label for="occ-search">Find occupations by keyword</label> <input id="occ-search" type="search">
 *   </div>
 *
 * Results are a group of checkboxes with a live "N of TOTAL" count; items already in the target
 * are left out. "Show more" asks the API for the next page (`from`) and appends it.
 * Ticks are kept across keywords: what was ticked for "truck" stays ticked, listed under
 * "Ticked, not yet added", while the editor searches "driver", until Add.
 * The Add button fires `combobox:add` (cancelable, detail {items}) and then moves the ticked
 * items into data-target as chips, the same chips combobox.js makes. Load after combobox.js.
 *
 * Without JavaScript the same markup is a plain form (templates/widgets/pickers.html,
 * keyword_search); this script removes those controls.
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
    this.items = [];        // the matches shown for the current keyword, in order
    this.total = 0;
    this.text = "";
    this.ticked = [];       // ticked items, whatever keyword showed them, in the order ticked
    this.timer = null;
    root.catalogPicklist = this;
    root.setAttribute("data-combobox-ready", "");
    P.dropPlainForm(root, this.input);
    this.build();
    this.bind();
  }

  Picklist.prototype.build = function () {
    var resultsId = P.nextId("picklist-results");
    this.count = el("p", {role: "status", "class": "picklist-count", "aria-live": "polite"});
    this.earlier = el("fieldset", {"class": "picklist-group picklist-earlier"});
    this.earlier.appendChild(el("legend", {"class": "picklist-legend"}, "Ticked, not yet added"));
    this.earlierList = el("ul", {"class": "picklist-earlier-results"});
    this.earlier.appendChild(this.earlierList);
    this.earlier.hidden = true;
    this.group = el("fieldset", {"class": "picklist-group", id: resultsId});
    this.legend = el("legend", {"class": "picklist-legend"}, "Matching " + this.source.vocabulary);
    this.group.appendChild(this.legend);
    this.list = el("ul", {"class": "picklist-results"});
    this.group.appendChild(this.list);
    this.group.hidden = true;
    this.moreButton = el("button", {type: "button", "class": "secondary picklist-more"}, "Show more");
    this.moreButton.hidden = true;
    this.input.setAttribute("aria-controls", resultsId);
    this.input.setAttribute("autocomplete", "off");
    this.addButton = P.makeAddButton(this.root.dataset.addLabel || "Add");
    this.root.appendChild(this.count);
    this.root.appendChild(this.earlier);
    this.root.appendChild(this.group);
    this.root.appendChild(this.moreButton);
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
    this.root.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.dataset.id) return;
      self.tick(box.dataset.id, box.checked);
    });
    this.moreButton.addEventListener("click", function () { self.more(); });
    this.addButton.addEventListener("click", function () { self.addChecked(); });
  };

  Picklist.prototype.search = function () {
    var self = this;
    var text = this.input.value.trim();
    if (text.length < P.MIN_CHARS) {
      this.show([], 0, "", false);
      return;
    }
    this.load(text, 0).then(function (body) {
      if (body) self.show(body.items || [], body.total || 0, text, false);
    });
  };

  /* The next page of the current keyword's matches, appended; focus goes to the first new one. */
  Picklist.prototype.more = function () {
    var self = this;
    var first = this.items.length;
    this.load(this.text, first).then(function (body) {
      if (!body) return;
      self.show(body.items || [], body.total || 0, self.text, true);
      var box = self.list.querySelectorAll("input[type=checkbox]")[first];
      if (box) box.focus();
    });
  };

  /* Resolves to the API's answer, or to null after an error (said in the count) or an abort. */
  Picklist.prototype.load = function (text, offset) {
    var self = this;
    this.root.setAttribute("aria-busy", "true");
    // Only what is added is left out: ticked items stay listed, ticked, so a tick can be undone.
    return this.source.fetch(text, P.chipIds(this.target), offset).then(function (body) {
      self.root.removeAttribute("aria-busy");
      return body;
    }, function (error) {
      if (P.isAbort(error)) return null;
      self.root.removeAttribute("aria-busy");
      self.count.textContent = error.message;
      return null;
    });
  };

  Picklist.prototype.isTicked = function (id) {
    return this.ticked.some(function (item) { return item.id === id; });
  };

  Picklist.prototype.checkbox = function (item, prefix) {
    var id = P.nextId(prefix);
    var li = el("li", {"class": "picklist-item"});
    var box = el("input", {type: "checkbox", id: id, value: item.id, "data-id": item.id});
    box.checked = this.isTicked(item.id);
    var label = el("label", {"for": id});
    label.appendChild(el("span", {"class": "picklist-label"}, P.describe(item)));
    if (item.code && item.code !== item.label) label.appendChild(el("span", {"class": "combobox-code"}, P.codeText(item)));
    li.appendChild(box);
    li.appendChild(label);
    return li;
  };

  Picklist.prototype.show = function (items, total, text, append) {
    var self = this;
    if (!append) {
      this.items = [];
      this.list.textContent = "";
    }
    this.items = this.items.concat(items);
    this.total = total;
    this.text = text;
    items.forEach(function (item) { self.list.appendChild(self.checkbox(item, "picklist-item")); });
    this.group.hidden = !this.items.length;
    this.legend.textContent = text ? "Matches for \u201c" + text + "\u201d" : "Matching " + this.source.vocabulary;
    this.moreButton.hidden = !text || this.items.length >= total;
    if (!this.moreButton.hidden) {
      var next = Math.min(this.source.size, total - this.items.length);
      this.moreButton.textContent = "Show " + next + " more";
    }
    this.count.textContent = !text ? "" : this.items.length ? this.items.length + " of " + total :
      "No matches for \u201c" + text + "\u201d.";
    this.renderEarlier();
    this.checkedChanged();
  };

  /* Ticked items the current list does not show, so they stay visible (and can be unticked). */
  Picklist.prototype.renderEarlier = function () {
    var self = this;
    var shown = this.items.map(function (item) { return item.id; });
    var earlier = this.ticked.filter(function (item) { return shown.indexOf(item.id) === -1; });
    this.earlierList.textContent = "";
    earlier.forEach(function (item) { self.earlierList.appendChild(self.checkbox(item, "picklist-earlier")); });
    this.earlier.hidden = !earlier.length;
  };

  Picklist.prototype.tick = function (id, on) {
    if (on && !this.isTicked(id)) {
      var item = this.items.filter(function (i) { return i.id === id; })[0];
      if (item) this.ticked.push(item);
    } else if (!on) {
      this.ticked = this.ticked.filter(function (item) { return item.id !== id; });
      // An item unticked under "Ticked, not yet added" leaves that list; one in the matches stays.
      Array.prototype.forEach.call(this.list.querySelectorAll("input[type=checkbox]"), function (box) {
        if (box.dataset.id === id) box.checked = false;
      });
      this.renderEarlier();
    }
    this.checkedChanged();
  };

  /* What Add would add: every ticked item, from this keyword or an earlier one. */
  Picklist.prototype.checked = function () {
    return this.ticked.slice();
  };

  Picklist.prototype.checkedChanged = function () {
    var n = this.ticked.length;
    this.addButton.disabled = !n;
    var label = this.root.dataset.addLabel || "Add";
    this.addButton.textContent = n > 1 ? label + " (" + n + ")" : label;
  };

  Picklist.prototype.addChecked = function () {
    var items = this.checked();
    if (!items.length) return;
    if (P.emit(this.root, "combobox:add", {items: items}, true) && this.target) {
      var added = P.addToTarget(this.target, items, this.name);
      this.count.textContent = "Added " + added + (added === 1 ? " item." : " items.");
    }
    this.ticked = [];
    this.list.textContent = "";
    this.group.hidden = true;
    this.moreButton.hidden = true;
    this.items = [];
    this.renderEarlier();
    this.checkedChanged();
    this.input.focus();
  };

  P.register("[data-picklist]", Picklist);
  P.Picklist = Picklist;
})();
