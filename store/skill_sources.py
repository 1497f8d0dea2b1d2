"""Reading the skills scheme: ESCO skills and knowledge, O*NET activities, tools, knowledge and the
O*NET skills and technologies the product had before, as one list of concepts.

Every concept's `links` says where it came from and what it is:
  kind       skill, knowledge, activity, tool, technology or ability (what the picker shows)
  source     "esco" or "onet"; source_id the ESCO URI or the O*NET element / DWA / UNSPSC id
  hidden_labels  search-only terms: ESCO hidden labels and our everyday terms (OSHA, CDL)
  occupations    {O*NET-SOC code: [weight, why]}: how well the concept suits an occupation, read by
                 the suggestion endpoints. Weights are in (0, 1] (see below how the kinds compare);
                 `why` is a short code that catalog.suggest turns into words, kept short because
                 there are about 250,000 of these pairs: `e:welder|pipe welder` (essential for
                 those ESCO occupations), `o:brazier` (optional), `i:4.3` (O*NET importance of 5),
                 `t:3` (serves 3 of its tasks), `u:Forklifts|Utility forklifts` (tools it uses).

Codes of the concepts that existed before (`2.A.1.a`, `unspsc-43231501`, `tech-python`) are kept
exactly, so credentials keep their skill links with no migration. New codes: `esco-<uuid>` (an
ESCO URI is longer than a code column), the O*NET DWA id (`4.A.3.a.3.I06.D01`), and
`tool-<UNSPSC commodity>` for a tool commodity whose examples ("Welding gun torches") become its
alternative labels.

Sources (copied gzipped and unchanged from the project's shared data; see data/taxonomy/README.md):
ESCO v1.1.1 skills and occupation-skill relations, the ESCO-O*NET-SOC crosswalk with ESCO URIs,
O*NET 29.2 DWA Reference, Tasks to DWAs, Tools Used and Knowledge.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from store.taxonomy_sources import DATA_DIR, ConceptRow, _csv, _gz_csv, _gz_tsv, _tsv, _unique, read_skills

ESCO_SKILL = "http://data.europa.eu/esco/skill/"
KINDS = ("skill", "knowledge", "activity", "technology", "tool", "ability")
# Before this scheme the skills' `kind` was the O*NET table they came from.
LEGACY_KINDS = {"onet_skill": "skill", "onet_knowledge": "knowledge", "onet_ability": "ability",
                "technology": "technology", "technology_category": "technology"}
# How a link between an occupation and a concept is weighted, so the kinds compare:
# an ESCO essential skill (0.6-1.0) always beats an optional one (0.2-0.5); O*NET ratings of
# importance 3-5 map to 0.3-0.9 for knowledge and 0.2-0.6 for the generic basic skills; work
# activities rise with the share of the occupation's tasks they serve; tools stay low.
MIN_IMPORTANCE = 3.0
MAX_REASON_NAMES = 2


def _lines(value: str) -> list[str]:
    return [v.strip() for v in value.split("\n") if v.strip()]


def esco_code(uri: str) -> str:
    return "esco-" + uri.removeprefix(ESCO_SKILL)


def _names(names: list[str]) -> str:
    """`a|b` for the first names, `|+3` when there are three more."""
    shown = "|".join(names[:MAX_REASON_NAMES])
    return shown + (f"|+{len(names) - MAX_REASON_NAMES}" if len(names) > MAX_REASON_NAMES else "")


# --- occupation links ---------------------------------------------------------------------------


def esco_occupation_links(skills_dir: Path) -> dict[str, dict[str, list]]:
    """{esco skill code: {O*NET code: [weight, reason]}} through the crosswalk (joined on URI).

    A skill essential for any of the occupation's ESCO occupations is essential for it; the more
    of them share it, the higher it weighs ("essential for welder, pipe welder").
    """
    esco_for_onet: dict[str, dict[str, str]] = defaultdict(dict)
    for r in _gz_csv(skills_dir / "crosswalk" / "esco_onet_crosswalk_uris.csv.gz"):
        if r["target_type"] == "esco_occupation" and r["in_esco_v1_1_1"] == "Y":
            esco_for_onet[r["onet_soc_code"]][r["esco_uri"]] = r["esco_title"].strip()
    wanted = {uri for occupations in esco_for_onet.values() for uri in occupations}
    relations: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for r in _gz_csv(skills_dir / "esco" / "occupationSkillRelations.csv.gz"):
        if r["occupationUri"] in wanted:
            relations[r["occupationUri"]].append((r["skillUri"], r["relationType"] == "essential"))
    links: dict[str, dict[str, list]] = defaultdict(dict)
    for onet_code, occupations in esco_for_onet.items():
        essential: dict[str, list[str]] = defaultdict(list)
        optional: dict[str, list[str]] = defaultdict(list)
        reached = [uri for uri in occupations if relations.get(uri)]
        for uri in reached:
            for skill_uri, is_essential in relations[uri]:
                (essential if is_essential else optional)[skill_uri].append(occupations[uri])
        for skill_uri in essential.keys() | optional.keys():
            names_e, names_o = essential.get(skill_uri, []), optional.get(skill_uri, [])
            share = (len(names_e) + len(names_o)) / len(reached)
            if names_e:
                weight, reason = 0.6 + 0.4 * share, f"e:{_names(names_e)}"
            else:
                weight, reason = 0.2 + 0.3 * share, f"o:{_names(names_o)}"
            links[esco_code(skill_uri)][onet_code] = [round(weight, 2), reason]
    return links


def rating_links(path: Path, opener, scale: float, floor: float) -> dict[str, dict[str, list]]:
    """{O*NET element id: {O*NET code: [weight, reason]}} from an importance table (Knowledge, Skills)."""
    links: dict[str, dict[str, list]] = defaultdict(dict)
    for r in opener(path):
        if r["Scale ID"] != "IM" or r["Recommend Suppress"] == "Y":
            continue
        value = float(r["Data Value"])
        if value >= MIN_IMPORTANCE:
            weight = floor + scale * (value - MIN_IMPORTANCE) / (5 - MIN_IMPORTANCE)
            links[r["Element ID"]][r["O*NET-SOC Code"]] = [round(weight, 2), f"i:{value:.1f}"]
    return links


def activity_links(skills_dir: Path) -> dict[str, dict[str, list]]:
    """{DWA id: {O*NET code: [weight, reason]}}: how many of the occupation's tasks need the activity."""
    tasks: dict[str, Counter] = defaultdict(Counter)
    for r in _gz_tsv(skills_dir / "onet" / "Tasks to DWAs.txt.gz"):
        tasks[r["O*NET-SOC Code"]][r["DWA ID"]] += 1
    links: dict[str, dict[str, list]] = defaultdict(dict)
    for onet_code, counts in tasks.items():
        most = max(counts.values())
        for dwa, n in counts.items():
            links[dwa][onet_code] = [round(0.3 + 0.4 * n / most, 2), f"t:{n}"]
    return links


