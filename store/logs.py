"""How every process logs: plain text by default, one JSON object a line with `LOG_FORMAT=json`.

The web app (create_app, and gunicorn.conf.py for gunicorn's own loggers), the Celery worker and
beat (workers/app.py) call `configure_logging`. In JSON each line has `time`, `level`, `logger`,
`message`, and `request_id` when the line was written while a request id was current
(store/request_ids.py), so `jq 'select(.request_id == "...")'` over the web's and the workers'
logs shows one publish end to end. python-json-logger does the encoding.
"""
from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from store.request_ids import current_request_id

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Set on the root handler this module installs, so configuring twice replaces it instead of
# printing every line twice.
_HANDLER_NAME = "catalog"
# opensearch-py logs every request at INFO: a line per search is noise, and costs time under load.
QUIET_LOGGERS = {"opensearch": logging.WARNING}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request), unless the caller
    already gave one with `extra={"request_id": ...}`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line; the request id is left out when there is none."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z")

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        if log_record.get("request_id") is None:
            log_record.pop("request_id", None)


def formatter(log_format: str) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str, level: int | str = logging.INFO) -> None:
    """One handler on the root logger, writing to stderr in `log_format` (settings.log_format)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Python warnings (a library's DeprecationWarning, Celery's SecurityWarning) as log lines too.
    logging.captureWarnings(True)
    for name, quiet_level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet_level)
