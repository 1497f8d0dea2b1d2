"""What the editor's pages show beside the stored values: labels for codes, names for ids.

Payloads and snapshots hold codes and ids only ("29-1141.00", credential 12); a person reads
"Registered Nurses" and "Phlebotomy Technician (draft)". These lookups read the database once
per page, for exactly the codes the page shows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES, DURATION_UNITS, LANGUAGES, LIFECYCLES
from store.models import Credential, Organization, Status
from store.vocabulary import bound_scheme, concept_labels
from catalog.authoring import validation
from catalog.authoring.levels import merged_scale
from catalog.authoring.links import linked_credentials
from catalog.authoring.service import may_provide
from catalog.authoring.snapshot import section_snapshot
from webapp.editor import forms
from webapp.editor.tabs import BY_SLUG, TABS

OPTIONS_LIMIT = 20


def labels(session: Session, vocabulary: str, codes) -> dict[str, str]:
    """code -> label in the scheme bound to `vocabulary`; unknown codes are simply absent."""
    concepts = concept_labels(session, bound_scheme(session, vocabulary), [c for c in codes if isinstance(c, str)])
    return {code: concept.label for code, concept in concepts.items()}


def chosen_items(session: Session, vocabulary: str, codes) -> list[dict]:
    """Chips for chosen codes, in the pickers' item shape, labelled from the taxonomy."""
    names = labels(session, vocabulary, codes)
    return [{"id": code, "code": code, "label": names.get(code, code)} for code in codes]


def values_of(credential: Credential, slug: str) -> dict:
    """The stored state of a tab, in the same shape `forms.tab_payloads` gives for a submission."""
    values: dict = {}
    for section in BY_SLUG[slug].sections:
        snapshot = section_snapshot(credential, section)
        values.update({"details": snapshot} if section == "details" else
                      {"skills": snapshot} if section == "skills" else snapshot)
    return values


def _details_context(session: Session, credential: Credential, values: dict) -> dict:
    return {"cip_items": chosen_items(session, "programs", values["details"]["cip_codes"])}


def _occupations_context(session: Session, credential: Credential, values: dict) -> dict:
    return {"occupation_items": chosen_items(session, "occupations", values["occupations"]),
            "sector_items": chosen_items(session, "sectors", values["sectors"]),
            # Suggestions come from what is saved: the CIP programmes chosen on the Details tab.
            "suggest_cips": list(credential.cip_codes)}


def _related_context(session: Session, credential: Credential, values: dict) -> dict:
    related = values["related"]
    return {
        # Another organization's credential that is no longer published shows under its last
        # published name: a later draft rename is theirs alone (catalog.authoring.links).
        "targets": linked_credentials(session, credential.org_id, [r.get("credential_id") for r in related]),
        "cip_labels": labels(session, "programs", [r.get("cip") for r in related]),
    }


def _skills_context(session: Session, credential: Credential, values: dict) -> dict:
    skills = values["skills"]
    custom = [(c["name"], c["position"]) for c in skills["custom_levels"]]
    return {
        "scale": merged_scale(custom),
        "custom_names": [name for name, _ in custom],
        "skill_labels": labels(session, "skills", [i.get("skill_id") for i in skills["items"]]),
        # Suggestions come from what is saved: the occupations chosen on the Occupation tab.
        "suggest_occupations": [link.code for link in credential.occupations],
    }


BLANK_PROGRAM = {"id": None, "provider_org_id": None, "provider_name": "", "name": "", "url": "", "delivery_mode": "",
                 "duration": {"value": None, "unit": ""}, "cost": "", "location": "", "cip": ""}


def _programs_context(session: Session, credential: Credential, values: dict) -> dict:
    # Providers are picked by autocomplete (provider_options); the page needs only the names of
    # the ones already chosen, not every organization.
    chosen = {p.get("provider_org_id") for p in values["programs"]} - {None, ""}
    ids = {i for i in chosen if isinstance(i, int)}
    names = dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all()) \
        if ids else {}
    return {
        "blank_program": BLANK_PROGRAM,
        "provider_names": names,
        "cip_labels": labels(session, "programs", [p.get("cip") for p in values["programs"]]),
    }


PROVIDER_SCAN = 500  # name matches read before keeping the providers; kinds are a JSON list, not a column to filter on


def provider_options(session: Session, text: str, own_org_id: int) -> dict:
    """Organizations whose name contains `text` and that the service accepts as a programme's
    provider (the credential's own organization, and education providers), in the autocomplete
    API's shape so the combobox reads both alike."""
    text = text.strip()
    if not text:
        return {"query": text, "total": 0, "items": []}
    name = func.lower(Organization.name)
    starts = name.like(_like_pattern(text)[1:], escape="\\")
    rows = session.scalars(
        select(Organization).where(name.like(_like_pattern(text), escape="\\"))
        .order_by(starts.desc(), name, Organization.id).limit(PROVIDER_SCAN)
    ).all()
    providers = [org for org in rows if may_provide(org, own_org_id)]
    items = [{"id": str(org.id), "code": org.location or "", "label": org.name, "scheme": "organizations",
              "matched": None} for org in providers[:OPTIONS_LIMIT]]
    return {"query": text, "total": len(providers), "items": items}


