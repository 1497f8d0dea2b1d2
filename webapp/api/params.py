"""Reading the query string the same way across the lookup endpoints (autocomplete, suggest),
and answering OpenSearch trouble the same way."""
from __future__ import annotations

from flask import Response, current_app, request
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from indexer.metrics import count_opensearch_error
from webapp.errors import json_error


def listed(name: str) -> list[str]:
    """Every value of a parameter that may repeat or be comma-separated, blanks dropped."""
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def size_arg(default: int, maximum: int) -> int | Response:
    """`size`, capped at `maximum`; a 400 response when it is not a whole number of at least 1."""
    raw = request.args.get("size", "").strip()
    if not raw:
        return default
    try:
        size = int(raw)
    except ValueError:
        return json_error(400, "bad_request", f"size must be a whole number from 1 to {maximum}, not {raw[:20]!r}")
    if size < 1:
        return json_error(400, "bad_request", f"size must be a whole number from 1 to {maximum}")
    return min(size, maximum)


def offset_arg(maximum: int) -> int | Response:
    """`from`: how many matches to skip ("Show more"), 0 when absent; a 400 response when it is not
    a whole number from 0 to `maximum` (the length check first: int() refuses thousands of digits)."""
    raw = request.args.get("from", "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)) and int(raw) <= maximum):
        return json_error(400, "bad_request", f"from must be a whole number from 0 to {maximum:,}, not {raw[:20]!r}")
    return int(raw)


def search_unavailable(exc: TransportError, index: str, what: str) -> Response:
    """The 503 for an OpenSearch error while answering `what`; `index` names the index to rebuild.
    Counted in catalog_opensearch_errors_total under the endpoint's name."""
    count_opensearch_error(request.blueprint or "web", exc)
    if isinstance(exc, NotFoundError):
        return json_error(503, "search_unavailable", f"the {index} index is not built yet; an operator can run "
                                                     f"`catalog index reindex {index}`")
    if isinstance(exc, SearchConnectionError):
        current_app.logger.warning("%s: OpenSearch is unreachable or slow: %s", what, exc)
        return json_error(503, "search_unavailable", "search is unavailable right now; try again in a moment")
    current_app.logger.error("%s failed: %s", what, exc)
    return json_error(503, "search_unavailable", "search could not answer right now; try again in a moment")
