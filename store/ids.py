"""Reading a row id out of what a person or a client sent, strictly.

Ids are 32-bit integers on PostgreSQL (store.models.MAX_ID): a larger number cannot be bound as a
parameter, SQLite overflows past 64 bits, and int() refuses more than 4,300 digits. So an id is
read only from a real integer or from ASCII digits, and checked against the range before any
query sees it. Nothing is rounded or coerced: 1.5, True, "1.5", " 7" and "٣" (an Arabic-Indic
three, which int() would accept) are not ids.

The web app's `id` URL converter, form parsing and the authoring rules all use `parse_id`, so
"is this an id?" has one answer everywhere.
"""
from __future__ import annotations

from store.models import MAX_ID

MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value) -> int | None:
    """The id in `value` (an int, or a string of ASCII digits) if it is within 1..MAX_ID, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None


def looks_like_id(value) -> bool:
    """A whole number as the ids are written (an int, or ASCII digits), whatever its size.

    Lets a message tell "no such credential" (a number, just not one that exists) apart from
    "must be a credential id" (1.5, "abc").
    """
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
