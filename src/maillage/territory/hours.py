"""Opening hours in the OpenStreetMap format (data·inclusion's ``horaires_accueil``),
evaluated with ``opening-hours-py`` with French public holidays."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import opening_hours
from django.utils import timezone

COUNTRY = "FR"
# The library raises its own ParserError (not in its type stubs) for a wrong expression.
PARSE_ERRORS: tuple[type[Exception], ...] = (
    SyntaxError,
    ValueError,
    getattr(opening_hours, "ParserError", ValueError),
)


@functools.lru_cache(maxsize=65536)
def parsed(expression: str) -> opening_hours.OpeningHours | None:
    """The parsed expression, kept per process (parsing costs ten times an evaluation);
    ``None`` when it is not valid."""
    try:
        return opening_hours.OpeningHours(expression, country=COUNTRY)
    except PARSE_ERRORS:
        return None


def is_valid(expression: str) -> bool:
    return parsed(expression.strip()) is not None


def local_naive(moment: datetime.datetime) -> datetime.datetime:
    """Opening hours are written in local time: evaluate them at the Paris wall clock."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None)


def is_open(expression: str, moment: datetime.datetime) -> bool | None:
    """Open at ``moment``? ``None`` when the hours are unknown, invalid or say "unknown"."""
    return open_at(moment)(expression)


def open_at(moment: datetime.datetime) -> Callable[[str], bool | None]:
    """``is_open`` at one moment for many expressions (the moment is converted once)."""
    when = local_naive(moment)

    def check(expression: str) -> bool | None:
        hours = parsed(expression.strip()) if expression else None
        if hours is None or hours.is_unknown(when):
            return None
        return bool(hours.is_open(when))

    return check


def next_change(expression: str, moment: datetime.datetime) -> datetime.datetime | None:
    hours = parsed(expression.strip()) if expression else None
    if hours is None:
        return None
    return hours.next_change(local_naive(moment))
