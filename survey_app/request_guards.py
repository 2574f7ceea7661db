"""Request guards: input no database can take is refused before any view runs.

- An id in the address (``<int:...>``) larger than a database INTEGER names nothing: PostgreSQL's
  INTEGER stops at 2**31 - 1 (a larger value in a query is a DataError) and SQLite's at
  2**63 - 1 (an OverflowError), so such an address is 404 like any unknown id.
- A NUL character in a query or form value: PostgreSQL text cannot hold one (psycopg raises
  DataError) and nobody types one, so the request is refused with 400 before anything is read or
  stored.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

DATABASE_INT_MAX = 2**31 - 1
"""The largest value of a PostgreSQL INTEGER, the type of every id column."""


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in URL rules, limited to what an id column holds (larger: no match, 404).

    Examples
    --------
    >>> from werkzeug.routing import Map, Rule
    >>> from werkzeug.exceptions import NotFound
    >>> urls = Map([Rule("/studies/<int:study_id>", endpoint="study")],
    ...            converters={"int": DatabaseIdConverter}).bind("localhost")
    >>> urls.match("/studies/2147483647")
    ('study', {'study_id': 2147483647})
    >>> try:
    ...     urls.match("/studies/2147483648")
    ... except NotFound:
    ...     print("404")
    404
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = DATABASE_INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_nul_characters() -> None:
    """Abort with 400 if a query or form key or value holds a NUL character."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def install_request_guards(app: Flask) -> None:
    """Use :class:`DatabaseIdConverter` for ``int`` and check every request for NUL characters.

    Call it before registering blueprints: rules take their converters when they are added.
    """
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_nul_characters)
