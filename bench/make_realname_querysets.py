"""Write the real-name query sets, bench/querysets/<vocabulary>_realnames.tsv, from published lists.

The hand-typed sets (make_querysets.py) come from our own taxonomy files, so they measure how well
autocomplete finds what the taxonomy already says. These come from lists that agencies publish,
with the codes the agencies gave them (sources and licences: querysets/README.md; copies of the
files, trimmed to the columns used, in querysets/sources/):

  occupations_realnames.tsv
    rapids_title    DOL RAPIDS apprenticeable-occupation titles as published ("BOILERMAKER II",
                    "ELECTRICIAN (MAINTENANCE)"): upper case, qualifiers, levels. The closest we
                    have to official licence titles. `(Alternate Title: X)` gives X as a query too.
    bls_direct      BLS 2018 SOC direct-match titles ("CEO", "Head Start Director")
    etpl_program    Texas ETPL programme names, expected: the programme's O*NET codes
    etpl_credential the credential names the same rows lead to ("CompTIA Security+", "CCNA",
                    "Class A CDL"), expected: the programme's O*NET codes. Vendor names that no
                    taxonomy carries: this class measures that gap.
  programs_realnames.tsv
    etpl_program    Texas ETPL programme names, expected: the programme's CIP code

Expected occupations are every O*NET 2019 occupation in the agency's SOC detailed code (the
crosswalks are at that level). 2010 O*NET codes go through the O*NET 2010->2019 crosswalk first;
codes that exist in neither are dropped (counted in the output). CIP codes are zero-padded to six
digits and must be active CIP 2020 codes. The sample is deterministic and capped per class.

    .venv/bin/python bench/make_realname_querysets.py [--per-class 500] [--seed 2024]
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.autocomplete import fold  # noqa: E402
from store.taxonomy_sources import read_cip, read_onet  # noqa: E402

OUT = Path(__file__).resolve().parent / "querysets"
SOURCES = OUT / "sources"
_ALTERNATE = re.compile(r"\((?:Alternate|Existing) Title:\s*([^)]*)\)?", re.IGNORECASE)
_ONET = re.compile(r"\d{2}-\d{4}\.\d{2}")


def _rows(name: str) -> list[dict]:
    with (SOURCES / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


class Codes:
    """Turns agency O*NET codes (2010 or 2019, with or without punctuation) into 2019 occupations."""

    def __init__(self):
        self.onet = {c.code for c in read_onet()}
        self.by_soc: dict[str, set[str]] = defaultdict(set)
        for code in self.onet:
            self.by_soc[code[:7]].add(code)
        self.crosswalk: dict[str, set[str]] = defaultdict(set)
        for r in _rows("onet_2010_to_2019_crosswalk.csv"):
            self.crosswalk[r["O*NET-SOC 2010 Code"]].add(r["O*NET-SOC 2019 Code"])
        self.dropped = Counter()

    def occupations(self, raw: str, source: str) -> set[str]:
        raw = raw.strip()
        if re.fullmatch(r"\d{8}", raw):
            raw = f"{raw[:2]}-{raw[2:6]}.{raw[6:]}"
        if not _ONET.fullmatch(raw):
            self.dropped[source] += bool(raw)
            return set()
        codes = self.crosswalk.get(raw) or ({raw} if raw in self.onet else set())
        if not codes:
            self.dropped[source] += 1
        return {c for code in codes for c in self.by_soc[code[:7]]}


def rapids(codes: Codes) -> list[tuple[str, set[str]]]:
    out = []
    for r in _rows("rapids_occupations.csv"):
        expected = codes.occupations(r["onet_code"], "rapids")
        if not expected:
            continue
        title = r["occupational_title"].replace("\u00a0", " ").strip()
        for alternate in _ALTERNATE.findall(title):
            out.append((alternate.strip(), expected))
        out.append((_ALTERNATE.sub("", title).strip(), expected))
    return out


def bls(codes: Codes) -> list[tuple[str, set[str]]]:
    return [(r["2018 SOC Direct Match Title"].strip(), set(codes.by_soc.get(r["2018 SOC Code"], ())))
            for r in _rows("bls_soc2018_direct_match_titles.csv") if codes.by_soc.get(r["2018 SOC Code"])]


def etpl(codes: Codes, cips: set[str]) -> tuple[list, list, list]:
    occupations, programs, credentials = [], [], []
    for r in _rows("texas_twc_etpl_programs.csv"):
        name = " ".join(r["Program Name"].split())
        expected = set()
        for column in ("Occupation Code (ONET 1)", "Occupation Code (ONET 2)", "Occupation Code (ONET 3)"):
            expected |= codes.occupations(r[column], "etpl")
        if expected:
            occupations.append((name, expected))
            credential = " ".join(r["Associted Credential Name"].split())
            if len(credential) > 2 and not credential.isdigit():
                credentials.append((credential, expected))
        cip = r["Instructional Program (CIP) Code"].strip()
        if cip.isdigit() and len(cip) <= 6:
            cip = cip.zfill(6)
            cip = f"{cip[:2]}.{cip[2:]}"
            if cip in cips:
                programs.append((name, {cip}))
    return occupations, programs, credentials


def merged(pairs: list[tuple[str, set[str]]]) -> dict[str, tuple[str, set[str]]]:
    """One query per folded name; a name listed with several codes expects any of them."""
    out: dict[str, tuple[str, set[str]]] = {}
    for name, expected in pairs:
        key = fold(name)
        if len(key) < 2:
            continue
        first, codes = out.get(key, (name, set()))
        out[key] = (first, codes | expected)
    return out


def sample(pairs, n: int, rng: random.Random) -> list[tuple[str, set[str]]]:
    rows = sorted(merged(pairs).values(), key=lambda row: row[0])
    return rng.sample(rows, n) if len(rows) > n else rows


def write(path: Path, classes: dict[str, list[tuple[str, set[str]]]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("class\tquery\texpected\n")
        for kind, rows in classes.items():
            for query, expected in rows:
                fh.write(f"{kind}\t{query.replace(chr(9), ' ')}\t{'|'.join(sorted(expected))}\n")
    print(f"{path.relative_to(ROOT)}: " + ", ".join(f"{k} {len(v)}" for k, v in classes.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    codes = Codes()
    cips = {c.code for c in read_cip() if len(c.code) == 7}
    etpl_occupations, etpl_programs, etpl_credentials = etpl(codes, cips)
    write(OUT / "occupations_realnames.tsv", {
        "rapids_title": sample(rapids(codes), args.per_class * 4, rng),
        "bls_direct": sample(bls(codes), args.per_class, rng),
        "etpl_program": sample(etpl_occupations, args.per_class, rng),
        "etpl_credential": sample(etpl_credentials, args.per_class, rng),
    })
    write(OUT / "programs_realnames.tsv", {"etpl_program": sample(etpl_programs, args.per_class * 2, rng)})
    print("codes dropped (no O*NET 2010 or 2019 occupation): "
          + ", ".join(f"{k} {v}" for k, v in codes.dropped.items()))


if __name__ == "__main__":
    main()
