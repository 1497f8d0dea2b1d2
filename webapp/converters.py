"""The `id` URL converter: `<id:credential_id>` matches only an id that can exist (1..MAX_ID).

Every route that takes a row id uses it, so an id that cannot be stored (0, 99999999999999999999,
five thousand nines) never reaches a view or a query: the route does not match and the answer is
the app's 404 (JSON on API paths, a page elsewhere; webapp/errors.py). Before this, Werkzeug's
`int` converter let such numbers through to the database, which answered with a 500.
"""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from store.ids import MAX_ID_DIGITS, parse_id


class IdConverter(BaseConverter):
    # At most as many digits as MAX_ID has, so the router never turns a huge number into an int.
    regex = rf"\d{{1,{MAX_ID_DIGITS}}}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            # Not ValidationError: the router would answer that with 405 whenever another method's
            # rule shares the path (GET /orgs/<id> beside POST /orgs/<id>). No id, no resource: 404.
            raise NotFound(f"There is nothing with the number {value}.")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def init_app(app) -> None:
    """Call before registering blueprints: their rules are compiled against the converters."""
    app.url_map.converters["id"] = IdConverter
