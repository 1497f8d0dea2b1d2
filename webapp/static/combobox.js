/*
 * Pickers for the editor: an accessible autocomplete combobox (this file) and helpers it shares
 * with the keyword "list all" picker (picklist.js).
 * Plain JavaScript, no build step. Both talk to GET /api/v1/autocomplete/<vocabulary>.
 *
 * Combobox: the WAI-ARIA 1.2 combobox pattern with a listbox popup and list autocomplete.
 *   <div data-combobox data-vocabulary="occupations" data-name="occupations"
 *        [data-multiple] [data-target="#chosen"] [data-add-label="Add occupations"] [data-size="10"]>
 *     <label for="occ">Occupations</label> <input id="occ">
 *   </div>
 * Single: picking fills the input and a hidden input named data-name with the item's id
 * (data-value-id and data-value-label preset them when a saved form is edited).
 * Multiple: picks become removable chips; with data-target, one "Add ..." button moves them into
 * that element (their hidden inputs go with them and only then count as submitted).
 *
 * The "list all" keyword picker (data-picklist) lives in picklist.js and shares the helpers here.
 *
 * Events (they bubble, so one listener on the form hears every widget):
 *   combobox:select  detail = item     an option was picked (single or multiple); from the root
 *   combobox:remove  detail = item     a chip was removed; from the list that held it (the
 *                                      widget's own chips, or the target)
 *   combobox:add     detail = {items}  the Add button was pressed; from the root. Cancel it
 *                                      (preventDefault) to place the items yourself instead of
 *                                      into data-target
 * An item is {id, code, label, scheme, matched}, as the API returns it (sectors add `level`,
 * credentials found by topic `about`, both shown beside the label).
 *
 * Without JavaScript the same markup is a plain form (templates/widgets/pickers.html): a Search
 * button, server-rendered matches and × as submit buttons. The widgets remove those controls
 * ([data-nojs]) and make × plain buttons.
 *
 * Each root gets its widget as root.catalogCombobox (or root.catalogPicklist); pages may call
 * addChosen() / addChecked(), read .chips / checked(), and CatalogPickers.init(element) after
 * inserting new markup.
 */
