"""The request id: one name for one piece of work, from the web request to the relay's log line.

The web app sets it for each request (an incoming `X-Request-ID` it can trust, or a new one) in a
context variable; `store.outbox.record_change` copies it onto each outbox row written during the
request, and the relay logs the rows it indexed under the same id. So a publish can be followed
from the editor's save, through the outbox row, to the worker that made it searchable
(docs/operations.md, "Following one publish").

A context variable rather than a thread-local: gunicorn's threads and any future async code each
see their own value, and code that runs outside a request (the CLI, a worker) simply sees None.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

HEADER = "X-Request-ID"
# Ids are written into log lines and a database column, so only a short, plain token is taken
# from a client; anything else (too long, spaces, control characters) is replaced by a new id.
MAX_LENGTH = 64
_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,%d}" % (MAX_LENGTH - 1))

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_or_mint(incoming: str | None) -> str:
    """The client's id when it is a plain token of at most MAX_LENGTH characters, else a new one."""
    if incoming and _ACCEPTED.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


def set_request_id(value: str | None):
    """Make `value` the current id; returns a token for `reset_request_id`."""
    return _current.set(value)


def reset_request_id(token) -> None:
    _current.reset(token)


@contextmanager
def request_id_scope(value: str | None) -> Iterator[str | None]:
    """The current id for the length of the block (the relay logs a batch's rows under theirs)."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
