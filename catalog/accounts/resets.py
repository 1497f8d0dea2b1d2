"""Password resets by mail: a single-use link that expires, kept in the database only as a hash.

`request_reset` answers nothing about whether the address has an account: the caller shows the
same page either way, and the mail (if any) goes out in the background so the answer also takes
the same time. A person can have at most RESETS_PER_HOUR links sent in an hour, whoever asks,
so the form cannot be used to flood someone's mailbox; the web app also limits requests per
client address (webapp/limits.py).

Using a link sets the new password through `service.change_password`, which ends every session
of the account, and voids every other outstanding link of that person.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.models import PasswordReset, User, utcnow
from catalog.accounts.service import Invalid, change_password, check_new_password, find_user, hash_token

RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3
RESET_PREFIX = "pr_"
INVALID_LINK = ("this password-reset link is not valid: it may have been used already, replaced by a newer "
                "one, or mistyped; ask for a new one")


@dataclass(frozen=True)
class ResetMail:
    """What to send: the secret goes only into the link in this mail."""

    to: str
    name: str
    token: str


def request_reset(session: Session, email: str) -> ResetMail | None:
    """A new reset link for the account with `email`, or None (no such account, or too many lately).

    The caller must answer None and a ResetMail alike.
    """
    user = find_user(session, email)
    if user is None:
        return None
    now = utcnow()
    recent = session.scalar(select(func.count()).select_from(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at > now - timedelta(hours=1)))
    if recent >= RESETS_PER_HOUR:
        return None
    token = RESET_PREFIX + secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=hash_token(token), created_at=now,
                              expires_at=now + RESET_LIFETIME))
    session.flush()
    return ResetMail(to=user.email, name=user.name, token=token)


def reset_mail_text(mail: ResetMail, link: str) -> tuple[str, str]:
    """The subject and body of the reset mail."""
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    greeting = f"Hello {mail.name}," if mail.name else "Hello,"
    body = (f"{greeting}\n\n"
            "Someone asked to reset the password of your Credential Catalog account. "
            f"To choose a new password, open this link within {minutes} minutes:\n\n"
            f"{link}\n\n"
            "The link works once. If you did not ask for it, ignore this message: "
            "your password stays as it is.\n")
    return "Reset your Credential Catalog password", body


def _live_reset(session: Session, token: str) -> PasswordReset:
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or "")))
    if row is None or row.used_at is not None:
        raise Invalid(INVALID_LINK)
    if row.expires_at <= utcnow():
        raise Invalid("this password-reset link has expired (links last "
                      f"{int(RESET_LIFETIME.total_seconds() // 60)} minutes); ask for a new one")
    return row


def check_reset(session: Session, token: str) -> User:
    """The account a live link resets, or Invalid saying why the link cannot be used."""
    return session.get(User, _live_reset(session, token).user_id)


def complete_reset(session: Session, token: str, new_password: str) -> User:
    """Set the new password with a live link, use the link up and end the account's sessions."""
    row = _live_reset(session, token)
    user = session.get(User, row.user_id)
    check_new_password(new_password)  # a refused password leaves the link usable
    # Claim the link in SQL: of two requests racing with one link, only one updates a row.
    claimed = session.execute(update(PasswordReset).where(PasswordReset.id == row.id,
                                                          PasswordReset.used_at.is_(None))
                              .values(used_at=utcnow()))
    if claimed.rowcount != 1:
        raise Invalid(INVALID_LINK)
    change_password(session, user, new_password)  # also voids the person's other links
    return user
