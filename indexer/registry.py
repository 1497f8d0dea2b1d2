"""Every index the product uses, declared once: alias, mapping file and version, and source.

Physical indices are named `<prefix><alias>-v<version>-<random>` and hidden behind the alias
`<prefix><alias>`; readers and the relay only ever use the alias, so a rebuild can swap it.
Occupations, sectors and programmes share one mapping family; skills have their own.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from store.vocabulary import DEFAULT_BINDINGS

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    mapping: str
    version: int

    def alias(self, prefix: str) -> str:
        return f"{prefix}{self.name}"

    def physical_prefix(self, prefix: str) -> str:
        return f"{prefix}{self.name}-v{self.version}-"

    @property
    def mapping_path(self) -> Path:
        return MAPPINGS_DIR / self.mapping / f"{self.mapping}-v{self.version}.json"

    def body(self) -> dict:
        return json.loads(_read(self.mapping_path))


@cache
def _read(path: Path) -> str:
    return path.read_text()


# One index per editor vocabulary; store.vocabulary says which scheme each is built from.
VOCABULARIES = tuple(DEFAULT_BINDINGS)

INDICES: dict[str, IndexSpec] = {
    **{name: IndexSpec(name, "vocabulary", 3) for name in VOCABULARIES},
    # Skills have ~29,000 concepts with ~115,000 alternative labels: their own, leaner family
    # (no start-of-alternative-label grams, no term vectors) halves the time to build the index.
    "skills": IndexSpec("skills", "skills", 1),
    "credentials": IndexSpec("credentials", "credentials", 1),
}

# What `catalog index reindex TARGET` means.
TARGETS = {
    **{name: (name,) for name in INDICES},
    "taxonomies": VOCABULARIES,
    "all": tuple(INDICES),
}
