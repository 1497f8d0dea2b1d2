"""From submitted tab forms to the authoring service's payloads, and from its errors to fields.

The service (catalog/authoring) validates every payload, for these pages and for the authoring
API alike, so the pages do not repeat its rules in WTForms classes: they only translate field
names into payload shapes, and error keys ("cost.amount", "skills[1].min_level") back into the
field ids and sentences the page shows. Flask-WTF still guards every form with its CSRF token.

Everything here is a pure function of a MultiDict-like form, so it is unit-tested without Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.authoring.levels import DEFAULT_LEVELS
from store.ids import parse_id
from store.facts import RELATION_KINDS

# Languages offered in the details tab; a stored code outside this list is still shown.
PROGRAM_FIELDS = ("provider_org_id", "provider_name", "name", "url", "delivery_mode", "duration.value",
                  "duration.unit", "cost", "location", "cip")

FIELD_LABELS = {
    "name": "Credential name", "alternate_names": "Alternate names", "description": "Description",
    "credential_type": "Credential type", "url": "Subject webpage", "cip_codes": "CIP codes",
    "language": "Language", "cost.amount": "Cost amount", "cost.currency": "Currency", "cost.note": "Cost note",
    "duration.value": "Duration", "duration.unit": "Duration unit", "delivery_mode": "Delivery mode",
    "keywords": "Keywords", "lifecycle": "Lifecycle", "org_id": "Issuing organization",
    "occupations": "Occupations", "sectors": "Sectors", "related": "Related credentials", "skills": "Skills",
    "custom_levels": "Custom levels", "items": "Skills", "programs": "Education programs", "status": "Status", "body": "Note",
}
# Error keys of list items look like "skills[1].min_level": the list's item noun, then the part.
ITEM_LABELS = {
    "skills": ("Skill", {"skill_id": "skill", "min_level": "minimum experience", "acquired_level": "level acquired"}),
    "custom_levels": ("Custom level", {"name": "name", "position": "position"}),
    "related": ("Relation", {"kind": "kind", "credential_id": "credential", "cip": "CIP code",
                             "type": "credential type", "name": "name"}),
    "programs": ("Program", {"provider_org_id": "provider organization", "provider_name": "provider name",
                             "name": "program name", "url": "web address", "delivery_mode": "delivery mode",
                             "duration": "duration", "duration.value": "duration", "duration.unit": "duration unit",
                             "cost": "cost", "location": "location", "cip": "CIP code"}),
}
_ITEM_KEY = re.compile(r"(?P<list>\w+)\[(?P<index>\d+)\](?:\.(?P<part>[\w.]+))?")


def field_id(key: str) -> str:
    """The HTML id of the input an error key belongs to: "skills[1].min_level" -> f-skills-1-min_level."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", key).strip("-")


def field_label(key: str) -> str:
    match = _ITEM_KEY.fullmatch(key)
    if match and match["list"] in ITEM_LABELS:
        noun, parts = ITEM_LABELS[match["list"]]
        label = f"{noun} {int(match['index']) + 1}"
        return f"{label} {parts.get(match['part'], match['part'].replace('_', ' '))}" if match["part"] else label
    return FIELD_LABELS.get(key, key.replace("_", " ").replace(".", " ").capitalize())


def has_errors(errors: dict, key: str) -> bool:
    """Whether `key` ("programs[1]") or any of its parts ("programs[1].url") has an error."""
    return any(k == key or k.startswith((key + ".", key + "[")) for k in errors)


def sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def error_message(key: str, message: str) -> str:
    """The service's clause as a sentence: "is required" becomes "Name is required."."""
    if message.startswith(("is ", "must ", "cannot ")):
        return sentence(f"{field_label(key)} {message}")
    return sentence(message)


def error_summary(errors: dict[str, str]) -> list[dict]:
    """One entry per error for the summary at the top of a tab, each linking to its field."""
    out = []
    for key, message in errors.items():
        text = error_message(key, message)
        if not text.startswith(field_label(key)):
            text = f"{field_label(key)}: {text[:1].lower() + text[1:]}"
        out.append({"key": key, "id": field_id(key), "text": text})
    return out


# --- form -> payload ---------------------------------------------------------------------------


