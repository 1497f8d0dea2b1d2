"""Reading taxonomy sources: the bundled files in data/taxonomy/, and an operator's CSV.

Each reader returns ConceptRow values and nothing else; catalog/taxonomy.py applies them. A reader
checks its whole source before anything is applied, so a bad line can change nothing.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from store.settings import REPO_ROOT

DATA_DIR = REPO_ROOT / "data" / "taxonomy"


class TaxonomyFileError(ValueError):
    """A source file that cannot be loaded; the message names the file, line and reason."""

    def __init__(self, path: Path | str, line: int, reason: str):
        super().__init__(f"{path}: line {line}: {reason}")
        self.path, self.line, self.reason = str(path), line, reason


@dataclass
class ConceptRow:
    code: str
    label: str
    alt_labels: list[str] = field(default_factory=list)
    description: str = ""
    broader: str | None = None
    links: dict = field(default_factory=dict)


# --- readers for the bundled files -------------------------------------------------------------


def _tsv(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _csv(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _gz_text(path: Path) -> io.TextIOWrapper:
    return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")


def _gz_csv(path: Path) -> Iterable[dict]:
    with _gz_text(path) as fh:
        yield from csv.DictReader(fh)


def _gz_tsv(path: Path) -> Iterable[dict]:
    with _gz_text(path) as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _unique(values: Iterable[str], exclude: str = "") -> list[str]:
    seen, out = {exclude.casefold()}, []
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


# Names of credentials that prepare for an occupation or programme, derived from the Texas ETPL
# by scripts/derive_credential_names.py (data/taxonomy/README.md): search-only, ranked below the
# concept's own names, and shown as "via CompTIA Security+" when they are what matched.
CREDENTIAL_NAMES = Path("credential_names") / "texas_etpl_credential_names.csv"
MAX_CREDENTIAL_NAMES = 12


def read_credential_names(data_dir: Path, vocabulary: str) -> dict[str, list[str]]:
    """{code: credential names}, those most providers name first, for "occupations" or "programs"."""
    path = data_dir / CREDENTIAL_NAMES
    if not path.exists():  # an operator's data directory without the derived table
        return {}
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in _csv(path):
        if r["vocabulary"] == vocabulary:
            ranked[r["code"]].append((-int(r["providers"]), r["credential_name"]))
    return {code: _unique(name for _, name in sorted(names))[:MAX_CREDENTIAL_NAMES]
            for code, names in ranked.items()}


def read_soc(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    rows = list(_csv(data_dir / "soc" / "soc_2018_definitions.csv"))
    codes = {r["soc_code"] for r in rows}

    def parent(code: str) -> str | None:
        # 29-1141 -> 29-1140 (broad) -> 29-1100 / 29-1000 (minor) -> 29-0000 (major)
        major, rest = code.split("-")
        for keep in (3, 2, 1, 0):
            candidate = f"{major}-{rest[:keep]}{'0' * (4 - keep)}"
            if candidate != code and candidate in codes and int(rest[keep:] or 0) != 0:
                return candidate
        return None

    return [
        ConceptRow(
            code=r["soc_code"],
            label=r["soc_title"],
            description=r["soc_definition"],
            broader=parent(r["soc_code"]),
            links={"level": r["soc_group"].lower()},
        )
        for r in rows
    ]


MAX_TECHNOLOGY = 30


def read_technology(data_dir: Path) -> dict[str, list[str]]:
    """{O*NET code: the software and technology it uses}, hot and in-demand technologies first
    (O*NET Technology Skills). Programmes are also found through these ("Java" -> software
    development programmes, through the occupations they lead to)."""
    ranked: dict[str, list[tuple[bool, bool, int, str]]] = defaultdict(list)
    for i, r in enumerate(_gz_tsv(data_dir / "onet" / "technology_skills.txt.gz")):
        ranked[r["O*NET-SOC Code"]].append((r["Hot Technology"] != "Y", r["In Demand"] != "Y", i, r["Example"]))
    return {code: _unique(example for *_, example in sorted(rows))[:MAX_TECHNOLOGY] for code, rows in ranked.items()}


def read_onet(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    onet = data_dir / "onet"
    # Short titles ("RN", "LPN") first: they are what people type, and documents keep a prefix.
    shorts: dict[str, list[str]] = defaultdict(list)
    alternates: dict[str, list[str]] = defaultdict(list)
    for r in _tsv(onet / "alternate_titles.txt"):
        code = r["O*NET-SOC Code"]
        alternates[code].append(r["Alternate Title"])
        if r["Short Title"] and r["Short Title"] != "n/a":
            shorts[code].append(r["Short Title"])
    importance: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r in _tsv(onet / "skills_onet28.txt"):
        if r["Scale ID"] == "IM" and r["Recommend Suppress"] != "Y":
            importance[r["O*NET-SOC Code"]].append((float(r["Data Value"]), r["Element ID"]))
    soc_titles = {r.code: r.label for r in read_soc(data_dir)}
    credential_names = read_credential_names(data_dir, "occupations")
    technology = read_technology(data_dir)
    concepts = []
    for r in _tsv(onet / "occupation_data.txt"):
        code, title = r["O*NET-SOC Code"], r["Title"]
        major = f"{code[:2]}-0000"
        # The skills that matter most for the occupation (importance >= 3 of 5), best first.
        skills = [eid for value, eid in sorted(importance.get(code, []), reverse=True) if value >= 3.0]
        concepts.append(
            ConceptRow(
                code=code,
                label=title,
                alt_labels=_unique(shorts.get(code, []) + alternates.get(code, []), exclude=title),
                description=r["Description"],
                broader=code[:7],
                links={"soc_major": major, "soc_major_label": soc_titles.get(major, ""), "skills": skills[:12],
                       **_named(credential_names.get(code)),
                       **({"technology": technology[code]} if technology.get(code) else {})},
            )
        )
    return concepts


_RANGE_SECTORS = {"31": "31-33", "32": "31-33", "33": "31-33", "44": "44-45", "45": "44-45", "48": "48-49", "49": "48-49"}


def read_naics(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    concepts = []
    for r in _csv(data_dir / "naics" / "naics_2022.csv"):
        code = r["code"]
        if "-" in code or len(code) == 2:
            broader = None
        elif len(code) == 3:
            broader = _RANGE_SECTORS.get(code[:2], code[:2])
        else:
            broader = code[:-1]
        concepts.append(
            ConceptRow(
                code=code,
                label=r["title"].strip(),
                description=r["description"].split("\n\n")[0].strip() if r["description"] else "",
                broader=broader,
                links={"level": r["level"]},
            )
        )
    return concepts


def _named(names: list[str] | None) -> dict:
    return {"credential_names": names} if names else {}


_ACTIVE_CIP = {"No substantive changes", "New", "Moved from"}
_EXAMPLE = re.compile(r"\s*-\s*([^,]+(?:,(?!\s*-)[^,]+)*)")


def cip_examples(text: str) -> list[str]:
    """'Examples: - Agricultural Equipment Mechanic, - Farm Equipment Technician' -> the names."""
    text = text.removeprefix("Examples:").strip()
    return [m.group(1).strip() for m in _EXAMPLE.finditer(text)] if text else []


def read_cip(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    crosswalk: dict[str, list[str]] = defaultdict(list)
    for r in _csv(data_dir / "cip" / "cip2020_soc2018_crosswalk.csv"):
        if r["soc_2018_code"] != "99-9999" and r["cip_2020_code"] != "99.9999":
            crosswalk[r["cip_2020_code"]].append(r["soc_2018_code"])
    credential_names = read_credential_names(data_dir, "programs")
    concepts = []
    for r in _csv(data_dir / "cip" / "cip_2020_codes.csv"):
        title = r["CIPTitle"].strip()
        if r["Action"] not in _ACTIVE_CIP or title == "Reserved.":
            continue
        code = r["CIPCode"]
        label = title.rstrip(".")
        if len(code) == 2:
            label = label.title().replace(" And ", " and ").replace(" Of ", " of ")
        broader = None if len(code) == 2 else code[:2] if len(code) == 5 else code[:5]
        concepts.append(
            ConceptRow(
                code=code,
                label=label,
                alt_labels=_unique(cip_examples(r["Examples"]), exclude=label),
                description=r["CIPDefinition"],
                broader=broader,
                links={**({"soc": crosswalk[code]} if crosswalk.get(code) else {}),
                       **_named(credential_names.get(code))},
            )
        )
    return concepts


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:48] or "x"


def read_skills(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    concepts, taken = [], set()
    for r in _csv(data_dir / "onet" / "skill_vocabulary.csv"):
        kind = r["vocab_type"]
        if kind.startswith("onet_"):
            code = r["source_id"]
        elif kind == "technology_category":
            code = f"unspsc-{r['source_id']}"
        else:
            code = base = f"tech-{_slug(r['name'])}"
            n = 2
            while code in taken:
                code, n = f"{base}-{n}", n + 1
        taken.add(code)
        links = {"kind": kind}
        if r["occupation_count"]:
            links["occupation_count"] = int(r["occupation_count"])
        if r["hot_technology"] == "Y":
            links["hot"] = True
        if r["in_demand"] == "Y":
            links["in_demand"] = True
        concepts.append(ConceptRow(code=code, label=r["name"].strip(), description=r["description"], links=links))
    return concepts


def _read_skills_scheme(data_dir: Path) -> list[ConceptRow]:
    # store.skill_sources builds on the readers above, so it is imported when it is needed.
    from store.skill_sources import read_skills_scheme

    return read_skills_scheme(data_dir)


@dataclass(frozen=True)
class BundledScheme:
    name: str
    title: str
    source: str
    read: Callable[[Path], list[ConceptRow]]


BUNDLED = {
    s.name: s
    for s in (
        BundledScheme("soc-2018", "SOC 2018 occupation groups", "BLS SOC 2018", read_soc),
        BundledScheme("onet-soc", "O*NET-SOC occupations", "O*NET 29.2 (CC BY 4.0)", read_onet),
        BundledScheme("naics-2022", "NAICS 2022 industries", "U.S. Census Bureau NAICS 2022", read_naics),
        BundledScheme("cip-2020", "CIP 2020 instructional programs", "NCES CIP 2020", read_cip),
        BundledScheme("skills", "Skills, knowledge, work activities, tools and technologies",
                      "ESCO v1.1.1 (European Commission) and O*NET 29.2 (CC BY 4.0)", _read_skills_scheme),
    )
}


# --- operator CSV files ----------------------------------------------------------------------

CSV_COLUMNS = ("code", "label")


def read_scheme_csv(path: Path) -> list[ConceptRow]:
    """Columns: code, label, and optionally alt_labels ('|'-separated), description, broader."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TaxonomyFileError(path, 0, f"cannot open: {exc.strerror}") from exc
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise TaxonomyFileError(path, 1, f"missing column(s) {', '.join(missing)}; the header must include code,label")
            rows, seen = [], {}
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise TaxonomyFileError(path, line, f"{len(header) + len(row[None])} fields, expected {len(header)}")
                code, label = (row.get("code") or "").strip(), (row.get("label") or "").strip()
                if not code:
                    raise TaxonomyFileError(path, line, "empty code")
                if not label:
                    raise TaxonomyFileError(path, line, f"empty label for code {code!r}")
                if len(code) > 64 or len(label) > 400:
                    raise TaxonomyFileError(path, line, "code longer than 64 or label longer than 400 characters")
                if code in seen:
                    raise TaxonomyFileError(path, line, f"duplicate code {code!r} (first on line {seen[code]})")
                seen[code] = line
                rows.append(
                    ConceptRow(
                        code=code,
                        label=label,
                        alt_labels=_unique((row.get("alt_labels") or "").split("|"), exclude=label),
                        description=(row.get("description") or "").strip(),
                        broader=(row.get("broader") or "").strip() or None,
                    )
                )
        except UnicodeDecodeError as exc:
            raise TaxonomyFileError(path, 0, f"not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise TaxonomyFileError(path, reader.line_num, str(exc)) from exc
    if not rows:
        raise TaxonomyFileError(path, 1, "no concepts")
    for row in rows:
        if row.broader and row.broader not in seen:
            raise TaxonomyFileError(path, seen[row.code], f"broader code {row.broader!r} is not in the file")
    return rows
