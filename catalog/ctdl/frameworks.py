"""Frameworks: how our codes go out as CTDL alignment objects, and how codes come in.

Out: each vocabulary's codes become `ceterms:CredentialAlignmentObject`s carrying the real
framework URL, the code, a target node URL and the label (O*NET-SOC, NAICS, CIP; ESCO URIs for
skills that came from ESCO).

In: publishers name the same framework by different URLs (bls.gov/soc, onetcenter.org, naics.com,
census.gov ...), so a code is read by the property it sits in and its shape, never by URL
equality. Older codes are carried to our editions through the published crosswalks bundled in
data/taxonomy/ (O*NET-SOC 2010 -> 2019, CIP 2010 -> 2020; their README gives the sources), the
same files the spreadsheet import reads.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache

from store.settings import REPO_ROOT

TAXONOMY = REPO_ROOT / "data" / "taxonomy"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"

FRAMEWORKS = {
    "occupations": {"url": "https://www.onetcenter.org/taxonomy.html", "name": "O*NET-SOC 2019 Taxonomy",
                    "node": "https://www.onetonline.org/link/summary/{code}"},
    "soc": {"url": "https://www.bls.gov/soc/2018/", "name": "Standard Occupational Classification 2018",
            "node": "https://www.onetonline.org/link/summary/{code}.00"},
    "sectors": {"url": "https://www.census.gov/naics/", "name": "North American Industry Classification System 2022",
                "node": "https://www.census.gov/naics/?input={code}&year=2022&details={code}"},
    "programs": {"url": "https://nces.ed.gov/ipeds/cipcode/Default.aspx?y=56",
                 "name": "Classification of Instructional Programs 2020",
                 "node": "https://nces.ed.gov/ipeds/cipcode/cipdetail.aspx?y=56&cip={code}"},
    "esco": {"url": "http://data.europa.eu/esco/concept-scheme/skills", "name": "ESCO skills and knowledge (v1.1.1)",
             "node": ESCO_SKILL + "{code}"},
    "skills": {"url": "https://www.onetcenter.org/content.html", "name": "O*NET Content Model and Technology Skills",
               "node": None},
}

SOC_CODE = re.compile(r"\d{2}-\d{4}")
ONET_CODE = re.compile(r"\d{2}-\d{4}\.\d{2}")
CIP_CODE = re.compile(r"\d{2}(\.\d{2}(\d{2})?)?")


def lang_map(text: str, language: str) -> dict:
    return {language_tag(language): text}


@lru_cache(maxsize=256)
def language_tag(language: str) -> str:
    """CTDL publishers write `en-US`; we store `en`. Both are BCP 47, so keep what we have but
    give English its usual region, which is how the Registry's finder groups texts.
    (Cached: an export asks it a few times per text, hundreds of thousands of times.)"""
    return "en-US" if (language or "en").lower() == "en" else language


def alignment(vocabulary: str, code: str, label: str, language: str = "en") -> dict:
    """One `ceterms:CredentialAlignmentObject` for a code of one of our vocabularies."""
    framework = FRAMEWORKS[vocabulary]
    shown_code = code
    if vocabulary == "occupations" and SOC_CODE.fullmatch(code):
        framework = FRAMEWORKS["soc"]
    if vocabulary == "skills" and code.startswith("esco-"):
        framework, shown_code = FRAMEWORKS["esco"], code.removeprefix("esco-")
    node = {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:framework": framework["url"],
        "ceterms:frameworkName": lang_map(framework["name"], language),
        "ceterms:codedNotation": code,
    }
    if framework["node"]:
        node["ceterms:targetNode"] = framework["node"].format(code=shown_code)
    node["ceterms:targetNodeName"] = lang_map(label or code, language)
    return node


# --- codes coming in -----------------------------------------------------------------------------


def _rows(name: str) -> list[dict]:
    with (TAXONOMY / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def onet_2010_to_2019() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _rows("onet/onet_2010_to_2019_crosswalk.csv"):
        out.setdefault(row["O*NET-SOC 2010 Code"].strip(), []).append(row["O*NET-SOC 2019 Code"].strip())
    return out


@lru_cache(maxsize=1)
def cip_2010_to_2020() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _rows("cip/cip_2010_to_2020_crosswalk.csv"):
        new = row["CIPCode2020"].strip()
        if new and row["Action"].strip() != "Deleted":
            out.setdefault(row["CIPCode2010"].strip(), []).append(new)
    return out


def occupation_candidates(code: str, old_edition: bool = False) -> list[str]:
    """Codes in our O*NET-SOC 2019 edition that `code` may mean, best first.

    A code that exists in our edition is taken as written unless the alignment says it is a 2010
    code; otherwise the O*NET 2010 -> 2019 crosswalk carries it over. A bare SOC code
    (`15-1122`) is the `.00` occupation.
    """
    code = code.strip()
    if SOC_CODE.fullmatch(code):
        code += ".00"
    if not ONET_CODE.fullmatch(code):
        return []
    crosswalked = onet_2010_to_2019().get(code, [])
    return [*dict.fromkeys([*crosswalked, code] if old_edition else [code, *crosswalked])]


def cip_candidates(code: str, old_edition: bool = False) -> list[str]:
    """CIP 2020 codes `code` may mean: as written, six digits without the dot, or crosswalked from 2010."""
    code = code.strip()
    if re.fullmatch(r"\d{6}", code):
        code = f"{code[:2]}.{code[2:]}"
    elif re.fullmatch(r"\d{1}\.\d{4}", code):  # a spreadsheet ate the leading zero
        code = "0" + code
    if not CIP_CODE.fullmatch(code):
        return []
    crosswalked = cip_2010_to_2020().get(code, [])
    return [*dict.fromkeys([*crosswalked, code] if old_edition else [code, *crosswalked])]


def naics_candidates(code: str) -> list[str]:
    code = code.strip()
    return [code] if re.fullmatch(r"\d{2,6}", code) else []


def esco_code(target_node: str) -> str | None:
    """Our skill code for an ESCO skill URI (`esco-<uuid>`), or None."""
    if isinstance(target_node, str) and target_node.startswith(ESCO_SKILL):
        return "esco-" + target_node.removeprefix(ESCO_SKILL)
    return None


CANDIDATES = {"occupations": occupation_candidates, "programs": cip_candidates,
              "sectors": lambda code, old_edition=False: naics_candidates(code)}