def _status_context(session: Session, credential: Credential, values: dict) -> dict:
    return {"missing": missing_fields(section_snapshot(credential, "details"))}


def _notes_context(session: Session, credential: Credential, values: dict) -> dict:
    return {"notes": sorted(credential.notes, key=lambda n: n.created_at, reverse=True)}


CONTEXT = {
    "details": _details_context,
    "occupations": _occupations_context,
    "related": _related_context,
    "skills": _skills_context,
    "programs": _programs_context,
    "notes": _notes_context,
    "status": _status_context,
}


def tab_context(session: Session, credential: Credential, slug: str, values: dict) -> dict:
    return {
        "credential_types": CREDENTIAL_TYPES,
        "delivery_modes": DELIVERY_MODES,
        "duration_units": DURATION_UNITS,
        "languages": LANGUAGES,
        "lifecycles": LIFECYCLES,
        **CONTEXT[slug](session, credential, values),
    }


def missing_fields(details: dict) -> list[dict]:
    """What publishing still needs, each with the details field to fix it in."""
    labels_missing = set(validation.missing_for_publish(details))
    return [{"field": field, "label": label, "id": forms.field_id(field)}
            for field, label in validation.PUBLISH_REQUIRED.items() if label in labels_missing]


# --- the related-credential picker -------------------------------------------------------------


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def credential_options(session: Session, text: str, draft_org_ids: set[int], exclude_ids: set[int],
                       about: Callable[[str, set[int], int], list[tuple[int, str | None]]] | None = None) -> dict:
    """Published credentials, plus drafts of `draft_org_ids`, whose name contains `text`; then, when
    `about` is given, published ones found by what they are about (see topic_finder), name matches first.

    The same rule as the service's `Known.relation_targets`, so every option offered can be saved.
    Answered in the autocomplete API's shape so the combobox reads both alike.
    """
    text = text.strip()
    if not text:
        return {"query": text, "total": 0, "items": []}
    linkable = or_(Credential.status == Status.published.value,
                   Credential.org_id.in_(draft_org_ids) & (Credential.status == Status.draft.value))
    where = [linkable, func.lower(Credential.name).like(_like_pattern(text), escape="\\")]
    if exclude_ids:
        where.append(Credential.id.not_in(exclude_ids))
    total = session.scalar(select(func.count()).select_from(Credential).where(*where))
    starts = func.lower(Credential.name).like(_like_pattern(text)[1:], escape="\\")
    rows = session.scalars(
        select(Credential).where(*where).order_by(starts.desc(), func.lower(Credential.name), Credential.id)
        .limit(OPTIONS_LIMIT)
    ).all()
    items = [_option(c) for c in rows]
    room = OPTIONS_LIMIT - len(items)
    if about is not None and room > 0:
        found = about(text, exclude_ids | {c.id for c in rows}, room)
        # The index may lag a change of status by a second or two: offer only what can be saved now.
        ids = [credential_id for credential_id, _ in found]
        by_id = {c.id: c for c in session.scalars(select(Credential).where(linkable, Credential.id.in_(ids)))} if ids else {}
        extra = [_option(by_id[i], how) for i, how in found if i in by_id]
        items += extra
        total += len(extra)
    return {"query": text, "total": total, "items": items}


def _option(c: Credential, about: str | None = None) -> dict:
    return {
        "id": str(c.id),
        "code": CREDENTIAL_TYPES.get(c.credential_type, c.credential_type),
        "label": c.name,
        "scheme": "credentials",
        "matched": None,
        "about": about,
        "status": c.status,
        "organization": c.organization.name,
    }


# --- history -----------------------------------------------------------------------------------


# History entries store codes; these fields' codes are shown with their labels.
CODED_FIELDS = {"occupations": "occupations", "sectors": "sectors", "cip_codes": "programs", "cip": "programs",
                "skill_id": "skills"}
NAMED_VALUES = {"credential_type": CREDENTIAL_TYPES, "type": CREDENTIAL_TYPES, "delivery_mode": DELIVERY_MODES}
# Row ids stored in history entries, shown as the name of what they point at, under a plain label.
ID_FIELDS = {"provider_org_id": ("organizations", "provider"), "credential_id": ("credentials", "credential")}
# Internal keys a person has no use for: a program's row id only tells programs apart.
HIDDEN_KEYS = {"id"}


