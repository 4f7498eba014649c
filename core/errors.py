"""The one kind of error a view shows to the person who asked.

Services raise a subclass of `UserError` (ReplyError, PostError, ConnectError, RuleError...) with a message
in plain, translated words; a view shows `exc.message` and carries on, through `flash_user_errors` when the
message goes to the page's messages. Anything else is a bug and stays a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


class UserError(Exception):
    """A refused action, said for the person who tried it: `message` (also `str(exc)`)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@contextmanager
def flash_user_errors(request: HttpRequest) -> Iterator[None]:
    """Runs the block; a `UserError` becomes an error message (shown by the next page or fragment), and
    the view goes on to its usual answer."""
    try:
        yield
    except UserError as exc:
        messages.error(request, exc.message)


@contextmanager
def user_errors_on(form: BaseForm, field: str | None = None) -> Iterator[None]:
    """Runs the block; a `UserError` becomes an error of `form` (on `field`, or the whole form), which the
    view shows again. Code after the block runs in both cases: test `form.errors`, or return inside it."""
    try:
        yield
    except UserError as exc:
        form.add_error(field, exc.message)


def user_error_page(template: str, *, status: int) -> Callable[[View], View]:
    """For a view whose every refusal ends it: a `UserError` raised anywhere in it answers `template`
    with the message as `error`, and `status`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except UserError as exc:
                return render(request, template, {"error": exc.message}, status=status)

        return wrapped

    return decorator