(function () {
  "use strict";

  var API = "/api/v1/autocomplete/";
  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var uid = 0;

  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function emit(root, name, detail, cancelable) {
    var event = new CustomEvent(name, {detail: detail, bubbles: true, cancelable: !!cancelable});
    return root.dispatchEvent(event);
  }

  /* "RN → Registered Nurses": what matched first, when it was not the label. */
  function describe(item) {
    var text = item.matched ? item.matched + " \u2192 " + item.label : item.label;
    return how(item) ? text + " (" + how(item) + ")" : text;
  }

  /* How a relaxed item matched ("via Nursing Assistants · close match"), so it is never taken for
     an exact one; empty for a strict match. */
  function how(item) {
    var parts = [];
    if (item.via) parts.push("via " + item.via);
    if (item.relaxed) parts.push("close match");
    return parts.join(" \u00b7 ");
  }

  /* Fetches suggestions; a newer request aborts the older one, so answers never arrive out of order. */
  function Source(root) {
    this.vocabulary = root.dataset.vocabulary;
    this.endpoint = root.dataset.endpoint || API + encodeURIComponent(this.vocabulary);
    this.size = parseInt(root.dataset.size || "10", 10);
    this.controller = null;
  }

  /* `offset` skips that many matches (the API's `from`), for "Show more". */
  Source.prototype.fetch = function (text, exclude, offset) {
    if (this.controller) this.controller.abort();
    var controller = this.controller = new AbortController();
    var params = new URLSearchParams({q: text, size: String(this.size)});
    if (offset) params.set("from", String(offset));
    if (exclude.length) params.set("exclude", exclude.join(","));
    return fetch(this.endpoint + "?" + params.toString(), {
      signal: controller.signal, headers: {Accept: "application/json"}, credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.message || "Suggestions are unavailable (" + response.status + ").");
        return body;
      });
    });
  };

  function isAbort(error) { return error && error.name === "AbortError"; }

  /* The picker's plain-form controls (a Search button, server-rendered matches) are for browsers
     without JavaScript; once a script runs the widget, they go, and the keyword box is no longer
     submitted (so Enter in it can never ask the server for a search). */
  function dropPlainForm(root, input) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-nojs]"), function (node) { node.remove(); });
    input.removeAttribute("name");
  }

  /* How an item is described after its label: its code, the NAICS level of a sector. */
  function codeText(item) {
    return item.level ? item.code + " \u00b7 " + item.level : item.code;
  }

  /* "About: occupation: Truck Drivers", for a credential found by what it is about. */
  function aboutLine(item) {
    return item.about ? el("span", {"class": "combobox-about"}, "About: " + item.about) : null;
  }

  /* A chosen item: label, a hidden input carrying its id, and a remove button. The editor may
     render the same markup on the server for items chosen earlier; removal works for both. */
  function makeChip(item, name, submitted) {
    var chip = el("li", {"class": "combobox-chip", "data-id": item.id, "data-label": item.label});
    chip.item = item;
    chip.appendChild(el("span", {"class": "combobox-chip-label"}, item.label));
    if (item.code && item.code !== item.label) chip.appendChild(el("span", {"class": "combobox-code"}, item.code));
    var hidden = el("input", {type: "hidden", name: name, value: item.id});
    hidden.disabled = !submitted;
    chip.appendChild(hidden);
    chip.appendChild(el("button", {type: "button", "class": "combobox-chip-remove", "aria-label": "Remove " + item.label},
                        "\u00d7"));
    return chip;
  }

  function chipItem(chip) {
    return chip.item || {id: chip.dataset.id, code: chip.dataset.id, label: chip.dataset.label || chip.dataset.id};
  }

  /* One listener for every remove button, including chips the server rendered. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".combobox-chip-remove");
    if (!button) return;
    event.preventDefault();   // server-rendered chips' × is a submit button, for the form without scripts
    var chip = button.closest(".combobox-chip");
    var list = chip && chip.parentNode;
    if (!list) return;
    var item = chipItem(chip);
    var next = chip.nextElementSibling || chip.previousElementSibling;
    chip.remove();
    var focusable = next && next.querySelector(".combobox-chip-remove");
    if (focusable) focusable.focus();
    emit(list, "combobox:remove", item);
  });

  function chipIds(container) {
    if (!container) return [];
    return Array.prototype.map.call(container.querySelectorAll(".combobox-chip"), function (c) { return c.dataset.id; });
  }

  /* Moves items into the target, skipping ones already there. Returns how many were added. */
  function addToTarget(target, items, name) {
    var present = chipIds(target);
    var added = 0;
    items.forEach(function (item) {
      if (present.indexOf(item.id) !== -1) return;
      target.appendChild(makeChip(item, name, true));
      present.push(item.id);
      added += 1;
    });
    return added;
  }

  function makeAddButton(text) {
    var button = el("button", {type: "button", "class": "combobox-add"}, text);
    button.disabled = true;
    return button;
  }

  /* ------------------------------------------------------------------ the combobox */

  function Combobox(root) {
    this.root = root;
    this.input = root.querySelector("input:not([type=hidden])");
    this.source = new Source(root);
    this.multiple = root.hasAttribute("data-multiple");
    this.name = root.dataset.name || this.source.vocabulary;
    this.target = root.dataset.target ? document.querySelector(root.dataset.target) : null;
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.chosenLabel = null;
    root.catalogCombobox = this;
    root.setAttribute("data-combobox-ready", "");
    dropPlainForm(root, this.input);
    this.build();
    this.bind();
  }

  Combobox.prototype.build = function () {
    var input = this.input;
    var listId = nextId("combobox-list");
    var label = this.root.querySelector("label");
    this.listbox = el("ul", {id: listId, role: "listbox", "class": "combobox-listbox"});
    if (label) {
      if (!label.id) label.id = nextId("combobox-label");
      this.listbox.setAttribute("aria-labelledby", label.id);
    }
    this.listbox.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    this.status = el("p", {role: "status", "class": "combobox-status", "aria-live": "polite"});
    var field = el("div", {"class": "combobox-field"});
    input.parentNode.insertBefore(field, input);
    field.appendChild(input);
    field.appendChild(this.listbox);
    this.root.appendChild(this.status);
    if (this.multiple) {
      this.chips = el("ul", {"class": "combobox-chips",
                             "aria-label": this.target ? "Chosen, not yet added" : "Chosen"});
      this.root.appendChild(this.chips);
      if (this.target) {
        this.addButton = makeAddButton(this.root.dataset.addLabel || "Add");
        this.root.appendChild(this.addButton);
      }
    } else {
      // data-value-id / data-value-label: the item chosen earlier, when a saved form is edited.
      this.hidden = el("input", {type: "hidden", name: this.name, value: this.root.dataset.valueId || ""});
      this.root.appendChild(this.hidden);
      if (this.root.dataset.valueId) {
        this.chosenLabel = this.root.dataset.valueLabel || this.root.dataset.valueId;
        input.value = this.chosenLabel;
      }
    }
  };

  Combobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () { self.onInput(); });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("blur", function () { window.setTimeout(function () { self.close(); }, 120); });
    // mousedown, not click: picking must happen before the input's blur closes the list.
    this.listbox.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault();
      self.pick(parseInt(option.dataset.index, 10));
    });
    if (this.addButton) this.addButton.addEventListener("click", function () { self.addChosen(); });
    this.root.addEventListener("combobox:remove", function () {
      if (self.multiple) self.chipsChanged();
    });
  };

  Combobox.prototype.excluded = function () {
    return chipIds(this.chips).concat(chipIds(this.target));
  };

  Combobox.prototype.onInput = function () {
    var self = this;
    var text = this.input.value;
    if (!this.multiple && this.chosenLabel !== null && text !== this.chosenLabel) {
      this.hidden.value = "";           // the text no longer names the chosen item
      this.chosenLabel = null;
    }
    window.clearTimeout(this.timer);
    // Suggestions for older text must not stay pickable: Enter right after typing would pick them.
    this.items = [];
    this.close();
    if (text.trim().length < MIN_CHARS) {
      this.status.textContent = "";
      return;
    }
    this.timer = window.setTimeout(function () { self.search(text); }, DEBOUNCE_MS);
  };

  Combobox.prototype.search = function (text) {
    var self = this;
    this.root.setAttribute("aria-busy", "true");
    return this.source.fetch(text.trim(), this.excluded()).then(function (body) {
      self.root.removeAttribute("aria-busy");
      if (self.input.value !== text) return;   // typed on meanwhile; a newer search follows
      self.show(body.items || [], body.total || 0);
    }, function (error) {
      if (isAbort(error)) return;
      self.root.removeAttribute("aria-busy");
      self.close();
      self.status.textContent = error.message;
    });
  };

  Combobox.prototype.show = function (items, total) {
    var self = this;
    this.items = items;
    this.active = -1;
    this.listbox.textContent = "";
    items.forEach(function (item, index) {
      var option = el("li", {id: self.listbox.id + "-" + index, role: "option", "aria-selected": "false",
                             "class": "combobox-option", "data-index": String(index)});
      var text = el("span", {"class": "combobox-option-label"});
      if (item.matched) {
        text.appendChild(el("span", {"class": "combobox-matched"}, item.matched));
        text.appendChild(document.createTextNode(" \u2192 "));
      }
      text.appendChild(document.createTextNode(item.label));
      if (how(item)) text.appendChild(el("span", {"class": "combobox-how"}, how(item)));
      option.appendChild(text);
      if (item.code && item.code !== item.label) option.appendChild(el("span", {"class": "combobox-code"}, codeText(item)));
      var about = aboutLine(item);
      if (about) option.appendChild(about);
      self.listbox.appendChild(option);
    });
    if (items.length) {
      this.open();
      this.status.textContent = items.length + (items.length === 1 ? " suggestion" : " suggestions") +
        (total > items.length ? " of " + total : "") + ". Use the arrow keys to choose.";
    } else {
      this.close();
      this.status.textContent = "No matches.";
    }
  };

  Combobox.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Combobox.prototype.isOpen = function () { return !this.listbox.hidden; };

  Combobox.prototype.highlight = function (index) {
    var options = this.listbox.querySelectorAll("[role=option]");
    if (!options.length) return;
    this.active = (index + options.length) % options.length;
    Array.prototype.forEach.call(options, function (option, i) {
      option.setAttribute("aria-selected", i === this.active ? "true" : "false");
    }, this);
    var current = options[this.active];
    this.input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({block: "nearest"});
  };

  Combobox.prototype.onKey = function (event) {
    var open = this.isOpen();
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!open && this.items.length) this.open();
        if (!event.altKey) this.highlight(this.active + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!open && this.items.length) this.open();
        this.highlight(this.active < 0 ? -1 : this.active - 1);
        break;
      case "Enter":
        if (open && this.active >= 0) {
          event.preventDefault();     // picking is not submitting the form
          this.pick(this.active);
        } else if (open || this.multiple) {
          event.preventDefault();
        }
        break;
      case "Escape":
        if (open) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
          this.onInput();
        }
        break;
      case "Tab":
        this.close();
        break;
    }
  };

  Combobox.prototype.pick = function (index) {
    var item = this.items[index];
    if (!item) return;
    if (this.multiple) {
      if (chipIds(this.chips).indexOf(item.id) === -1) {
        this.chips.appendChild(makeChip(item, this.name, !this.target));
      }
      this.input.value = "";
      this.chipsChanged();
      this.status.textContent = item.label + " chosen.";
    } else {
      this.input.value = item.label;
      this.chosenLabel = item.label;
      this.hidden.value = item.id;
      this.status.textContent = item.label + " chosen.";
    }
    this.close();
    this.items = [];
    emit(this.root, "combobox:select", item);
    this.input.focus();
  };

  Combobox.prototype.chipsChanged = function () {
    if (this.addButton) this.addButton.disabled = !this.chips.children.length;
  };

  Combobox.prototype.addChosen = function () {
    var chips = Array.prototype.slice.call(this.chips.querySelectorAll(".combobox-chip"));
    var items = chips.map(function (chip) { return chip.item; });
    if (!items.length) return;
    if (emit(this.root, "combobox:add", {items: items}, true) && this.target) {
      var added = addToTarget(this.target, items, this.name);
      this.status.textContent = "Added " + added + (added === 1 ? " item." : " items.");
    }
    this.chips.textContent = "";
    this.chipsChanged();
    this.input.focus();
  };

  /* ------------------------------------------------------------------ wiring */

  // Widget kinds by root selector; picklist.js registers the second one.
  var kinds = [];

  function init(scope) {
    scope = scope || document;
    // Once scripts run, × removes in place; as a submit it would also be what Enter presses.
    Array.prototype.forEach.call(scope.querySelectorAll(".combobox-chip-remove[type=submit]"),
      function (button) { button.type = "button"; });
    kinds.forEach(function (kind) {
      Array.prototype.forEach.call(scope.querySelectorAll(kind.selector + ":not([data-combobox-ready])"),
        function (root) { new kind.Widget(root); });
    });
  }

  function register(selector, Widget) {
    kinds.push({selector: selector, Widget: Widget});
    if (document.readyState !== "loading") init();
  }

  window.CatalogPickers = {
    init: init, register: register, Combobox: Combobox,
    // shared with picklist.js
    Source: Source, el: el, emit: emit, nextId: nextId, describe: describe, isAbort: isAbort,
    dropPlainForm: dropPlainForm, codeText: codeText, aboutLine: aboutLine,
    chipIds: chipIds, addToTarget: addToTarget, makeAddButton: makeAddButton,
    DEBOUNCE_MS: DEBOUNCE_MS, MIN_CHARS: MIN_CHARS
  };
  register("[data-combobox]", Combobox);
  document.addEventListener("DOMContentLoaded", function () { init(); });
})();
