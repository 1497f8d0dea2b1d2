"""Write the autocomplete query sets, bench/querysets/<vocabulary>.tsv, from data/taxonomy.

Each line is `class <TAB> query <TAB> expected codes ('|'-separated)`. A query counts as answered
when any expected code is in the results; codes are expected together when their concepts share
the text the query came from (NAICS repeats a label at two levels, O*NET gives one alternate title
to several occupations).

Classes:
  alt_exact     an alternate title as listed (O*NET alternate titles, CIP examples)
  alt_typo      the same with one typo in a word of 5+ letters (the typed word keeps 5+ letters)
  label_typo    a whole label with one such typo
  label_prefix  the first 3 to 6 characters of a label; every label starting so is expected
  words_any_order  the first 4+ letters of two label words, last word first ("nurs regis")
  code          a code as people type it: `29-1141.00`, `29-1141`, `291141`, `51.3801`, `513801`, `6221`
                (none for skills: their ids are not something people type)
  everyday      (skills) the hand-written phrases of querysets/skills_everyday.txt ("patient care",
                "forklift", "lesson planning"); expected is every skill, knowledge area, activity or
                technology whose label or alternative label matches the phrase's regular expression

The sample is deterministic (seeded), capped per class, so the files stay a few thousand lines.
    .venv/bin/python bench/make_querysets.py [--per-class 200] [--seed 2024]
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.autocomplete import fold  # noqa: E402
from indexer.codes import looks_like_code  # noqa: E402
from store.taxonomy_sources import BUNDLED, DATA_DIR
from store.vocabulary import DEFAULT_BINDINGS  # noqa: E402

OUT = Path(__file__).resolve().parent / "querysets"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
MIN_TYPO_WORD = 5


def inject_typo(text: str, rng: random.Random) -> str | None:
    """One edit (swap, substitute, insert or delete a letter) in one word of 5+ letters."""
    words = [m for m in re.finditer(r"[A-Za-z]+", text) if len(m.group()) >= MIN_TYPO_WORD]
    if not words:
        return None
    m = rng.choice(words)
    word = m.group()
    kinds = ["swap", "substitute", "insert"] + (["delete"] if len(word) > MIN_TYPO_WORD else [])
    kind = rng.choice(kinds)
    i = rng.randrange(len(word) - 1) if kind == "swap" else rng.randrange(len(word))
    if kind == "swap":
        if word[i].lower() == word[i + 1].lower():
            return None
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    elif kind == "substitute":
        typo = word[:i] + rng.choice([c for c in LETTERS if c != word[i].lower()]) + word[i + 1:]
    elif kind == "insert":
        typo = word[:i] + rng.choice(LETTERS) + word[i:]
    else:
        typo = word[:i] + word[i + 1:]
    return text[:m.start()] + typo + text[m.end():]


def typed_forms(code: str) -> list[str]:
    """The forms a person might type for `code`."""
    if re.fullmatch(r"\d{2}-\d{4}\.00", code):                  # O*NET-SOC, which answers to its SOC code
        return [code, code[:7], code[:7].replace("-", "")]
    if re.fullmatch(r"\d{2}\.\d{2,4}", code):                   # CIP
        return [code, code.replace(".", "")]
    return [code]


EVERYDAY = OUT / "skills_everyday.txt"


def everyday_phrases(concepts) -> list[tuple[str, str, str]]:
    """("everyday", phrase, expected codes) for each line of skills_everyday.txt."""
    texts = [(c.code, [fold(c.label)] + [fold(a) for a in c.alt_labels]) for c in concepts
             if (c.links or {}).get("kind") != "tool"]
    lines = []
    for line in EVERYDAY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _domain, phrase, pattern = line.split("\t")
        relevant = re.compile(pattern)
        expected = {code for code, folded in texts if any(relevant.search(t) for t in folded)}
        if not expected:
            raise SystemExit(f"{EVERYDAY.name}: nothing matches {pattern!r} for {phrase!r}")
        lines.append(("everyday", phrase, "|".join(sorted(expected))))
    return lines


def sample(rows: list[tuple[str, str]], n: int, rng: random.Random) -> list[tuple[str, str]]:
    rows = sorted(set(rows))
    return rng.sample(rows, n) if len(rows) > n else rows


def querysets(vocabulary: str, per_class: int, rng: random.Random) -> list[tuple[str, str, str]]:
    concepts = BUNDLED[DEFAULT_BINDINGS[vocabulary]].read(DATA_DIR)
    by_label: dict[str, set[str]] = defaultdict(set)
    by_alt: dict[str, set[str]] = defaultdict(set)
    for c in concepts:
        by_label[fold(c.label)].add(c.code)
        for alt in c.alt_labels:
            by_alt[fold(alt)].add(c.code)
    labels = {c.code: c.label for c in concepts}
    alts = [(alt, c.code) for c in concepts for alt in c.alt_labels]
    lines: list[tuple[str, str, str]] = []

    def add(kind: str, pairs: list[tuple[str, set[str]]]) -> None:
        for query, expected in pairs:
            lines.append((kind, query, "|".join(sorted(expected))))

    if alts:
        chosen = sample([a for a, _ in alts], per_class, rng)
        add("alt_exact", [(a, by_alt[fold(a)] | by_label.get(fold(a), set())) for a in chosen])
        typos = []
        for alt in sample([a for a, _ in alts], per_class * 2, rng):
            typo = inject_typo(alt, rng)
            if typo and fold(typo) != fold(alt):
                typos.append((typo, by_alt[fold(alt)] | by_label.get(fold(alt), set())))
        add("alt_typo", typos[:per_class])

    typos = []
    for code, label in sample(list(labels.items()), per_class * 2, rng):
        typo = inject_typo(label, rng)
        if typo and fold(typo) != fold(label):
            typos.append((typo, by_label[fold(label)]))
    add("label_typo", typos[:per_class])

    prefixes = []
    folded_labels = [(fold(label), code) for code, label in labels.items()]
    for code, label in sample(list(labels.items()), per_class, rng):
        prefix = label[: rng.randint(3, 6)].rstrip()
        if len(fold(prefix)) >= 2:
            start = fold(prefix)
            prefixes.append((prefix, {c for f, c in folded_labels if f.startswith(start)}))
    add("label_prefix", prefixes)

    any_order = []
    for code, label in sample(list(labels.items()), per_class * 2, rng):
        words = [w for w in fold(label).split() if len(w) >= 4 and w not in ("and", "except", "other")]
        if len(words) < 2:
            continue
        first, second = words[0][: max(4, len(words[0]) - 3)], words[1][: max(4, len(words[1]) - 3)]
        query = f"{second} {first}"
        expected = {c for f, c in folded_labels
                    if all(any(w.startswith(p) for w in f.split()) for p in (first, second))}
        any_order.append((query, expected))
    add("words_any_order", any_order[:per_class])

    # Only codes people type: digits with dots and dashes. Skill ids (`2.A.1.a`, `tech-python`) are not.
    codes = []
    for code in sample(list(labels), per_class, rng):
        for form in typed_forms(code):
            if looks_like_code(form):
                codes.append((form, {code}))
    if codes:
        add("code", sample_pairs(codes, per_class, rng))
    if vocabulary == "skills":
        lines += everyday_phrases(concepts)
    return lines


def sample_pairs(pairs: list[tuple[str, set[str]]], n: int, rng: random.Random) -> list[tuple[str, set[str]]]:
    return rng.sample(pairs, n) if len(pairs) > n else pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for vocabulary in DEFAULT_BINDINGS:
        rng = random.Random(f"{args.seed}-{vocabulary}")
        lines = querysets(vocabulary, args.per_class, rng)
        path = OUT / f"{vocabulary}.tsv"
        with path.open("w", encoding="utf-8") as fh:
            fh.write("class\tquery\texpected\n")
            for kind, query, expected in lines:
                fh.write(f"{kind}\t{query}\t{expected}\n")
        counts = defaultdict(int)
        for kind, _, _ in lines:
            counts[kind] += 1
        print(f"{path.relative_to(ROOT)}: {len(lines)} queries (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


if __name__ == "__main__":
    main()
