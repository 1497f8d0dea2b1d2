"""CTIDs: the Credential Registry's identifiers, `ce-` + a UUID, for credentials and organizations.

A CTID is minted when the row is created (the models' column default), stored, and never
changed: other registries link to it. Ours are lower case; older registry records use upper
case, so records from elsewhere are compared through `normalise_ctid`.
"""
from __future__ import annotations

import re
import uuid

CTID_PATTERN = re.compile(r"ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
CTID_LENGTH = 39


def new_ctid() -> str:
    return f"ce-{uuid.uuid4()}"


def normalise_ctid(value) -> str | None:
    """The CTID in `value` in our (lower-case) form, or None if it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value.lower() if CTID_PATTERN.fullmatch(value) else None
