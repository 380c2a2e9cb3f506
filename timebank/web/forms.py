"""One way to run a form's act: on success see the result with a GET, on a domain error show
the same form again with the words beside the field the error names (its status, e.g. 422).

Signed-out, refused and out-of-scope errors (``passes``) are not the form's to show: they go
on to ``WebRoute``, which turns them into the sign-in page or an error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import Response

from timebank.errors import TimebankError
from timebank.web.context import Web
from timebank.web.render import redirect
from timebank.web.transactions import Errors, errors_of

T = TypeVar("T")


def attempt(
    web: Web,
    run: Callable[[], T],
    *,
    fields: tuple[str, ...],
    again: Callable[[int, Errors], Response],
    done: str | Callable[[T], str],
    passes: tuple[int, ...] = (401, 403),
    passes_fields: tuple[str, ...] = (),
) -> Response:
    """``run()`` (parsing and ``transactions.act``); then redirect to ``done`` (a path, or
    one made from the result), or ``again(status, errors)`` re-renders the form."""
    try:
        result = run()
    except TimebankError as exc:
        if exc.status in passes or (exc.field is not None and exc.field in passes_fields):
            raise
        return again(exc.status, errors_of(web, exc, fields))
    return redirect(done if isinstance(done, str) else done(result))
