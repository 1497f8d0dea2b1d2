"""Turning the values real files carry into the catalog's values, for every import source.

Spreadsheets (catalog.imports.tables) and Credential Engine JSON-LD both arrive with the same
habits: CIP codes with or without the dot and from the 2010 edition, O*NET-SOC 2010 codes
written without punctuation, "Associate's Degree" for `associate_degree`, "$1,250.00", "480 clock
hours", "N/A", "Hybrid". Each function here takes one raw value and returns the catalog's value,
or raises `ValueProblem` with a reason a person can act on. They are pure; the codes that exist
are passed in (`CodeBook`), so the caller decides which schemes are loaded.

The crosswalks are bundled in data/taxonomy (see its README for their sources):
`cip/cip_2010_to_2020_crosswalk.csv` (NCES) and `onet/onet_2010_to_2019_crosswalk.csv` (O*NET
Resource Center, CC BY 4.0). A SOC 2010 or 2018 detailed code (`47-2111`) is read as its O*NET
`.00` occupation, which is how O*NET-SOC extends SOC.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "taxonomy"

# What people type for "no value". "None" is not here: in a prerequisites column it is an answer.
BLANKS = {"", "n/a", "na", "n.a.", "n/a.", "-", "--", "—", "null", "nil", "not applicable", "#n/a", "tbd", "unknown"}


class ValueProblem(ValueError):
    """A value that could not be read; the message says why, for the import report."""


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().casefold() in BLANKS)


def text(value) -> str:
    """A cell as trimmed text, "" for blanks."""
    if is_blank(value):
        return ""
    return str(value).strip()


def key(value: str) -> str:
    """Case- and punctuation-insensitive form, for matching names and synonyms."""
    return re.sub(r"[^0-9a-z]+", "", str(value).casefold())


def name_key(value: str) -> str:
    """Like `key`, but keeping word boundaries: "St. Paul College" and "ST PAUL COLLEGE" match."""
    return " ".join(re.findall(r"[0-9a-z]+", str(value).casefold()))


# --- codes ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cip_2010_to_2020() -> dict[str, tuple[str, ...]]:
    """CIP 2010 six-digit code -> its CIP 2020 code(s); deleted codes map to nothing."""
    targets: dict[str, list[str]] = {}
    with open(DATA_DIR / "cip" / "cip_2010_to_2020_crosswalk.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            old, new = row["CIPCode2010"].strip(), row["CIPCode2020"].strip()
            if len(old) == 7 and row["Action"].strip() != "Deleted" and len(new) == 7:
                targets.setdefault(old, []).append(new)
    return {old: tuple(dict.fromkeys(new)) for old, new in targets.items()}


@lru_cache(maxsize=1)
def onet_2010_to_2019() -> dict[str, tuple[str, ...]]:
    """O*NET-SOC 2010 code -> its O*NET-SOC 2019 code(s) (a few 2010 occupations were split)."""
    targets: dict[str, list[str]] = {}
    with open(DATA_DIR / "onet" / "onet_2010_to_2019_crosswalk.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            targets.setdefault(row["O*NET-SOC 2010 Code"].strip(), []).append(row["O*NET-SOC 2019 Code"].strip())
    return {old: tuple(dict.fromkeys(new)) for old, new in targets.items()}


@dataclass(frozen=True)
class CodeBook:
    """The codes the catalog knows: CIP 2020 codes and occupation (O*NET-SOC 2019) codes."""

    cips: frozenset[str] = frozenset()
    occupations: frozenset[str] = frozenset()
    # CIP 2020 code -> SOC 2018 codes, for suggested occupations.
    cip_soc: dict[str, tuple[str, ...]] = field(default_factory=dict)


def split_codes(value) -> list[str]:
    """A cell that may hold several codes: "51.3801; 51.3901", "47211100 47201100"."""
    if is_blank(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if not is_blank(v)]
    return [part for part in re.split(r"[,;|\s]+", str(value).strip()) if part and not is_blank(part)]


def _current_or_successors(code: str, current: frozenset, crosswalk: dict) -> list[str]:
    """[code] when it is a current code; else what the crosswalk from the older edition makes of
    it, among current codes; else []."""
    if code in current:
        return [code]
    return [c for c in crosswalk.get(code, ()) if c in current]


def cip_code(value, book: CodeBook) -> list[str]:
    """One CIP code as written -> the CIP 2020 code(s) it means.

    `513501`, `51.3501`, `10605` (a spreadsheet dropped the leading zero of 01.0605) and CIP 2010
    codes that were renumbered in 2020 are all read.
    """
    raw = str(value).strip().strip('="\'')
    match = re.fullmatch(r"(\d{1,2})\.?(\d{4})", raw)
    if not match:
        raise ValueProblem("not a CIP code (six digits, e.g. 51.3801 or 513801)")
    code = f"{int(match.group(1)):02d}.{match.group(2)}"
    current = _current_or_successors(code, book.cips, cip_2010_to_2020())
    if current:
        return current
    if code in cip_2010_to_2020() or code[:2] == "99":
        raise ValueProblem(f"CIP {code} was deleted in CIP 2020 and has no successor")
    raise ValueProblem(f"CIP {code} is neither a CIP 2020 nor a CIP 2010 code")


def occupation_code(value, book: CodeBook) -> list[str]:
    """One occupation code as written -> O*NET-SOC 2019 code(s).

    `47-2111.00`, `47211100`, `47-2111` (SOC, read as its `.00` occupation) and O*NET-SOC 2010
    codes (crosswalked) are all read.
    """
    raw = str(value).strip()
    digits = re.sub(r"[\s.\-]", "", raw)
    if not re.fullmatch(r"\d{6}(\d{2})?", digits):
        raise ValueProblem("not an O*NET-SOC or SOC code (e.g. 47-2111.00 or 47211100)")
    code = f"{digits[:2]}-{digits[2:6]}.{digits[6:8] or '00'}"
    current = _current_or_successors(code, book.occupations, onet_2010_to_2019())
    if current:
        return current
    if code.endswith("0.00"):
        raise ValueProblem(f"{code[:7]} is a SOC group, not an occupation")
    raise ValueProblem(f"{code} is not an occupation in O*NET-SOC 2019 or 2010")


def suggested_occupations(cips: list[str], book: CodeBook) -> list[str]:
    """O*NET occupations the NCES CIP-SOC crosswalk links to these CIP codes (SOC `.00` codes)."""
    found = []
    for cip in cips:
        for soc in book.cip_soc.get(cip, ()):
            code = f"{soc}.00"
            if code in book.occupations and code not in found:
                found.append(code)
    return found


# --- credential types, delivery modes, statuses ---------------------------------------------------

_TYPE_SYNONYMS = {
    **{key(label): value for value, label in CREDENTIAL_TYPES.items()},
    **{key(value): value for value in CREDENTIAL_TYPES},
    "certification": "certification", "industrycertification": "certification",
    "industryrecognizedcertification": "certification", "professionalcertification": "certification",
    "industryrecognizedcertificateorcertification": "certification", "industrycredential": "certification",
    "certificate": "certificate", "certificateprogram": "certificate", "collegecertificate": "certificate",
    "technicalcertificate": "certificate", "postsecondarycertificate": "certificate",
    "certificateofcompletion": "certificate_of_completion", "completioncertificate": "certificate_of_completion",
    "communitycollegecertificateofcompletion": "certificate_of_completion",
    "license": "license", "licence": "license", "licensure": "license", "governmentlicense": "license",
    "statelicense": "license", "occupationallicense": "license", "professionallicense": "license",
    "associate": "associate_degree", "associates": "associate_degree", "associatesdegree": "associate_degree",
    "associatedegree": "associate_degree", "aas": "associate_degree", "aa": "associate_degree",
    "as": "associate_degree", "associateofappliedscience": "associate_degree",
    "associateofscience": "associate_degree", "associateofarts": "associate_degree",
    "bachelor": "bachelor_degree", "bachelors": "bachelor_degree", "bachelorsdegree": "bachelor_degree",
    "baccalaureate": "bachelor_degree", "baccalaureatedegree": "bachelor_degree", "ba": "bachelor_degree",
    "bs": "bachelor_degree", "bachelordegree": "bachelor_degree",
    "master": "master_degree", "masters": "master_degree", "mastersdegree": "master_degree",
    "masterdegree": "master_degree", "ma": "master_degree", "ms": "master_degree", "mba": "master_degree",
    "doctorate": "doctoral_degree", "doctoraldegree": "doctoral_degree", "phd": "doctoral_degree",
    "diploma": "diploma", "highschooldiploma": "diploma", "highschooldiplomaorequivalent": "diploma",
    "secondaryschooldiplomaoritsequivalent": "diploma", "ged": "diploma", "hse": "diploma",
    "apprenticeship": "apprenticeship_certificate", "registeredapprenticeship": "apprenticeship_certificate",
    "certificateofcompletionofanapprenticeship": "apprenticeship_certificate",
    "apprenticeshipcertificate": "apprenticeship_certificate",
    # The DOL RAPIDS list's training approaches (time-based, hybrid, competency-based): every row
    # there is a registered apprenticeship.
    "tb": "apprenticeship_certificate", "hy": "apprenticeship_certificate", "cb": "apprenticeship_certificate",
    "badge": "badge", "digitalbadge": "digital_badge", "openbadge": "open_badge",
    "microcredential": "micro_credential", "journeyman": "journeyman_certificate",
    "journeymancertificate": "journeyman_certificate", "journeymanlicense": "license",
}
# Values that say "this programme leads to no credential": no type, and nothing to report.
_NO_TYPE = {"none", "nocredential", "nocredentialemploymentonly", "measureableskillgainleadingtoacredential",
            "measureableskillgainleadingtoemployment", "measurableskillgainleadingtoacredential",
            "measurableskillgainleadingtoemployment", "other", "no", "yes"}


def credential_type(value) -> str:
    """"Associate's Degree", "ceterms:CertificateOfCompletion", "Licensure" -> a stored type, or ""."""
    raw = text(value)
    if not raw:
        return ""
    k = key(re.sub(r"^(ceterms:|https?://purl\.org/ctdl/terms/)", "", raw, flags=re.I))
    if k in _TYPE_SYNONYMS:
        return _TYPE_SYNONYMS[k]
    if k in _NO_TYPE:
        return ""
    raise ValueProblem("not a credential type the catalog knows (e.g. Certificate, Certification, License, "
                       "Associate Degree)")


def related_type(name: str) -> str:
    """The type of a credential that a programme leads to, guessed from its name."""
    k = name.casefold()
    if re.search(r"\blicen[cs]", k):
        return "license"
    if "degree" in k:
        return "associate_degree" if "associate" in k else "bachelor_degree" if "bachelor" in k else "certificate"
    return "certification"


_DELIVERY = (
    ("blended", ("hybrid", "blended", "mixed", "both", "online and in person", "online and classroom")),
    ("online", ("online", "distance", "virtual", "remote", "web", "e-learning", "elearning", "internet")),
    ("in_person", ("in person", "in-person", "inperson", "classroom", "on site", "onsite", "on-site", "campus",
                   "face to face", "face-to-face", "instructor-led", "instructor led", "traditional", "lab")),
)


def delivery_mode(value) -> str:
    raw = text(value).casefold()
    if not raw:
        return ""
    if raw in DELIVERY_MODES:
        return raw
    found = [mode for mode, words in _DELIVERY if any(w in raw for w in words)]
    if "online" in found and "in_person" in found:
        return "blended"
    if found:
        return found[0]
    raise ValueProblem("not a delivery mode (in person, online or blended/hybrid)")


_RETIRED = {"inactive", "suspended", "removed", "expired", "closed", "discontinued", "withdrawn", "denied",
            "deprecated", "retired", "terminated"}


def lifecycle(value) -> str:
    """A source's status column: anything withdrawn reads as `deprecated`, the rest as `active`."""
    return "deprecated" if key(text(value)) in _RETIRED else "active"


