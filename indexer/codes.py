"""Code normalisation, shared by documents and queries so both sides agree.

People type codes in many forms: `29-1141`, `291141`, `29-1141.00`, `51.3801`, `5138`. Every
form is reduced to its letters and digits, lowercased; a code matches when the typed form
equals, or is a prefix of, the stored one.
"""
from __future__ import annotations

import re

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_CODE_LIKE = re.compile(r"^\s*\d[\d.\-\s]*\s*$")


def normalize_code(code: str) -> str:
    return _NOT_ALNUM.sub("", code.casefold())


def looks_like_code(text: str) -> bool:
    """Digits with optional dots, dashes and spaces: `29-1141`, `51.38`, `62`."""
    return bool(_CODE_LIKE.match(text)) and len(normalize_code(text)) >= 2


def code_variants(code: str) -> list[str]:
    """Stored forms of a code. O*NET codes also answer to their SOC form (`29-1141.00` -> `291141`)."""
    norm = normalize_code(code)
    variants = [norm]
    if re.fullmatch(r"\d{2}-\d{4}\.\d{2}", code):
        variants.append(norm[:6])
    return variants
