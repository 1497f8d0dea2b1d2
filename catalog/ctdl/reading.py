"""Reading a CTDL credential record into the catalog's sections, without the database.

The importer (imports.py) turns what these return into authoring-service saves; export
(export.py) calls the same readers on a stored original to tell which of its properties still
say what the credential says, and gives those back verbatim (see `unchanged_properties`).

Texts may be language maps, plain strings or lists; codes come with or without a framework. A
reader never raises on odd input: what it cannot use it leaves alone (and the original keeps it).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from catalog.authoring import validation as v
from catalog.ctdl.frameworks import esco_code
from catalog.ctdl.types import stored_type
from store.ctids import normalise_ctid

C = "ceterms:"
DEFAULT_COST_NOTE = "The cost of earning the credential"  # what export writes when there is no note
DELIVERY_IN = {"deliveryType:InPerson": "in_person", "deliveryType:OnlineOnly": "online",
               "deliveryType:BlendedDelivery": "blended"}
DELIVERY_OUT = {ours: ctdl for ctdl, ours in DELIVERY_IN.items()}
STATUS_IN = {"credentialStat:Active": "active", "credentialStat:Deprecated": "deprecated"}
STATUS_OUT = {ours: ctdl for ctdl, ours in STATUS_IN.items()}
ISO_UNITS = {"Y": "years", "M": "months", "W": "weeks", "D": "days", "H": "hours"}
DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(\d+)H)?")

# Alignment properties and the vocabulary their codes belong to.
ALIGNMENTS = {C + "occupationType": "occupations", C + "industryType": "sectors",
              C + "instructionalProgramType": "programs"}

# Scalar property -> the details fields it carries. Export gives a stored original's property
# back verbatim while reading it still gives these fields their current values.
DETAIL_PROPERTIES = {
    "@type": ("credential_type",),
    C + "name": ("name",),
    C + "description": ("description",),
    C + "alternateName": ("alternate_names",),
    C + "inLanguage": ("language",),
    C + "subjectWebpage": ("url",),
    C + "keyword": ("keywords",),
    C + "credentialStatusType": ("lifecycle",),
    C + "estimatedCost": ("cost_amount", "cost_currency", "cost_note"),
    C + "estimatedDuration": ("duration_value", "duration_unit"),
    C + "learningDeliveryType": ("delivery_mode",),
}


def pick_language(texts: dict, language: str = "en") -> str | None:
    """The key of a language map to read: the record's language, then any English, then the first."""
    if not texts:
        return None
    base = (language or "en").split("-")[0].lower()
    for key in texts:
        if key.lower() == (language or "").lower():
            return key
    for key in texts:
        if key.split("-")[0].lower() == base:
            return key
    for key in texts:
        if key.split("-")[0].lower() == "en":
            return key
    return next(iter(texts))


def text_of(value, language: str = "en") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((text_of(item, language) for item in value if text_of(item, language)), "")
    if isinstance(value, dict):
        if "@value" in value:
            return text_of(value["@value"], language)
        key = pick_language(value, language)
        return text_of(value[key], language) if key is not None else ""
    return ""


def texts_of(value, language: str = "en") -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in texts_of(item, language)]
    if isinstance(value, dict):
        if "@value" in value:
            return texts_of(value["@value"], language)
        key = pick_language(value, language)
        return texts_of(value[key], language) if key is not None else []
    return []


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def target_node(value) -> str:
    """The targetNode of an alignment object (a string, or an object with an @id)."""
    node = value.get(C + "targetNode") if isinstance(value, dict) else None
    if isinstance(node, dict):
        node = node.get("@id")
    return node if isinstance(node, str) else ""


def record_language(record: dict) -> str:
    """The language whose texts we store: English when the record has it (the catalog's readers'
    language), else its first. Export writes our `en` as `en-US`, so that one comes back as `en`;
    any other tag is kept as written. The other languages' texts stay in the kept original."""
    languages = [x.strip() for x in as_list(record.get(C + "inLanguage")) if isinstance(x, str) and x.strip()]
    english = [tag for tag in languages if tag.split("-")[0].lower() == "en"]
    tag = (english or languages or ["en"])[0]
    return "en" if tag.lower() == "en-us" else tag


