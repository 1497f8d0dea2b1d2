"""Passwords: the rules a new one must meet, and hashing with argon2id (argon2-cffi's defaults).

Kept apart from Flask so the CLI and the demo-data loader check and hash passwords exactly as the
web forms do.

The rules follow NIST SP 800-63B and OWASP ASVS 4 (V2.1): at least MIN_PASSWORD_LENGTH
characters, up to MAX_PASSWORD_LENGTH so long passphrases are welcome, no composition rules, and
not one of the most common passwords (V2.1.7). The list is common_passwords.txt beside this
module: the 10,000 most common passwords from zxcvbn's frequency lists (MIT; see NOTICE.md). A
password is refused if, ignoring case, it is on the list, or is a listed one with digits or
symbols added at the end ("Baseball2024!"), the first thing people try when told "too common".
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
# ASVS V2.1.2 asks for at least 64 characters and lets 128 be the cap; argon2 hashes any length
# in the same time, so the limit only stops someone posting megabytes as a password.
MAX_PASSWORD_LENGTH = 1000
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_SUFFIX_CHARACTERS = string.digits + string.punctuation

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Checked against when the email is unknown, so a failed login takes as long whether or not the
# account exists and response times do not reveal which emails are registered.
_UNKNOWN_USER_HASH = _hasher.hash("no such user: this hash is never matched")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    return lowered in common or lowered.rstrip(_SUFFIX_CHARACTERS) in common


def password_problem(password: str) -> str | None:
    """What is wrong with `password` as a new password, as a clause a person can act on; None if fine."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"use at most {MAX_PASSWORD_LENGTH} characters"
    if is_common(password):
        return ("this password is too common: it is one of the 10,000 most used passwords, or one with "
                "digits or symbols added. Choose another, such as a few unrelated words")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches, and a fresh hash when the stored one uses old parameters.

    The caller saves the fresh hash (when not None) so accounts move to new argon2 parameters
    as their owners log in, without anyone resetting a password.
    """
    try:
        _hasher.verify(stored_hash or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    if _hasher.check_needs_rehash(stored_hash):
        return True, _hasher.hash(password)
    return True, None
