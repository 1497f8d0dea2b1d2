"""A real SMTP server for tests (catalog.mail.local_server, aiosmtpd) on a private port, and an
app whose MAIL_* settings send to it. Messages are parsed with the standard `email` package."""
from __future__ import annotations

import dataclasses
import re
from email.message import EmailMessage

from catalog.mail.local_server import LocalMailServer
from tests.support.services import free_port

LINK = re.compile(r"https?://\S+/reset-password/\S+")


def start_mail_server(directory=None) -> LocalMailServer:
    return LocalMailServer(free_port(), directory).__enter__()


def with_mail_server(settings, server: LocalMailServer):
    """The run's settings, sending mail to `server`."""
    return dataclasses.replace(settings, mail_server="127.0.0.1", mail_port=server.port,
                               mail_from="Credential Catalog <no-reply@catalog.test>")


def mail_to(server: LocalMailServer, address: str, timeout: float = 10.0) -> EmailMessage:
    return server.handler.wait_for(lambda m: m["To"] == address, timeout)


def mails_to(server: LocalMailServer, address: str) -> list[EmailMessage]:
    return [m for m in server.handler.messages if m["To"] == address]


def reset_link(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = LINK.search(body)
    assert found, f"no reset link in the mail:\n{body}"
    return found.group(0)