# --- the concepts -------------------------------------------------------------------------------


def read_esco(skills_dir: Path, everyday: dict[str, list[str]]) -> list[ConceptRow]:
    occupations = esco_occupation_links(skills_dir)
    rows = []
    for r in _gz_csv(skills_dir / "esco" / "skills_en.csv.gz"):
        uri, label = r["conceptUri"], r["preferredLabel"].strip()
        code = esco_code(uri)
        alt = _unique(_lines(r["altLabels"]), exclude=label)
        hidden = _unique(_lines(r["hiddenLabels"]) + everyday.get(code, []), exclude=label)
        hidden = [h for h in hidden if h.casefold() not in {a.casefold() for a in alt}]
        links = {"kind": "knowledge" if r["skillType"] == "knowledge" else "skill", "source": "esco",
                 "source_id": uri}
        if hidden:
            links["hidden_labels"] = hidden
        if occupations.get(code):
            links["occupations"] = occupations[code]
        rows.append(ConceptRow(code=code, label=label, alt_labels=alt, description=r["description"].strip(),
                               links=links))
    return rows


def read_activities(skills_dir: Path, everyday: dict[str, list[str]]) -> list[ConceptRow]:
    occupations = activity_links(skills_dir)
    rows = []
    for r in _gz_tsv(skills_dir / "onet" / "DWA Reference.txt.gz"):
        code = r["DWA ID"]
        links = {"kind": "activity", "source": "onet", "source_id": code, "iwa": r["IWA ID"]}
        if everyday.get(code):
            links["hidden_labels"] = everyday[code]
        if occupations.get(code):
            links["occupations"] = occupations[code]
        rows.append(ConceptRow(code=code, label=r["DWA Title"].strip().rstrip("."), links=links))
    return rows


