/*
 * The credential editor's page behaviour, on top of the shared pickers (combobox.js, picklist.js).
 * Plain JavaScript, no build step; every tab also works as a plain form where it can.
 *
 *  - [data-autoadd] around a multiple combobox: picking adds the chip to the chosen list at once.
 *  - [data-pick-action=relation|skill]: picking adds a related-credential row or a skill row.
 *  - "Add reference" adds a related credential outside the catalog (CIP code + type + name).
 *  - "+ Custom experience level" inserts a level into the scale and into every level select.
 *  - [data-remove] buttons remove their row; removing a custom level clears rows that used it.
 *  - On submit, matches ticked but not yet added (or chips picked but not yet added) are added,
 *    so a save never silently drops them.
 *  - After a failed save, focus moves to the error summary (or the conflict notice).
 *  - Leaving a tab with unsaved changes asks first (beforeunload, and links inside the page).
 *
 * Nothing here saves: "Save changes" posts the form, and the server checks everything again.
 */
(function () {
  "use strict";

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function announce(root, text) {
    var status = root && root.querySelector("[role=status]");
    if (status) status.textContent = text;
  }

  function syncEmpty(list) {
    var group = list && list.closest("fieldset");
    var note = group && group.querySelector("[data-empty-note]");
    if (note) note.hidden = list.children.length > 0;
  }

  function resetCombobox(root) {
    var widget = root.catalogCombobox;
    if (!widget) return;
    widget.input.value = "";
    widget.chosenLabel = null;
    if (widget.hidden) widget.hidden.value = "";
  }

  /* ------------------------------------------------------------ related credentials */

  function addRelation(kind, values, text, meta) {
    var list = document.querySelector("[data-relation-list=" + kind + "]");
    var duplicate = all("li", list).some(function (row) {
      var id = row.querySelector("[name=rel_credential_id]").value;
      var cip = row.querySelector("[name=rel_cip]").value;
      var type = row.querySelector("[name=rel_type]").value;
      return values.credential_id ? id === values.credential_id : !id && cip === values.cip && type === values.type;
    });
    if (duplicate) return false;
    var row = document.getElementById("relation-row-template").content.firstElementChild.cloneNode(true);
    values.kind = kind;
    ["kind", "credential_id", "cip", "type", "name"].forEach(function (field) {
      row.querySelector("[name=rel_" + field + "]").value = values[field] || "";
    });
    row.querySelector(".relation-label").textContent = text;
    row.querySelector(".relation-meta").textContent = meta;
    row.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + text);
    list.appendChild(row);
    syncEmpty(list);
    return true;
  }

  function pickedRelation(root, item) {
    var kind = root.dataset.kind;
    var meta = [item.code, item.organization, item.status === "draft" ? "draft" : "",
                item.about ? "about: " + item.about : ""].filter(Boolean).join(" · ");
    var added = addRelation(kind, {credential_id: item.id}, item.label, meta);
    resetCombobox(root);
    announce(root, added ? item.label + " added. Save changes to keep it." : item.label + " is already listed.");
  }

  function addReference(button) {
    var kind = button.dataset.addReference;
    var box = button.closest("[data-external-ref]");
    // The CIP box is the CIP autocomplete: the picked code, or a code typed without picking.
    var cipRoot = box.querySelector("[data-ref-cip] [data-combobox]");
    var picker = cipRoot.catalogCombobox;
    var cipInput = cipRoot.querySelector("input:not([type=hidden])");
    var type = box.querySelector("[data-ref-type]");
    var name = box.querySelector("[data-ref-name]");
    var status = box.querySelector("[data-ref-status]");
    var code = (picker && picker.hidden.value) || cipInput.value.trim();
    if (!code || !type.value) {
      status.textContent = "Give both a CIP code and a credential type.";
      (code ? type : cipInput).focus();
      return;
    }
    var cipText = picker && picker.hidden.value && picker.chosenLabel ? code + " " + picker.chosenLabel : code;
    var typeText = type.options[type.selectedIndex].text;
    var text = name.value.trim() || typeText + " (CIP " + code + ")";
    var added = addRelation(kind, {cip: code, type: type.value, name: name.value.trim()},
                            text, typeText + " · CIP " + cipText);
    status.textContent = added ? text + " added. Save changes to keep it." : "That reference is already listed.";
    if (added) { resetCombobox(cipRoot); type.value = ""; name.value = ""; }
  }

  /* ------------------------------------------------------------ experience levels and skills */

  function scaleState(form) {
    return {
      scale: all("[data-scale-inputs] [name=scale]", form).map(function (i) { return i.value; }),
      custom: all("[data-scale-inputs] [name=custom_level]", form).map(function (i) { return i.value; })
    };
  }

  function fillLevelSelect(select, scale) {
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    scale.forEach(function (level) { select.add(new Option(level, level)); });
    select.value = scale.indexOf(current) === -1 ? "" : current;
    return current && select.value !== current;
  }

  function writeScale(form, state) {
    var inputs = form.querySelector("[data-scale-inputs]");
    inputs.textContent = "";
    state.scale.forEach(function (level) { inputs.appendChild(hidden("scale", level)); });
    state.custom.forEach(function (level) { inputs.appendChild(hidden("custom_level", level)); });
    var list = form.querySelector("[data-level-list]");
    list.textContent = "";
    state.scale.forEach(function (level) {
      var li = document.createElement("li");
      li.className = "level" + (state.custom.indexOf(level) === -1 ? "" : " level-custom");
      li.dataset.level = level;
      li.appendChild(document.createTextNode(level));
      if (state.custom.indexOf(level) !== -1) {
        var tag = document.createElement("span");
        tag.className = "level-tag";
        tag.textContent = "custom";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.setAttribute("data-remove-level", "");
        remove.setAttribute("aria-label", "Remove the level " + level);
        remove.textContent = "\u00d7";
        li.appendChild(document.createTextNode(" "));
        li.appendChild(tag);
        li.appendChild(remove);
      }
      list.appendChild(li);
    });
    var cleared = 0;
    all("[data-level-select]", form).forEach(function (select) {
      if (fillLevelSelect(select, state.scale)) cleared += 1;
    });
    all("[data-bulk-level]", form).forEach(function (select) { fillLevelSelect(select, state.scale); });
    var after = form.querySelector("[data-new-level-after]");
    fillLevelSelect(after, state.scale);
    after.value = state.scale[state.scale.length - 1];
    return cleared;
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function addLevel(button) {
    var form = button.form;
    var box = button.closest("[data-custom-level]");
    var nameInput = box.querySelector("[data-new-level-name]");
    var name = nameInput.value.trim();
    var state = scaleState(form);
    var taken = state.scale.some(function (level) { return level.toLowerCase() === name.toLowerCase(); });
    if (!name || taken) {
      announce(box, name ? "There is already a level called " + name + "." : "Type a name for the level.");
      nameInput.focus();
      return;
    }
    var after = box.querySelector("[data-new-level-after]").value;
    state.scale.splice(after ? state.scale.indexOf(after) + 1 : 0, 0, name);
    state.custom.push(name);
    writeScale(form, state);
    nameInput.value = "";
    announce(box, "Level " + name + " added; every level list below now offers it.");
  }

  function removeLevel(button) {
    var form = button.form;
    var level = button.closest("[data-level]").dataset.level;
    var state = scaleState(form);
    state.scale = state.scale.filter(function (l) { return l !== level; });
    state.custom = state.custom.filter(function (l) { return l !== level; });
    var cleared = writeScale(form, state);
    announce(form.querySelector("[data-custom-level]"), "Level " + level + " removed" +
             (cleared ? "; " + cleared + " choice" + (cleared === 1 ? " that used it is" : "s that used it are") +
              " now Not specified." : "."));
  }

  var newRows = 0;

  function pickedSkill(root, item) {
    resetCombobox(root);
    addSkillRow(root.closest("form"), item, root);
  }

  /* Adds a row for `item` ({id, label}) unless it is listed already; says so in `root`'s status. */
  function addSkillRow(form, item, root) {
    var rows = form.querySelector("[data-skill-rows]");
    if (all("tr", rows).some(function (row) { return row.dataset.value === item.id; })) {
      announce(root, item.label + " is already listed.");
      return false;
    }
    newRows += 1;
    var row = document.getElementById("skill-row-template").content.firstElementChild.cloneNode(true);
    row.dataset.value = item.id;
    row.querySelector("[name=skill_id]").value = item.id;
    row.querySelector("[data-skill-label]").textContent = item.label;
    row.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + item.label);
    row.querySelector("[data-select-skill]").setAttribute("aria-label", "Select " + item.label);
    var scale = scaleState(form).scale;
    [["min_level", "Minimum experience for "], ["acquired_level", "Level acquired in "]].forEach(function (pair) {
      var select = row.querySelector("[name=" + pair[0] + "]");
      var label = row.querySelector("[data-for=" + pair[0] + "]");
      select.id = "new-skill-" + newRows + "-" + pair[0];
      label.setAttribute("for", select.id);
      label.textContent = pair[1] + item.label;
      fillLevelSelect(select, scale);
    });
    rows.appendChild(row);
    syncEmpty(rows);
    announce(root, item.label + " added. Choose its levels, then save changes.");
    return true;
  }

  /* "Add experiences": the bulk levels go to every ticked skill; a bulk select left at
     "Leave as it is" changes nothing. */
  function applyLevels(button) {
    var box = button.closest("[data-bulk-levels]");
    var form = button.form;
    var picks = all("[data-bulk-level]", box).map(function (select) { return select.value; });
    var rows = all("[data-skill-rows] tr", form).filter(function (row) {
      return row.querySelector("[data-select-skill]").checked;
    });
    if (!rows.length || (!picks[0] && !picks[1])) {
      announce(box, rows.length ? "Choose a level to apply first." : "Tick the skills to apply the levels to first.");
      return;
    }
    rows.forEach(function (row) {
      var selects = row.querySelectorAll("[data-level-select]");
      if (picks[0]) selects[0].value = picks[0];
      if (picks[1]) selects[1].value = picks[1];
      row.querySelector("[data-select-skill]").checked = false;
    });
    announce(box, "Levels applied to " + rows.length + " skill" + (rows.length === 1 ? "" : "s") + ". Save changes to keep them.");
  }

  // suggestions.js adds suggested skills through the same rows.
  window.CatalogEditor = {addSkillRow: addSkillRow};

  /* ------------------------------------------------------------ programmes */

  /* "+ Add education program": another blank programme form in place, numbered after the last,
     so several programmes go in one save. Its provider picker is wired like the others. */
  function addProgram(button) {
    var form = button.form;
    var taken = all("[name^='programs-']", form).map(function (input) {
      var match = /^programs-(\d+)-/.exec(input.name);
      return match ? parseInt(match[1], 10) : -1;
    });
    var next = Math.max.apply(null, taken.concat([-1])) + 1;
    var template = document.getElementById("program-template");
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__N__/g, String(next));
    var fieldset = holder.firstElementChild;
    fieldset.querySelector("legend").textContent = "Another program";
    button.closest(".add-program").before(fieldset);
    if (window.CatalogPickers) window.CatalogPickers.init(fieldset);
    var first = fieldset.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  }

  /* ------------------------------------------------------------ wiring */

  document.addEventListener("combobox:select", function (event) {
    var root = event.target;
    if (root.closest("[data-autoadd]") && root.catalogCombobox) {
      root.catalogCombobox.addChosen();
      return;
    }
    var action = root.closest("[data-pick-action]");
    if (!action) return;
    if (action.dataset.pickAction === "relation") pickedRelation(root, event.detail);
    if (action.dataset.pickAction === "skill") pickedSkill(root, event.detail);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("button");
    if (!target) return;
    // "Add reference" and "Add level" submit the tab when scripts are off; here they add in place.
    if (target.hasAttribute("data-add-reference")) { event.preventDefault(); return addReference(target); }
    if (target.hasAttribute("data-add-program")) { event.preventDefault(); return addProgram(target); }
    if (target.hasAttribute("data-add-level")) { event.preventDefault(); return addLevel(target); }
    if (target.hasAttribute("data-apply-levels")) return applyLevels(target);
    if (target.hasAttribute("data-remove-level")) return removeLevel(target);
    if (target.hasAttribute("data-remove")) {
      event.preventDefault();   // a submit button for the form without scripts; here it removes in place
      var row = target.closest("li, tr");
      var list = row.parentNode;
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      syncEmpty(list);
      var focus = next && next.querySelector("[data-remove]");
      (focus || target.form.querySelector("[type=submit]")).focus();
    }
  });

  // Enter in the "add" fields adds, instead of submitting the whole tab.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.defaultPrevented) return;   // a combobox used this Enter to pick
    var field = event.target;
    var box = field.closest && (field.closest("[data-custom-level]") || field.closest("[data-external-ref]"));
    // Only the text boxes and selects add: Enter on the <summary> must still open and close
    // the box, and Enter on a button must still press it.
    if (!box || (field.tagName !== "INPUT" && field.tagName !== "SELECT")) return;
    event.preventDefault();
    box.querySelector("[data-add-level], [data-add-reference]").click();
  });

  document.addEventListener("submit", function (event) {
    all("[data-picklist]", event.target).forEach(function (root) {
      if (root.catalogPicklist && root.catalogPicklist.checked().length) root.catalogPicklist.addChecked();
    });
    all("[data-combobox][data-multiple]", event.target).forEach(function (root) {
      if (root.catalogCombobox && root.catalogCombobox.chips.children.length) root.catalogCombobox.addChosen();
    });
  });

  /* ------------------------------------------------------------ unsaved changes */

  /* A tab's form is "changed" when what it would submit differs from what it held when the page
     was ready (chips, rows, levels and typed text alike), or when the page is a failed save
     showing input that was never stored. Leaving it then asks first: the browser's own prompt
     on reload or close (beforeunload), and a confirm() on the links inside the page (tab bar,
     "Next", breadcrumbs, header), which beforeunload alone would not cover reliably. */
  var tracked = null, pristine = null, submitting = false;

  function formState(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") pairs.push(name + "=" + value);
    });
    return pairs.join("&");
  }

  function hasUnsavedChanges() {
    if (!tracked || submitting) return false;
    return pristine === null || formState(tracked) !== pristine;
  }

  var LEAVE_MESSAGE = "This tab has changes that are not saved. Leave without saving them?";

  window.addEventListener("beforeunload", function (event) {
    if (!hasUnsavedChanges()) return;
    event.preventDefault();
    event.returnValue = "";  // older Chromium needs a value to show its prompt
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented || link.target === "_blank" || link.getAttribute("href").charAt(0) === "#") return;
    if (!hasUnsavedChanges()) return;
    if (window.confirm(LEAVE_MESSAGE)) {
      submitting = true;  // answered already: no second prompt from beforeunload
    } else {
      event.preventDefault();
    }
  });

  document.addEventListener("submit", function () { submitting = true; });

  document.addEventListener("DOMContentLoaded", function () {
    // Rows' × are submit buttons so they work without scripts; with scripts, Enter must not press them.
    all("button[data-remove][type=submit]").forEach(function (button) { button.type = "button"; });
    var notice = document.getElementById("conflict") || document.getElementById("error-summary");
    if (notice) notice.focus();
    all("[data-bulk-levels], [data-select-skill]").forEach(function (node) { node.hidden = false; });
    tracked = document.querySelector("form.tab-form");
    if (!tracked) return;
    // After the pickers (wired on DOMContentLoaded too) have built their widgets.
    var unsaved = notice || document.querySelector("[data-unsaved]");
    setTimeout(function () { pristine = unsaved ? null : formState(tracked); }, 0);
  });
})();
