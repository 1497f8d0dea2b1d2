/*
 * Public pages, progressively enhanced: every page works without this file.
 *
 * 1. Suggestions while typing in the search box ([data-search-suggest]): credentials, occupations
 *    and skills from GET /api/v1/autocomplete/<vocabulary>, grouped, in a WAI-ARIA 1.2 combobox
 *    (arrow keys move, Enter opens the suggestion or, with none chosen, searches the text, Escape
 *    closes). A credential opens its page; an occupation or skill opens the search filtered by it.
 * 2. The filter box inside a long facet's "More…" list.
 * 3. The sort menu submits itself when changed.
 * 4. On narrow screens the facets fold behind a "Filters" button.
 */
(function () {
  "use strict";

  var API = "/api/v1/autocomplete/";
  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var GROUPS = [
    {vocabulary: "credentials", title: "Credentials", size: 4,
     href: function (item) { return "/credentials/" + encodeURIComponent(item.id); }},
    {vocabulary: "occupations", title: "Occupations", size: 4,
     href: function (item) { return "/search?occupation=" + encodeURIComponent(item.code); }},
    {vocabulary: "skills", title: "Skills", size: 3,
     href: function (item) { return "/search?skill=" + encodeURIComponent(item.code); }}
  ];
  var uid = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fetchGroup(group, text, signal) {
    var url = API + group.vocabulary + "?size=" + group.size + "&q=" + encodeURIComponent(text);
    return fetch(url, {signal: signal, headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (body) { return {group: group, items: body.items || []}; })
      .catch(function (err) {
        if (err.name === "AbortError") throw err;
        return {group: group, items: []};  // one group failing must not hide the others
      });
  }

  function Suggest(root) {
    this.input = root.querySelector("input[role=combobox]");
    this.list = root.querySelector("[role=listbox]");
    this.form = root.closest("form");
    this.timer = null;
    this.controller = null;
    this.options = [];
    this.active = -1;
    var self = this;
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (e) { self.key(e); });
    this.input.addEventListener("blur", function () { setTimeout(function () { self.close(); }, 150); });
    // Keep focus in the input while a suggestion is clicked, so the click lands.
    this.list.addEventListener("mousedown", function (e) { e.preventDefault(); });
  }

  Suggest.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.load(); }, DEBOUNCE_MS);
  };

  Suggest.prototype.load = function () {
    var text = this.input.value.trim();
    if (this.controller) this.controller.abort();
    if (text.length < MIN_CHARS) { this.close(); return; }
    this.controller = new AbortController();
    var self = this, signal = this.controller.signal;
    Promise.all(GROUPS.map(function (g) { return fetchGroup(g, text, signal); }))
      .then(function (answers) { if (!signal.aborted) self.render(answers); })
      .catch(function () { /* aborted by newer typing */ });
  };

  Suggest.prototype.render = function (answers) {
    var list = this.list;
    list.textContent = "";
    this.options = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    var self = this;
    answers.forEach(function (answer) {
      if (!answer.items.length) return;
      uid += 1;
      var headingId = "suggest-group-" + uid;
      var group = el("div", {role: "group", "aria-labelledby": headingId});
      group.appendChild(el("p", {"class": "suggestion-group", id: headingId}, answer.group.title));
      answer.items.forEach(function (item) {
        uid += 1;
        var option = el("a", {role: "option", id: "suggest-" + uid, "class": "suggestion",
                              href: answer.group.href(item), "aria-selected": "false"});
        var main = el("span", {"class": "suggestion-label"}, item.label);
        if (item.matched) main.appendChild(el("span", {"class": "suggestion-matched"}, " (" + item.matched + ")"));
        if (item.via) main.appendChild(el("span", {"class": "suggestion-matched"}, " via " + item.via));
        option.appendChild(main);
        if (answer.group.vocabulary !== "credentials" && item.code) {
          option.appendChild(el("span", {"class": "suggestion-code"}, item.code));
        }
        group.appendChild(option);
        self.options.push(option);
      });
      list.appendChild(group);
    });
    if (this.options.length) this.open(); else this.close();
  };

  Suggest.prototype.open = function () {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Suggest.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Suggest.prototype.move = function (step) {
    if (!this.options.length) return;
    if (this.list.hidden) this.open();
    if (this.active >= 0) this.options[this.active].setAttribute("aria-selected", "false");
    // Positions run from -1 (the text box itself) to the last option: n + 1 places in a ring.
    var places = this.options.length + 1;
    this.active = ((this.active + 1 + step) % places + places) % places - 1;
    if (this.active < 0) { this.input.removeAttribute("aria-activedescendant"); return; }
    var option = this.options[this.active];
    option.setAttribute("aria-selected", "true");
    option.scrollIntoView({block: "nearest"});
    this.input.setAttribute("aria-activedescendant", option.id);
  };

  Suggest.prototype.key = function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); this.move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); this.move(-1); }
    else if (e.key === "Escape" && !this.list.hidden) {
      e.preventDefault();  // close the popup only; a second Escape clears the box as usual
      this.close();
    }
    else if (e.key === "Enter" && this.active >= 0 && !this.list.hidden) {
      e.preventDefault();
      window.location.assign(this.options[this.active].href);
    }
  };

  function enhanceFacetFilter(details) {
    var input = details.querySelector(".facet-filter");
    var empty = details.querySelector(".facet-no-match");
    if (!input) return;
    input.hidden = false;
    var items = Array.prototype.slice.call(details.querySelectorAll(".facet-values li"));
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (li) {
        var match = !needle || li.textContent.toLowerCase().indexOf(needle) !== -1;
        li.hidden = !match;
        if (match) shown += 1;
      });
      if (empty) empty.hidden = shown > 0;
    });
    details.addEventListener("toggle", function () { if (details.open) input.focus(); });
  }

  /* On narrow screens (search.css folds .facets.is-folded below 860 px) the facets wait behind a
     "Filters" button, so the first result is on the first screen. Wide screens never see the button. */
  function foldFilters(aside) {
    if (!aside.querySelector(".facet")) return;  // nothing to filter by: no button
    aside.id = aside.id || "search-filters";
    var selected = aside.querySelectorAll(".facet-value.is-selected").length;
    var button = el("button", {type: "button", "class": "filters-toggle", "aria-expanded": "false",
                               "aria-controls": aside.id}, selected ? "Filters (" + selected + " chosen)" : "Filters");
    aside.parentNode.insertBefore(button, aside);
    aside.classList.add("is-folded");
    button.addEventListener("click", function () {
      var open = aside.classList.toggle("is-folded") === false;
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.querySelectorAll("[data-search-suggest]").forEach(function (root) { new Suggest(root); });
  document.querySelectorAll(".search-layout > .facets").forEach(foldFilters);
  document.querySelectorAll(".facet-more").forEach(enhanceFacetFilter);
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