def history_names(session: Session, entries: list[dict]) -> dict[tuple[str, str], str]:
    """(vocabulary, code) -> label for every taxonomy code the history entries mention, and
    ("organizations" | "credentials", id) -> name for every organization or credential id."""
    wanted: dict[str, set[str]] = {}
    ids: dict[str, set[int]] = {"organizations": set(), "credentials": set()}

    def collect(field: str | None, value) -> None:
        if isinstance(value, list):
            for item in value:
                collect(field, item)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key, item)
        elif isinstance(value, str) and field in CODED_FIELDS:
            wanted.setdefault(CODED_FIELDS[field], set()).add(value)
        elif isinstance(value, int) and field in ID_FIELDS:
            ids[ID_FIELDS[field][0]].add(value)

    for entry in entries:
        for field, pair in entry["changes"].items():
            collect(field, pair)
    names = {(vocabulary, code): label for vocabulary, codes in wanted.items()
             for code, label in labels(session, vocabulary, codes).items()}
    for table, model in (("organizations", Organization), ("credentials", Credential)):
        if ids[table]:
            rows = session.execute(select(model.id, model.name).where(model.id.in_(ids[table])))
            names.update({(table, str(row_id)): name for row_id, name in rows})
    return names


def _is_empty(value) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return value is None or value == "" or value == []


def show_value(value, field: str | None = None, names: dict | None = None) -> str:
    """A stored value as a person reads it in the history: lists joined, empty parts and internal
    ids left out, codes with their labels ("Registered Nurses (29-1141.00)", "In person") and
    organizations and credentials by name."""
    if _is_empty(value):
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(show_value(v, field, names) for v in value)
    if isinstance(value, dict) and set(value) == {"value", "unit"}:  # a duration: "8 weeks"
        return f"{show_value(value['value'])} {value['unit'] or ''}".strip()
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if key in HIDDEN_KEYS or _is_empty(item):
                continue
            label = ID_FIELDS[key][1] if key in ID_FIELDS else key.replace("_", " ")
            parts.append(f"{label}: {show_value(item, key, names)}")
        return ", ".join(parts) if parts else "(empty)"
    if field in NAMED_VALUES:
        return NAMED_VALUES[field].get(value, value)
    if field in ID_FIELDS:
        name = (names or {}).get((ID_FIELDS[field][0], str(value)))
        return name or f"a {ID_FIELDS[field][1]} no longer in the catalog"
    label = (names or {}).get((CODED_FIELDS.get(field, ""), value))
    return f"{label} ({value})" if label else str(value)


def change_rows(changes: dict, names: dict) -> list[dict]:
    """One history entry's changes as rows of {label, before, after} for the page.

    Lists of records with ids (programs) are compared record by record: a program that did not
    change is not shown at all, one that changed shows only the fields that did, and one added or
    removed shows whole. Everything else is shown as its value before and after.
    """
    rows = []
    for field, (before, after) in changes.items():
        if _is_record_list(before) and _is_record_list(after):
            rows.extend(_record_rows(field, before or [], after or [], names))
        else:
            rows.append({"label": forms.field_label(field), "before": show_value(before, field, names),
                         "after": show_value(after, field, names)})
    return rows


def _is_record_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) and "id" in item for item in value)


def _record_rows(field: str, before: list[dict], after: list[dict], names: dict) -> list[dict]:
    noun = forms.ITEM_LABELS.get(field, (field.rstrip("s").capitalize(), {}))[0]
    old = {item["id"]: item for item in before if item.get("id") is not None}
    rows = []
    for item in after:
        previous = old.pop(item.get("id"), None)
        if previous is None:
            rows.append({"label": f"{noun} added", "before": "(none)", "after": show_value(item, field, names)})
        elif previous != item:
            changed = [key for key in item if key not in HIDDEN_KEYS and previous.get(key) != item.get(key)]
            rows.append({"label": f"{noun} “{item.get('name') or previous.get('name')}”",
                         "before": show_value({k: previous.get(k) for k in changed}, field, names),
                         "after": show_value({k: item.get(k) for k in changed}, field, names)})
    for item in old.values():
        rows.append({"label": f"{noun} removed", "before": show_value(item, field, names), "after": "(none)"})
    return rows


def when(value) -> str:
    """A stored UTC time (datetime or ISO text) as "2025-03-04 14:05 UTC"."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.rstrip("Z"))
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M UTC")


def section_title(section: str) -> str:
    """The tab a service section is edited in ("sectors" -> "Occupation and sector"); a save of
    several sections of one tab ("occupations+sectors") is that tab's."""
    parts = section.split("+")
    for tab in TABS:
        if len(parts) > 1 and set(parts) <= set(tab.sections):
            return tab.title
    for tab in TABS:
        if section in tab.sections:
            return tab.title if len(tab.sections) == 1 else f"{tab.title} ({section})"
    return section.capitalize()