def read_details(record: dict) -> dict:
    """The Details payload (as catalog.authoring.validation.clean_details takes it), without CIP codes."""
    language = record_language(record)
    types = [t for t in as_list(record.get("@type")) if isinstance(t, str)]
    credential_type = next((stored_type(t)[0] for t in types if stored_type(t)[0]), "")
    cost = next((c for c in as_list(record.get(C + "estimatedCost")) if isinstance(c, dict)), {})
    duration = next((d for d in as_list(record.get(C + "estimatedDuration")) if isinstance(d, dict)), {})
    delivery = [DELIVERY_IN.get(target_node(d)) for d in as_list(record.get(C + "learningDeliveryType"))]
    delivery = [d for d in delivery if d]
    status = STATUS_IN.get(target_node(record.get(C + "credentialStatusType")), "active")
    return {
        "name": text_of(record.get(C + "name"), language),
        "alternate_names": texts_of(record.get(C + "alternateName"), language),
        "description": text_of(record.get(C + "description"), language),
        "credential_type": credential_type,
        # Export gives the record's own address when a credential has no page; that is no page of the issuer's.
        "url": page if isinstance(page := record.get(C + "subjectWebpage"), str) and page != record.get("@id") else "",
        "language": language,
        "cost": {"amount": _price(cost.get(C + "price")),
                 "currency": currency_code(cost.get(C + "currency")) or "",
                 "note": "" if (note := text_of(cost.get(C + "description"), language)[:500]) == DEFAULT_COST_NOTE
                 else note},
        "duration": _duration(duration),
        # One delivery mode: several, or in person and online, is blended.
        "delivery_mode": delivery[0] if len(set(delivery)) == 1 else ("blended" if delivery else ""),
        "keywords": texts_of(record.get(C + "keyword"), language),
        "lifecycle": status,
    }


CURRENCY_NAMES = {"us dollar": "USD", "us dollars": "USD", "dollar": "USD", "dollars": "USD", "$": "USD",
                  "usd": "USD", "euro": "EUR", "euros": "EUR", "canadian dollar": "CAD", "pound sterling": "GBP"}


def currency_code(value) -> str | None:
    """An ISO 4217 code for what publishers write ("USD", "usd", "US Dollar"), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    return CURRENCY_NAMES.get(text.lower())


def _price(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return str(Decimal(str(value)))
    except InvalidOperation:
        return None


def _duration(profile: dict) -> dict:
    """The exact duration (else the maximum) as one value and unit; mixed units are left out."""
    for key in (C + "exactDuration", C + "maximumDuration", C + "minimumDuration"):
        match = DURATION.fullmatch(profile.get(key) or "") if isinstance(profile.get(key), str) else None
        if match:
            parts = [(int(n), unit) for n, unit in zip(match.groups(), "YMWDH") if n]
            if len(parts) == 1:
                return {"value": parts[0][0], "unit": ISO_UNITS[parts[0][1]]}
    return {"value": None, "unit": ""}


def iso_duration(value: int, unit: str) -> str:
    letter = {v: k for k, v in ISO_UNITS.items()}[unit]
    return f"PT{value}H" if letter == "H" else f"P{value}{letter}"


def alignments(record: dict, prop: str) -> list[tuple[int, dict]]:
    return [(i, item) for i, item in enumerate(as_list(record.get(prop))) if isinstance(item, dict)]


def is_old_edition(item: dict) -> bool:
    """Does the alignment say its code is of an older edition (2010)?"""
    said = " ".join([item.get(C + "framework") or "" if isinstance(item.get(C + "framework"), str) else "",
                     text_of(item.get(C + "frameworkName"))])
    return "2010" in said


def competency_codes(profile: dict) -> list[str] | None:
    """Skill codes to look up, if `profile` is a ConditionProfile of competencies and nothing else
    (but the levels export writes, see competency_levels): ESCO skills by their URI, others (ours,
    O*NET) by their code."""
    if set(profile) - {"@type", C + "description", C + "targetCompetency", *SKILL_LEVELS}:
        return None
    codes = []
    for item in as_list(profile.get(C + "targetCompetency")):
        code = esco_code(target_node(item)) if isinstance(item, dict) else None
        notation = item.get(C + "codedNotation") if isinstance(item, dict) else None
        codes.append(code or (notation.strip() if isinstance(notation, str) and notation.strip() else None))
    return codes if codes and all(codes) else None


def unchanged_properties(original: dict, current: dict) -> set[str]:
    """The detail properties of `original` that still read as `current` (a credential's stored
    details fields): export may give those back as the source wrote them."""
    try:
        cleaned = v.clean_details(read_details(original), set())
    except v.ValidationError:
        return set()  # imports refuse such records, so this is an original from elsewhere: ours win
    return {prop for prop, fields in DETAIL_PROPERTIES.items() if all(_same(cleaned.get(f), current.get(f)) for f in fields)}


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return (a or None) == (b or None)


# Where a competency profile carries its skills' levels (export.skills_profile): the profile's
# name is the level the credential shows, its experience the level a candidate needs first.
SKILL_LEVELS = {C + "name": "acquired_level", C + "experience": "min_level"}


def competency_levels(profile: dict, language: str) -> dict[str, str] | None:
    """{"min_level", "acquired_level"} of a competency profile ("" where it names none), or None
    when a level is not one text: then the profile is not ours to read."""
    levels = {}
    for prop, level in SKILL_LEVELS.items():
        value = profile.get(prop)
        texts = texts_of(value, language) if value is not None else []
        if len(texts) > 1 or (value is not None and not (texts and texts[0].strip())):
            return None
        levels[level] = texts[0].strip() if texts else ""
    return levels


def ctid_of(reference) -> str | None:
    """The CTID a Registry URI (or a bare CTID) names, lower case, or None."""
    if not isinstance(reference, str):
        return None
    return normalise_ctid(reference.rstrip("/").rsplit("/", 1)[-1])
