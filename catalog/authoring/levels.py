"""Experience levels: a default ordered scale, plus levels a credential inserts into it."""
from __future__ import annotations

DEFAULT_LEVELS = ("None", "Novice", "Intermediate", "Advanced", "Expert")


def merged_scale(custom: list[tuple[str, int]]) -> list[str]:
    """The credential's scale: defaults with each custom (name, position) inserted at position.

    Positions index the merged scale, applied in position order, so "position 2" means "the
    third level" whatever else was inserted before it.
    """
    scale = list(DEFAULT_LEVELS)
    for name, position in sorted(custom, key=lambda item: item[1]):
        scale.insert(max(0, min(position, len(scale))), name)
    return scale


def rank(scale: list[str], level: str) -> int:
    return scale.index(level)
