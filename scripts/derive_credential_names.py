"""Derive which occupations and programmes a named credential prepares for, from a state ETPL.

Vendor and licence names ("CompTIA Security+", "Certified Welder", "Commercial Drivers License")
appear in no taxonomy, but an Eligible Training Provider List ties them to codes: each programme
row names the credential it leads to beside its CIP code and up to three O*NET codes. Counted over
many providers, that says what the credential is about. This script counts it and writes the
table `store.taxonomy_sources` loads (nothing in it is typed by hand):

    python scripts/derive_credential_names.py twc.csv data/taxonomy/credential_names/texas_etpl_credential_names.csv

Rules, in order:
  * A cell may list several credentials ("CompTIA A+, Microsoft Azure Fundamentals"): it is split
    at commas, semicolons and line breaks. Parts are trimmed; "0", "None", "N/A" and parts without
    a letter are dropped. Names are compared case- and space-insensitively; the spelling most
    providers use is kept.
  * O*NET-SOC 2010 codes go through the O*NET 2010->2019 crosswalk; codes that are not O*NET 29.2
    occupations, and CIP codes that are not active CIP 2020 codes, are dropped (5-digit CIP codes
    that lost their leading zero are padded, as the source's README notes).
  * Counting is per provider, so one provider's many campuses count once.
  * A code is kept for a name when at least MIN_PROVIDERS providers give it, and at least
    MIN_SHARE of the providers that name it: "Certificate of Completion" spreads over every field and keeps none,
    "Certified Welder" concentrates on welders and welding programmes.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAXONOMY = ROOT / "data" / "taxonomy"
MIN_PROVIDERS = 2
MIN_SHARE = 0.34
COLUMNS = ("credential_name", "vocabulary", "code", "providers", "name_providers")
_SPLIT = re.compile(r"[,;\n]+")
_EMPTY = {"0", "none", "n/a", "na", "tbd"}


def onet_codes() -> tuple[set[str], dict[str, list[str]]]:
    with open(TAXONOMY / "onet" / "occupation_data.txt", encoding="utf-8") as f:
        current = {row["O*NET-SOC Code"] for row in csv.DictReader(f, delimiter="\t")}
    older: dict[str, list[str]] = defaultdict(list)
    with open(TAXONOMY / "onet" / "onet_2010_to_2019_crosswalk.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            older[row["O*NET-SOC 2010 Code"]].append(row["O*NET-SOC 2019 Code"])
    return current, older


def cip_codes() -> set[str]:
    active = {"No substantive changes", "New", "Moved from"}
    with open(TAXONOMY / "cip" / "cip_2020_codes.csv", encoding="utf-8") as f:
        return {row["CIPCode"] for row in csv.DictReader(f)
                if row["Action"] in active and row["CIPTitle"].strip() != "Reserved." and len(row["CIPCode"]) == 7}


def credential_names(cell: str) -> list[str]:
    parts = (" ".join(part.split()) for part in _SPLIT.split(cell or ""))
    return [p for p in parts if p.casefold() not in _EMPTY and re.search(r"[A-Za-z]", p)]


def occupations_of(row: dict, current: set[str], older: dict[str, list[str]]) -> set[str]:
    codes = set()
    for column in ("Occupation Code (ONET 1)", "Occupation Code (ONET 2)", "Occupation Code (ONET 3)"):
        raw = (row.get(column) or "").strip()
        if not re.fullmatch(r"\d{8}", raw):
            continue
        code = f"{raw[:2]}-{raw[2:6]}.{raw[6:]}"
        codes.update(c for c in ([code] if code in current else older.get(code, [])) if c in current)
    return codes


def programme_of(row: dict, active: set[str]) -> set[str]:
    raw = (row.get("Instructional Program (CIP) Code") or "").strip()
    if not raw.isdigit() or len(raw) > 6:
        return set()
    raw = raw.zfill(6)
    code = f"{raw[:2]}.{raw[2:]}"
    return {code} if code in active else set()


def derive(rows: list[dict]) -> list[dict]:
    current, older = onet_codes()
    active = cip_codes()
    spellings: dict[str, Counter] = defaultdict(Counter)
    providers: dict[str, set[str]] = defaultdict(set)
    by_code: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in rows:
        provider = row["Provider ID"]
        codes = {"occupations": occupations_of(row, current, older), "programs": programme_of(row, active)}
        for name in credential_names(row.get("Associted Credential Name", "")):
            key = name.casefold()
            spellings[key][name] += 1
            providers[key].add(provider)
            for vocabulary, found in codes.items():
                for code in found:
                    by_code[(key, vocabulary, code)].add(provider)
    out = []
    for (key, vocabulary, code), who in sorted(by_code.items()):
        total = len(providers[key])
        if len(who) >= MIN_PROVIDERS and len(who) / total >= MIN_SHARE:
            out.append({"credential_name": spellings[key].most_common(1)[0][0], "vocabulary": vocabulary,
                        "code": code, "providers": len(who), "name_providers": total})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("etpl", type=Path, help="the Texas ETPL as CSV (shared/data/realnames/texas_twc_etpl/twc.csv)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    with open(args.etpl, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    table = derive(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    names = {row["credential_name"] for row in table}
    print(f"{len(rows)} programmes -> {len(names)} credential names, {len(table)} name-code links", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
