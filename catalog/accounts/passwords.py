"""Password hashing with argon2id (argon2-cffi's PasswordHasher and its current defaults).

Kept apart from Flask so the CLI and the demo-data loader hash passwords exactly as the web
forms do.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Checked against when the email is unknown, so a failed login takes as long whether or not the
# account exists and response times do not reveal which emails are registered.
_UNKNOWN_USER_HASH = _hasher.hash("no such user: this hash is never matched")


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
