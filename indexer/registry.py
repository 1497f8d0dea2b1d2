"""Every index the product uses, declared once: alias, mapping file and version, and source.

Physical indices are named `<prefix><alias>-v<version>-<random>` and hidden behind the alias
`<prefix><alias>`; readers and the relay only ever use the alias, so a rebuild can swap it.
Occupations, sectors and programmes share one mapping family; skills have their own.

The mapping files hold what every deployment shares (analysis, mappings, refresh). How many
shards and replicas an index gets is the deployment's choice (`CREDENTIALS_SHARDS`,
`VOCABULARY_REPLICAS`, ... in store.settings), so `IndexSpec.body` adds them per family.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from store.vocabulary import DEFAULT_BINDINGS

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "mappings"


@dataclass(frozen=True)
class IndexShape:
    """Shards and replicas of one index; replicas 0 on a single node, where a copy has no place."""
    shards: int = 1
    replicas: int = 0


@dataclass(frozen=True)
class IndexSpec:
    name: str
    mapping: str
    version: int

    @property
    def family(self) -> str:
        """The settings family (store.settings.INDEX_FAMILIES) that gives this index its shape."""
        return "credentials" if self.name == "credentials" else "vocabulary"

    def shape(self, settings) -> IndexShape:
        return IndexShape(*settings.index_shape(self.family))

    def alias(self, prefix: str) -> str:
        return f"{prefix}{self.name}"

    def physical_prefix(self, prefix: str) -> str:
        return f"{prefix}{self.name}-v{self.version}-"

    @property
    def mapping_path(self) -> Path:
        return MAPPINGS_DIR / self.mapping / f"{self.mapping}-v{self.version}.json"

    def body(self, shape: IndexShape = IndexShape()) -> dict:
        """The create-index body: the mapping file with this deployment's shards and replicas."""
        body = json.loads(_read(self.mapping_path))
        body["settings"] = {"number_of_shards": shape.shards, "number_of_replicas": shape.replicas,
                            **body["settings"]}
        return body


@cache
def _read(path: Path) -> str:
    return path.read_text()


# One index per editor vocabulary; store.vocabulary says which scheme each is built from.
VOCABULARIES = tuple(DEFAULT_BINDINGS)

INDICES: dict[str, IndexSpec] = {
    # v4: occupations and programmes carry the names of credentials that prepare for them.
    **{name: IndexSpec(name, "vocabulary", 4) for name in VOCABULARIES},
    # Skills have ~29,000 concepts with ~115,000 alternative labels: their own, leaner family
    # (no start-of-alternative-label grams, no term vectors) halves the time to build the index.
    "skills": IndexSpec("skills", "skills", 1),
    # v2: "A+" is a word ("aplus"), not a stop word and an operator; did-you-mean fixes first letters.
    "credentials": IndexSpec("credentials", "credentials", 2),
}

# What `catalog index reindex TARGET` means.
TARGETS = {
    **{name: (name,) for name in INDICES},
    "taxonomies": VOCABULARIES,
    "all": tuple(INDICES),
}