# --- money and durations --------------------------------------------------------------------------

_FREE = {"free", "nocost", "0", "none", "nocharge", "noncharge"}


def money(value) -> Decimal | None:
    """"$1,250.00", "1250", "USD 1,250", "Free" -> Decimal; blanks -> None."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = text(value)
        if not raw:
            return None
        if key(raw) in _FREE:
            return Decimal("0.00")
        cleaned = re.sub(r"(?i)usd|us\$|\$|,|\s", "", raw)
        if re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", cleaned):
            raise ValueProblem("a range of amounts; give one amount")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValueProblem("not an amount of money (e.g. 1250.00 or $1,250)") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise ValueProblem("must be zero or more, and below 10 billion")
    return amount.quantize(Decimal("0.01"))


_UNITS = {"hour": "hours", "hr": "hours", "clockhour": "hours", "contacthour": "hours", "day": "days",
          "week": "weeks", "wk": "weeks", "month": "months", "mo": "months", "year": "years", "yr": "years"}


def _whole(number: Decimal) -> int:
    value = int(number.to_integral_value())
    if not 0 < value <= 100000:
        raise ValueProblem("must be between 1 and 100000")
    return value


def duration(value, unit: str | None = None) -> tuple[int, str] | None:
    """A length -> (whole number, unit). With `unit` the cell is a plain number of that unit
    (a "Clock Hours" column); without, it names its unit: "480 clock hours", "12 weeks", "6 mo"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    raw = text(value)
    if not raw:
        return None
    if unit:
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise ValueProblem(f"not a number of {unit}") from None
        if not number.is_finite():
            raise ValueProblem(f"not a number of {unit}")
        return _whole(number), unit
    match = re.fullmatch(r"(?i)\s*(\d[\d,]*(?:\.\d+)?)\s*(clock\s*hours?|contact\s*hours?|hours?|hrs?|days?|"
                         r"weeks?|wks?|months?|mos?|years?|yrs?)\.?\s*", raw)
    if not match:
        raise ValueProblem("not a length (e.g. 480 hours, 12 weeks, 6 months)")
    unit_key = re.sub(r"s$", "", key(match.group(2)))
    return _whole(Decimal(match.group(1).replace(",", ""))), _UNITS[unit_key]


def url(value) -> str:
    """A web address; "www.example.edu/x" gets https:// in front, as browsers do."""
    raw = text(value)
    if not raw:
        return ""
    if re.match(r"(?i)^https?://", raw):
        return raw
    if re.fullmatch(r"(?i)(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?", raw):
        return "https://" + raw
    raise ValueProblem("not a web address")
