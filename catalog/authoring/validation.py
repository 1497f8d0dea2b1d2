"""Checking and normalising what an editor submits, one section (tab) at a time.

Each `clean_*` function takes the submitted JSON-like value and returns the normalised value,
or raises ValidationError with a message per field. Checks that need the database (does this
code exist?) receive the set of known codes from the caller, so these stay pure.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from store.facts import (
    CREDENTIAL_TYPES,
    DELIVERY_MODES,
    DURATION_UNITS,
    LIFECYCLES,
    MAX_ITEMS,
    MAX_LENGTH,
    RELATION_KINDS,
)
from store.ids import looks_like_id, parse_id

SECTIONS = ("details", "occupations", "sectors", "related", "skills", "programs")
PUBLISH_REQUIRED = {"name": "a name", "credential_type": "a credential type", "description": "a description"}
MAX_LEVEL_POSITION = 1000
# PostgreSQL refuses NUL in text, and no UTF-8 encoder takes an unpaired surrogate (JSON's
# "\ud800" decodes to one), so either would fail the save with a database error instead.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL or unpaired surrogate characters"


class ValidationError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _text(value, field: str, errors: dict, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = "must be text"
        return ""
    if UNSTORABLE.search(value):
        errors[field] = UNSTORABLE_MESSAGE
        return ""
    # The limit applies to what was sent, as the API schema's maxLength says: stripping first would
    # let 5,000 characters of trailing whitespace (\u0085 counts) slip past a 5,000 limit.
    too_long = len(value) > limit
    value = value.strip()
    if required and not value:
        errors[field] = "is required"
    elif too_long:
        errors[field] = f"must be at most {limit} characters"
    return value


def _text_list(value, field: str, errors: dict, limit: int = 100, max_items: int = 50) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[\n,;]", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[field] = "must be a list of text"
        return []
    if any(UNSTORABLE.search(v) for v in value):
        errors[field] = UNSTORABLE_MESSAGE
        return []
    out, seen = [], set()
    for item in (v.strip() for v in value):
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    if len(out) > max_items:
        errors[field] = f"at most {max_items} entries"
    elif any(len(v) > limit for v in out):
        errors[field] = f"each entry must be at most {limit} characters"
    return out


def _url(value, field: str, errors: dict) -> str:
    value = _text(value, field, errors, MAX_LENGTH["url"])
    if value:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors[field] = "must be a web address starting with http:// or https://"
    return value


def _choice(value, field: str, errors: dict, choices, required: bool = False) -> str:
    value = _text(value, field, errors, MAX_LENGTH["code"])
    if value and value not in choices:
        errors[field] = f"must be one of: {', '.join(choices)}"
    elif required and not value:
        errors[field] = "is required"
    return value


def _amount(value, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors[field] = "must be a number, e.g. 1250.00"
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors[field] = "must be zero or more (and below 10 billion)"
        return None
    return amount.quantize(Decimal("0.01"))


def _count(value, field: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[field] = "must be a whole number"
        return None
    if not 0 < number <= 100000:
        errors[field] = "must be between 1 and 100000"
        return None
    return number


def _mapping(value, field: str, errors: dict) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[field] = "must be an object"
        return {}
    return value


def clean_details(data: dict, known_cips: set[str]) -> dict:
    errors: dict[str, str] = {}
    data = _mapping(data, "details", errors)
    cost = _mapping(data.get("cost"), "cost", errors)
    duration = _mapping(data.get("duration"), "duration", errors)
    out = {
        "name": _text(data.get("name"), "name", errors, MAX_LENGTH["name"], required=True),
        "alternate_names": _text_list(data.get("alternate_names"), "alternate_names", errors, MAX_LENGTH["name"],
                                      MAX_ITEMS["alternate_names"]),
        "description": _text(data.get("description"), "description", errors, MAX_LENGTH["description"]),
        "credential_type": _choice(data.get("credential_type"), "credential_type", errors, CREDENTIAL_TYPES),
        "url": _url(data.get("url"), "url", errors),
        "cip_codes": _text_list(data.get("cip_codes"), "cip_codes", errors, MAX_LENGTH["cip_code"], MAX_ITEMS["cip_codes"]),
        "language": _text(data.get("language") or "en", "language", errors, MAX_LENGTH["language"]),
        "cost_amount": _amount(cost.get("amount"), "cost.amount", errors),
        "cost_currency": _text(cost.get("currency") or "USD", "cost.currency", errors, MAX_LENGTH["currency"]).upper(),
        "cost_note": _text(cost.get("note"), "cost.note", errors, MAX_LENGTH["cost_note"]),
        "duration_value": _count(duration.get("value"), "duration.value", errors),
        "duration_unit": _choice(duration.get("unit"), "duration.unit", errors, DURATION_UNITS),
        "delivery_mode": _choice(data.get("delivery_mode"), "delivery_mode", errors, DELIVERY_MODES),
        "keywords": _text_list(data.get("keywords"), "keywords", errors, MAX_LENGTH["keyword"], MAX_ITEMS["keywords"]),
        "lifecycle": _choice(data.get("lifecycle") or "active", "lifecycle", errors, LIFECYCLES),
    }
    if out["language"] and not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?", out["language"]):
        errors["language"] = "must be a language code such as en or es"
    if "cost.currency" not in errors and not re.fullmatch(r"[A-Z]{3}", out["cost_currency"]):
        errors["cost.currency"] = "must be a three-letter currency code such as USD"
    if out["duration_value"] is not None and not out["duration_unit"]:
        errors["duration.unit"] = "choose a unit for the duration"
    unknown = [c for c in out["cip_codes"] if c not in known_cips]
    if unknown and "cip_codes" not in errors:
        errors["cip_codes"] = f"unknown CIP code(s): {', '.join(unknown)}"
    if errors:
        raise ValidationError(errors)
    return out


def clean_codes(value, field: str, known: set[str], noun: str, max_items: int = MAX_ITEMS["occupations"]) -> list[str]:
    errors: dict[str, str] = {}
    if isinstance(value, dict) and field in value:
        value = value[field]
    codes = _text_list(value, field, errors, MAX_LENGTH["code"], max_items)
    if not errors:
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors[field] = f"unknown {noun} code(s): {', '.join(unknown[:10])}"
    if errors:
        raise ValidationError(errors)
    return codes


def clean_relations(value, self_id: int | None, allowed_targets: dict[int, str], known_cips: set[str]) -> list[dict]:
    """`allowed_targets` maps credential ids the editor may link to their names."""
    errors: dict[str, str] = {}
    if not isinstance(value, list):
        raise ValidationError({"related": "must be a list"})
    out, seen = [], set()
    for i, item in enumerate(value):
        where = f"related[{i}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        kind = item.get("kind") or "related"
        if kind not in RELATION_KINDS:
            errors[f"{where}.kind"] = "must be related or required"
            continue
        raw_target = item.get("credential_id")
        if raw_target not in (None, ""):
            # Strictly a whole number: 1.5 or True would otherwise round onto credential 1.
            if not looks_like_id(raw_target):
                errors[f"{where}.credential_id"] = "must be a credential id (a whole number)"
                continue
            target = parse_id(raw_target)
            if target is None:
                errors[f"{where}.credential_id"] = f"there is no credential {str(raw_target)[:20]}"
                continue
            if target == self_id:
                errors[f"{where}.credential_id"] = "a credential cannot be related to itself"
                continue
            if target not in allowed_targets:
                errors[f"{where}.credential_id"] = f"credential {target} is not published or not yours to link"
                continue
            key = (kind, "credential", target)
            relation = {"kind": kind, "credential_id": target}
        else:
            cip = (item.get("cip") or "").strip() if isinstance(item.get("cip"), str) else ""
            ctype = (item.get("type") or "").strip() if isinstance(item.get("type"), str) else ""
            name = _text(item.get("name"), f"{where}.name", errors, MAX_LENGTH["name"])
            # An external credential is known by its CIP code or, when it has none (a licence an
            # imported programme leads to), by its name.
            if cip and cip not in known_cips or not cip and not name:
                errors[f"{where}.cip"] = f"unknown CIP code {cip!r}" if cip else "give a credential, a CIP code or a name"
                continue
            if ctype not in CREDENTIAL_TYPES:
                errors[f"{where}.type"] = "choose a credential type"
                continue
            key = (kind, "external", cip, ctype) if cip else (kind, "external", "", ctype, name.casefold())
            relation = {"kind": kind, "cip": cip, "type": ctype, "name": name}
        if key in seen:
            errors[where] = "duplicate relation"
            continue
        seen.add(key)
        out.append(relation)
    if errors:
        raise ValidationError(errors)
    return out


def clean_skills(value, known_skills: set[str], scale_for) -> tuple[list[dict], list[dict]]:
    """Returns (custom levels, skills). `scale_for(custom_levels)` gives the merged scale."""
    from catalog.authoring.levels import DEFAULT_LEVELS

    errors: dict[str, str] = {}
    if isinstance(value, list):
        value = {"items": value}
    value = _mapping(value, "skills", errors)
    levels_in = value.get("custom_levels") or []
    items_in = value.get("items") or []
    if not isinstance(levels_in, list) or not isinstance(items_in, list):
        raise ValidationError({"skills": "custom_levels and items must be lists"})
    custom, names = [], {n.casefold() for n in DEFAULT_LEVELS}
    for i, level in enumerate(levels_in):
        where = f"custom_levels[{i}]"
        level = level if isinstance(level, dict) else {"name": level}
        name = _text(level.get("name"), f"{where}.name", errors, MAX_LENGTH["code"], required=True)
        try:
            position = int(level.get("position", len(DEFAULT_LEVELS) + len(custom)))
        except (TypeError, ValueError, OverflowError):
            errors[f"{where}.position"] = "must be a whole number"
            continue
        if position > MAX_LEVEL_POSITION:
            errors[f"{where}.position"] = f"must be at most {MAX_LEVEL_POSITION}"
            continue
        if name and name.casefold() in names:
            errors[f"{where}.name"] = f"level {name!r} already exists"
        names.add(name.casefold())
        custom.append({"name": name, "position": max(0, position)})
    if errors:
        raise ValidationError(errors)
    scale = scale_for([(c["name"], c["position"]) for c in custom])
    skills, seen = [], set()
    for i, item in enumerate(items_in):
        where = f"skills[{i}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        code = item.get("skill_id") or item.get("code") or ""
        if not isinstance(code, str) or code not in known_skills:
            errors[f"{where}.skill_id"] = f"unknown skill {code!r}"
            continue
        if code in seen:
            errors[f"{where}.skill_id"] = "skill listed twice"
            continue
        seen.add(code)
        min_level, acquired = item.get("min_level") or "", item.get("acquired_level") or ""
        for field, level in (("min_level", min_level), ("acquired_level", acquired)):
            if level and level not in scale:
                errors[f"{where}.{field}"] = f"unknown level {level!r}; choose from {', '.join(scale)}"
        if min_level in scale and acquired in scale and scale.index(acquired) < scale.index(min_level):
            errors[f"{where}.acquired_level"] = "cannot be below the minimum experience"
        skills.append({"code": code, "min_level": min_level, "acquired_level": acquired})
    if errors:
        raise ValidationError(errors)
    return custom, skills


def clean_programs(value, known_orgs: dict[int, str], allowed_providers: set[int], known_cips: set[str]) -> list[dict]:
    """`known_orgs` maps the organizations that exist to their names; `allowed_providers` are those
    that may be named as a program's provider (the credential's own, and education providers)."""
    errors: dict[str, str] = {}
    if not isinstance(value, list):
        raise ValidationError({"programs": "must be a list"})
    out = []
    for i, item in enumerate(value):
        where = f"programs[{i}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        e: dict[str, str] = {}
        duration = _mapping(item.get("duration"), f"{where}.duration", e)
        raw_provider = item.get("provider_org_id")
        provider_id = parse_id(raw_provider)
        if raw_provider in (None, ""):
            provider_id = None
        elif not looks_like_id(raw_provider):
            e[f"{where}.provider_org_id"] = "must be an organization id (a whole number)"
        elif provider_id not in known_orgs:
            e[f"{where}.provider_org_id"] = "unknown organization"
        elif provider_id not in allowed_providers:
            e[f"{where}.provider_org_id"] = (
                f"{known_orgs[provider_id]} is not an education provider, so it cannot be named as one; choose your "
                "own organization or an education provider, or type the provider's name instead")
        program = {
            "id": parse_id(item.get("id")) if isinstance(item.get("id"), int) else None,
            "provider_org_id": provider_id,
            "provider_name": _text(item.get("provider_name"), f"{where}.provider_name", e, MAX_LENGTH["provider_name"]),
            "name": _text(item.get("name"), f"{where}.name", e, MAX_LENGTH["name"], required=True),
            "url": _url(item.get("url"), f"{where}.url", e),
            "delivery_mode": _choice(item.get("delivery_mode"), f"{where}.delivery_mode", e, DELIVERY_MODES),
            "duration_value": _count(duration.get("value"), f"{where}.duration.value", e),
            "duration_unit": _choice(duration.get("unit"), f"{where}.duration.unit", e, DURATION_UNITS),
            "cost_amount": _amount(item.get("cost"), f"{where}.cost", e),
            "location": _text(item.get("location"), f"{where}.location", e, MAX_LENGTH["location"]),
            "cip_code": _text(item.get("cip"), f"{where}.cip", e, MAX_LENGTH["cip_code"]),
        }
        if program["provider_org_id"] is None and not program["provider_name"] and not e:
            e[f"{where}.provider_name"] = "name the provider or choose an organization"
        if program["cip_code"] and program["cip_code"] not in known_cips:
            e[f"{where}.cip"] = f"unknown CIP code {program['cip_code']!r}"
        errors.update(e)
        out.append(program)
    if errors:
        raise ValidationError(errors)
    return out


def clean_note(value) -> str:
    errors: dict[str, str] = {}
    body = _text(value.get("body") if isinstance(value, dict) else value, "body", errors, MAX_LENGTH["note"], required=True)
    if errors:
        raise ValidationError(errors)
    return body


def missing_for_publish(details: dict) -> list[str]:
    """What a credential still needs before it can be published, in words an editor reads."""
    return [label for field, label in PUBLISH_REQUIRED.items() if not (details.get(field) or "").strip()]