def _unique(values) -> list[str]:
    seen, out = set(), []
    for value in (v.strip() for v in values):
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _commas(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def details_payload(form) -> dict:
    return {
        "name": form.get("name", ""),
        # One alternate name per line: names such as "Nurse, Registered" contain commas.
        "alternate_names": _lines(form.get("alternate_names", "")),
        "description": form.get("description", ""),
        "credential_type": form.get("credential_type", ""),
        "url": form.get("url", ""),
        "cip_codes": _unique(form.getlist("cip_codes")),
        "language": form.get("language", ""),
        "cost": {"amount": form.get("cost.amount", ""), "currency": form.get("cost.currency", ""),
                 "note": form.get("cost.note", "")},
        "duration": {"value": form.get("duration.value", ""), "unit": form.get("duration.unit", "")},
        "delivery_mode": form.get("delivery_mode", ""),
        "keywords": _commas(form.get("keywords", "")),
        "lifecycle": form.get("lifecycle", ""),
    }


def occupations_payload(form) -> dict:
    return {
        "occupations": _unique(form.getlist("occupations")),
        "sectors": _unique(form.getlist("sectors")),
    }


def related_payload(form) -> dict:
    rows = zip(form.getlist("rel_kind"), form.getlist("rel_credential_id"), form.getlist("rel_cip"),
               form.getlist("rel_type"), form.getlist("rel_name"))
    related = []
    for kind, credential_id, cip, ctype, name in rows:
        if credential_id.strip():
            related.append({"kind": kind, "credential_id": _int_or_text(credential_id)})
        else:
            related.append({"kind": kind, "cip": cip.strip(), "type": ctype, "name": name.strip()})
    # Credentials ticked in a keyword search of the form without JavaScript.
    for kind in RELATION_KINDS:
        listed = {r.get("credential_id") for r in related if r["kind"] == kind}
        for value in _unique(form.getlist(f"rel_pick_{kind}")):
            credential_id = _int_or_text(value)
            if credential_id not in listed:
                related.append({"kind": kind, "credential_id": credential_id})
                listed.add(credential_id)
    # A reference typed into the "by CIP code" fields but not added with its button still counts.
    for kind in RELATION_KINDS:
        cip, ctype = form.get(f"new_{kind}_cip", "").strip(), form.get(f"new_{kind}_type", "")
        if cip or ctype:
            related.append({"kind": kind, "cip": cip, "type": ctype, "name": form.get(f"new_{kind}_name", "").strip()})
    return {"related": related}


def scale_and_custom(form) -> tuple[list[str], list[str]]:
    """The credential's level scale in order, and which of its levels are custom ones."""
    custom = _unique(form.getlist("custom_level"))
    scale = [name for name in _unique(form.getlist("scale")) if name in DEFAULT_LEVELS or name in custom]
    scale += [name for name in DEFAULT_LEVELS if name not in scale]
    scale += [name for name in custom if name not in scale]
    new = form.get("new_level_name", "").strip()
    if new:
        after = form.get("new_level_after", "")
        scale.insert(scale.index(after) + 1 if after in scale else 0, new)
        custom.append(new)
    return scale, custom


def skills_payload(form) -> dict:
    scale, custom = scale_and_custom(form)
    # A custom level's position is its index in the final scale; merged_scale rebuilds the same
    # order because it inserts levels in position order.
    custom_levels = []
    for name in custom:
        position = next((i for i, level in enumerate(scale) if level == name), len(scale))
        custom_levels.append({"name": name, "position": position})
    items = [
        {"skill_id": code.strip(), "min_level": min_level, "acquired_level": acquired}
        for code, min_level, acquired in zip(form.getlist("skill_id"), form.getlist("min_level"),
                                             form.getlist("acquired_level"))
    ]
    # Skills ticked in the keyword results of the form without JavaScript: new rows, no levels yet.
    listed = {item["skill_id"] for item in items}
    for code in _unique(form.getlist("add_skill")):
        if code not in listed:
            items.append({"skill_id": code, "min_level": "", "acquired_level": ""})
            listed.add(code)
    return {"skills": {"custom_levels": custom_levels, "items": items}}


def program_indices(form) -> list[int]:
    # Bounded and ASCII-only: a page numbers its fieldsets 0, 1, 2...; a crafted
    # "programs-<5,000 digits>-name" must not reach int(), which refuses it with a ValueError.
    found = {int(m[1]) for key in form.keys() if (m := re.match(r"programs-([0-9]{1,6})-", key))}
    return sorted(found)


def programs_payload(form) -> dict:
    """Program fieldsets named programs-N-field; ticked "remove" and untouched blank ones are left out."""
    programs = []
    for n in program_indices(form):
        def get(field: str) -> str:
            return form.get(f"programs-{n}-{field}", "").strip()

        if get("remove"):
            continue
        if not any(get(field) for field in PROGRAM_FIELDS if field != "duration.unit"):
            continue
        program = {
            "provider_org_id": _int_or_text(get("provider_org_id")) if get("provider_org_id") else None,
            "provider_name": get("provider_name"),
            "name": get("name"),
            "url": get("url"),
            "delivery_mode": get("delivery_mode"),
            "duration": {"value": get("duration.value"), "unit": get("duration.unit")},
            "cost": get("cost"),
            "location": get("location"),
            "cip": get("cip"),
        }
        if parse_id(get("id")) is not None:
            program["id"] = parse_id(get("id"))
        programs.append(program)
    return {"programs": programs}


def _int_or_text(value: str):
    """An id as a number; anything else as typed, for the service to refuse with a field error."""
    value = value.strip()
    number = parse_id(value)
    return number if number is not None else value


PAYLOADS = {
    "details": details_payload,
    "occupations": occupations_payload,
    "related": related_payload,
    "skills": skills_payload,
    "programs": programs_payload,
}


def tab_payloads(slug: str, form) -> dict:
    """{section: payload} for the sections a tab saves."""
    payload = PAYLOADS[slug](form)
    return {"details": payload} if slug == "details" else payload


# --- the pickers without JavaScript ------------------------------------------------------------
#
# Every picker is also a plain form. Its keyword box is named q_<picker> with a "Search" submit
# button (search=<picker>); the tab comes back with the matches as checkboxes named like the
# field they add to, so "Add ..." or "Save changes" saves the ticked ones, and any other submit
# (another search, "Show more" = more_<picker>=<offset>, a chip's × = remove_<field>=<value>)
# carries them along as chosen-but-unsaved. picklist.js and combobox.js take these controls away
# when scripts run, so this is what a browser without JavaScript uses.


@dataclass(frozen=True)
class Picker:
    name: str         # q_<name>, search=<name>, more_<name>
    vocabulary: str   # the autocomplete target searched
    field: str        # what a ticked match is submitted as


PICKERS = {p.name: p for p in (
    Picker("occupations", "occupations", "occupations"),
    Picker("sectors", "sectors", "sectors"),
    Picker("skills", "skills", "add_skill"),
    # Related and required credentials: the editor's link options (names, then topics).
    *(Picker(kind, "credentials", f"rel_pick_{kind}") for kind in RELATION_KINDS),
)}
# Which pickers each tab holds, in page order (the order Enter in a keyword box is resolved in).
TAB_PICKERS = {"occupations": ("occupations", "sectors"), "skills": ("skills",), "related": RELATION_KINDS}
MAX_OFFSET_DIGITS = 4


@dataclass(frozen=True)
class PickerAction:
    """A submit that changes what the form shows without saving: a search, or a removal."""
    picker: Picker | None = None
    text: str = ""
    offset: int = 0
    remove_field: str = ""
    remove_value: str = ""


def picker_action(slug: str, form) -> PickerAction | None:
    """The picker action a tab's submit asks for, or None for a save.

    `enter` is the hidden default button that Enter in any text box presses: with words in a
    keyword box, Enter searches (as the Search button beside it would); otherwise it saves."""
    for key in form.keys():
        if key.startswith("remove_"):
            return PickerAction(remove_field=key[len("remove_"):], remove_value=form.get(key, ""))
    names = TAB_PICKERS.get(slug, ())
    for name in names:
        raw = form.get(f"more_{name}", "")
        if raw:
            offset = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_OFFSET_DIGITS else 0
            return PickerAction(PICKERS[name], form.get(f"q_{name}", "").strip(), offset)
    searched = form.get("search", "")
    if searched in names:
        return PickerAction(PICKERS[searched], form.get(f"q_{searched}", "").strip())
    if form.get("enter"):
        typed = next((name for name in names if form.get(f"q_{name}", "").strip()), None)
        if typed:
            return PickerAction(PICKERS[typed], form.get(f"q_{typed}", "").strip())
    return None


def without(payloads: dict, field: str, value: str) -> tuple[dict, bool]:
    """`payloads` with one chosen value taken out (a chip's or a row's ×); and whether it was there.

    Occupations, sectors and CIP codes are lists of codes; skills are rows keyed by skill_id;
    related credentials are rows numbered in page order (remove_related=3)."""
    if field in ("occupations", "sectors") and value in payloads.get(field, []):
        return {**payloads, field: [v for v in payloads[field] if v != value]}, True
    if field == "cip_codes" and value in payloads.get("details", {}).get("cip_codes", []):
        details = payloads["details"]
        return {**payloads, "details": {**details, "cip_codes": [v for v in details["cip_codes"] if v != value]}}, True
    if field == "skill" and "skills" in payloads:
        items = payloads["skills"]["items"]
        kept = [item for item in items if item["skill_id"] != value]
        return {**payloads, "skills": {**payloads["skills"], "items": kept}}, len(kept) != len(items)
    if field == "related" and "related" in payloads and value.isdigit() and int(value) < len(payloads["related"]):
        related = list(payloads["related"])
        del related[int(value)]
        return {**payloads, "related": related}, True
    return payloads, False


def chosen_codes(payloads: dict, picker: Picker) -> list[str]:
    """What the form already holds for `picker`'s field, left out of its matches."""
    if picker.name == "skills":
        return [item["skill_id"] for item in payloads["skills"]["items"]]
    if picker.vocabulary == "credentials":
        return [str(r["credential_id"]) for r in payloads["related"] if r.get("credential_id") not in (None, "")]
    return list(payloads.get(picker.field, []))
