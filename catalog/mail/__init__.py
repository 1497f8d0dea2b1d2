"""Outgoing mail over SMTP with the standard library: a message is built with `email.message`
and handed to the server that the MAIL_* settings name (store/settings.py).

The catalog sends one kind of mail today, the password-reset link (catalog/accounts/resets.py).
No Flask here: the web app, the CLI or a worker can all send. In development (`make dev`) and in
the tests a real local SMTP server receives it (catalog/mail/local_server.py, aiosmtpd), so the
code path is the production one down to the socket.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from store.settings import Settings

log = logging.getLogger(__name__)
# A reset request must not hang a web worker on an unreachable mail server.
SMTP_TIMEOUT = 10.0


class MailError(Exception):
    """The message could not be handed to the mail server; the text says which server and why."""


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2].strip("> ") or None)
    message.set_content(body)
    return message


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Deliver `message` to the configured SMTP server (STARTTLS and login when configured)."""
    where = f"{settings.mail_server}:{settings.mail_port}"
    try:
        with smtplib.SMTP(settings.mail_server, settings.mail_port, timeout=SMTP_TIMEOUT) as smtp:
            if settings.mail_use_tls:
                smtp.starttls()
            if settings.mail_username:
                smtp.login(settings.mail_username, settings.mail_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail through {where} (MAIL_SERVER, MAIL_PORT): {exc}") from exc


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    send_message(settings, build_message(settings, to, subject, body))
