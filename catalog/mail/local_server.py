"""A real SMTP server for development and tests (aiosmtpd): it keeps every message it receives.

Each message is written to a directory (`instance/mail/` under `make dev`) as an .eml file and
summed up on standard output, so a password-reset link shows in `make dev`'s log. Nothing is
relayed anywhere. Run it with `scripts/mail-local` or
`python -m catalog.mail.local_server --port 8025 --directory instance/mail`.

Tests start `LocalMailServer` on a private port and read the messages it received
(tests/support/mail.py); the app sends to it exactly as it would to a production server.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from store.settings import INSTANCE_DIR


class KeepingHandler:
    """aiosmtpd handler: every message is kept in memory, written to `directory` and printed."""

    def __init__(self, directory: Path | None = None, echo: bool = False):
        self.directory = directory
        self.echo = echo
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        number = next(self._numbers)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{number:04d}.eml"
            path.write_bytes(envelope.original_content or envelope.content)
        if self.echo:
            print(describe(message, envelope.rcpt_tos), flush=True)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, predicate, timeout: float = 10.0) -> EmailMessage:
        """The first message received that satisfies `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching message within {timeout} s "
                                       f"({len(self.messages)} received)")
                self._arrived.wait(left)


def describe(message: EmailMessage, recipients) -> str:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return (f"----- mail to {', '.join(recipients)}: {message['Subject']}\n{text.rstrip()}\n-----")


class LocalMailServer:
    """aiosmtpd's threaded Controller around a KeepingHandler, on `host`:`port` (loopback unless
    told otherwise: in docker compose the web container reaches it by service name)."""

    def __init__(self, port: int, directory: Path | None = None, echo: bool = False, host: str = "127.0.0.1"):
        self.port = port
        self.handler = KeepingHandler(directory, echo)
        self._controller = Controller(self.handler, hostname=host, port=port)

    def __enter__(self) -> "LocalMailServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", type=Path, default=INSTANCE_DIR / "mail")
    args = parser.parse_args(argv)
    with LocalMailServer(args.port, args.directory, echo=True, host=args.host):
        print(f"mail-local: SMTP on {args.host}:{args.port}, messages in {args.directory}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