def read_tools(skills_dir: Path, everyday: dict[str, list[str]]) -> list[ConceptRow]:
    """One concept per UNSPSC commodity, its examples (deduplicated) as alternative labels."""
    titles: dict[str, str] = {}
    examples: dict[str, list[str]] = defaultdict(list)
    used: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in _gz_tsv(skills_dir / "onet" / "Tools Used.txt.gz"):
        commodity = r["Commodity Code"]
        titles[commodity] = r["Commodity Title"].strip()
        examples[commodity].append(r["Example"])
        used[commodity][r["O*NET-SOC Code"]].append(r["Example"].strip())
    rows = []
    for commodity, title in sorted(titles.items()):
        code = f"tool-{commodity}"
        links = {"kind": "tool", "source": "onet", "source_id": commodity,
                 "occupations": {occ: [round(0.15 + 0.05 * min(len(names), 4), 2), f"u:{_names(names)}"]
                                 for occ, names in used[commodity].items()}}
        if everyday.get(code):
            links["hidden_labels"] = everyday[code]
        rows.append(ConceptRow(code=code, label=title, alt_labels=_unique(examples[commodity], exclude=title),
                               links=links))
    return rows


def read_legacy(data_dir: Path, skills_dir: Path, everyday: dict[str, list[str]]) -> list[ConceptRow]:
    """The O*NET skills, knowledge, abilities and technologies the scheme had, with their codes."""
    knowledge = rating_links(skills_dir / "onet" / "Knowledge.txt.gz", _gz_tsv, scale=0.6, floor=0.3)
    basic = rating_links(data_dir / "onet" / "skills_onet28.txt", _tsv, scale=0.4, floor=0.2)
    rows = read_skills(data_dir)
    for row in rows:
        legacy = row.links.pop("kind")
        row.links = {"kind": LEGACY_KINDS[legacy], "source": "onet", "source_id": row.code.removeprefix("unspsc-"),
                     **row.links}
        if legacy == "technology":
            row.links["source_id"] = row.label
        occupations = knowledge.get(row.code) or basic.get(row.code)
        if occupations:
            row.links["occupations"] = occupations
        if everyday.get(row.code):
            row.links["hidden_labels"] = everyday[row.code]
    return rows


def read_everyday_terms(skills_dir: Path) -> dict[str, list[str]]:
    """{code: [terms]} from everyday_terms.csv: short forms people type that no source lists."""
    terms: dict[str, list[str]] = defaultdict(list)
    for r in _csv(skills_dir / "everyday_terms.csv"):
        terms[r["code"].strip()].append(r["term"].strip())
    return terms


def read_skills_scheme(data_dir: Path = DATA_DIR) -> list[ConceptRow]:
    skills_dir = data_dir / "skills"
    everyday = read_everyday_terms(skills_dir)
    rows = (read_legacy(data_dir, skills_dir, everyday) + read_esco(skills_dir, everyday)
            + read_activities(skills_dir, everyday) + read_tools(skills_dir, everyday))
    codes = {row.code for row in rows}
    unknown = sorted(set(everyday) - codes)
    if unknown:
        raise ValueError(f"{skills_dir / 'everyday_terms.csv'}: unknown code(s) {', '.join(unknown[:5])}")
    return rows
