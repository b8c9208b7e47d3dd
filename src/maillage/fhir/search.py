"""FHIR search parameters: parsing the query string into conditions on a queryset.

Supported, for the parameters each resource type declares (see its ``params``):

- ``string``: starts with, case-insensitive; ``:exact`` and ``:contains`` modifiers;
- ``token``: ``code``, ``system|code``, ``|code`` and ``system|``;
- ``date``: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a date-time, with the prefixes
  ``eq ne lt le gt ge sa eb``;
- ``reference``: ``123``, ``Patient/123`` or a full URL ending in ``Patient/123``.

A comma separates values of which one must match (OR); a repeated parameter must match
each time (AND). An unknown parameter, modifier or prefix is refused with a 400
OperationOutcome rather than silently ignored: a program that believes it filtered must
not receive more than it asked for.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from maillage.fhir.errors import fail

DEFAULT_COUNT = 50
MAX_COUNT = 1000
MAX_OFFSET = 10_000_000
MAX_VALUE_LENGTH = 200
MAX_VALUES = 50

DATE_RE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,9})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb")
ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code of the system


@dataclass(frozen=True)
class DateRange:
    """A searched date: ``[start, end)``, with its prefix."""

    prefix: str
    start: datetime.datetime
    end: datetime.datetime

    def condition(self, lookup: str, *, as_date: bool = False) -> Q:
        """Rows whose ``lookup`` (a date-time, or a date with ``as_date``) matches."""
        start: Any = self.start.date() if as_date else self.start
        end: Any = self.end.date() if as_date else self.end
        if as_date and self.end.time() != datetime.time(0) and self.end.date() == start:
            end = start + datetime.timedelta(days=1)
        inside = Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end})
        return {
            "eq": inside,
            "ne": ~inside & Q(**{f"{lookup}__isnull": False}),
            "lt": Q(**{f"{lookup}__lt": start}),
            "eb": Q(**{f"{lookup}__lt": start}),
            "le": Q(**{f"{lookup}__lt": end}),
            "gt": Q(**{f"{lookup}__gte": end}),
            "sa": Q(**{f"{lookup}__gte": end}),
            "ge": Q(**{f"{lookup}__gte": start}),
        }[self.prefix]


@dataclass(frozen=True)
class Param:
    """A search parameter of a resource type.

    ``build`` receives the parsed values of one occurrence (at least one must match) and
    the modifier, and returns a condition on the resource's queryset.
    """

    name: str
    type: str  # string | token | date | reference
    build: Callable[[list[Any], str], Q]
    documentation: Any = ""  # a lazy translation
    modifiers: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # reference: the resource types it may point to


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_date(raw: str, name: str) -> DateRange:
    """``ge2024-03`` → the prefix and the period the value covers, in Paris time when no
    zone is given."""
    prefix = "eq"
    if raw[:2] in PREFIXES:
        prefix, raw = raw[:2], raw[2:]
    elif raw[:2].isalpha():
        raise fail(
            400,
            "not-supported",
            _("“%(prefix)s” is not a supported date prefix (use eq, ne, lt, le, gt, ge, sa, eb).")
            % {"prefix": raw[:2]},
            name,
        )
    match = DATE_RE.match(raw)
    if match is None:
        raise fail(
            400,
            "value",
            _(
                "“%(value)s” is not a FHIR date: write YYYY, YYYY-MM, YYYY-MM-DD or "
                "YYYY-MM-DDThh:mm:ss+01:00."
            )
            % {"value": raw[:MAX_VALUE_LENGTH]},
            name,
        )
    parts = match.groupdict()
    zone: datetime.tzinfo = _local_zone()
    if parts["tz"]:
        if parts["tz"] == "Z":
            zone = datetime.UTC
        else:
            sign = 1 if parts["tz"][0] == "+" else -1
            hours, minutes = int(parts["tz"][1:3]), int(parts["tz"][4:6])
            if hours > 14 or minutes > 59:
                raise fail(400, "value", _("This time zone offset is not valid."), name)
            zone = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    try:
        year = int(parts["year"])
        if year < 1:
            raise ValueError
        if parts["month"] is None:
            start = datetime.datetime(year, 1, 1, tzinfo=zone)
            end = start.replace(year=year + 1) if year < 9999 else datetime.datetime.max
        elif parts["day"] is None:
            start = datetime.datetime(year, int(parts["month"]), 1, tzinfo=zone)
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        elif parts["hour"] is None:
            start = datetime.datetime(year, int(parts["month"]), int(parts["day"]), tzinfo=zone)
            end = start + datetime.timedelta(days=1)
        else:
            start = datetime.datetime(
                year,
                int(parts["month"]),
                int(parts["day"]),
                int(parts["hour"]),
                int(parts["minute"]),
                int(parts["second"] or 0),
                tzinfo=zone,
            )
            end = start + (
                datetime.timedelta(seconds=1) if parts["second"] else datetime.timedelta(minutes=1)
            )
        if end.tzinfo is None:
            end = end.replace(tzinfo=zone)
        # Times are compared in UTC: a bound with no UTC time (the first hours of year 1
        # east of Greenwich, the last ones of 9999 west of it) is out of range.
        start.astimezone(datetime.UTC)
        end.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        raise fail(
            400, "value", _("“%(value)s” is not a real date.") % {"value": raw}, name
        ) from None
    return DateRange(prefix, start, end)


def parse_token(raw: str) -> Token:
    if "|" not in raw:
        return Token(None, raw)
    system, code = raw.split("|", 1)
    return Token(system, code or None)


class Ref(str):
    """A reference search value: the id, with the resource type it names (``Patient/12``)
    or None (a bare ``12``)."""

    type: str | None

    def __new__(cls, pk: str, type_: str | None = None) -> Ref:
        ref = super().__new__(cls, pk)
        ref.type = type_
        return ref


def by_type(values: list[Any], modifier: str, default: str) -> dict[str, list[str]]:
    """Reference values grouped by the type they point to: the one they name, else the
    one the ``:Type`` modifier names, else ``default``. A value naming another type than
    the modifier matches nothing."""
    groups: dict[str, list[str]] = {}
    for value in values:
        named = getattr(value, "type", None)
        if named and modifier and named != modifier:
            continue
        groups.setdefault(named or modifier or default, []).append(str(value))
    return groups


def parse_reference(raw: str, name: str, targets: Sequence[str]) -> Ref:
    """The id a reference value points to, checking its type when it names one."""
    parts = raw.rstrip("/").split("/")
    kind = None
    if len(parts) >= 2:
        kind, pk = parts[-2], parts[-1]
        if targets and kind not in targets:
            raise fail(
                400,
                "value",
                _("“%(param)s” points to %(types)s, not to %(type)s.")
                % {"param": name, "types": ", ".join(targets), "type": kind[:40]},
                name,
            )
    else:
        pk = parts[-1]
    if not ID_RE.match(pk):
        raise fail(400, "value", _("“%(value)s” is not a resource id.") % {"value": pk[:70]}, name)
    return Ref(pk, kind)


def split_values(raw: str) -> list[str]:
    """Comma-separated values; ``\\,`` is a comma inside a value."""
    values, current, escaped = [], [], False
    for char in raw:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current))
    return values


def parse_values(param: Param, raw: str, modifier: str) -> list[Any]:
    name = f"{param.name}:{modifier}" if modifier else param.name
    if "\x00" in raw:
        raise fail(400, "value", _("The value contains a NUL character."), name)
    values = [v.strip() for v in split_values(raw)]
    if len(values) > MAX_VALUES:
        raise fail(400, "too-costly", _("At most %(n)d values at once.") % {"n": MAX_VALUES}, name)
    if any(not v for v in values):
        raise fail(400, "value", _("A search value may not be empty."), name)
    if any(len(v) > MAX_VALUE_LENGTH for v in values):
        raise fail(
            400,
            "value",
            _("A search value has at most %(n)d characters.") % {"n": MAX_VALUE_LENGTH},
            name,
        )
    if param.type == "date":
        return [parse_date(v, name) for v in values]
    if param.type == "token":
        return [parse_token(v) for v in values]
    if param.type == "reference":
        return [parse_reference(v, name, param.targets) for v in values]
    return values


# --- Builders for the common cases ---------------------------------------------------------


# A condition every row meets (``Q()`` would vanish when or-ed with another condition).
EVERY = Q(pk__isnull=False)


def any_of(conditions: list[Q]) -> Q:
    result = Q(pk__in=[])
    for condition in conditions:
        result |= condition
    return result


def string_param(name: str, *fields: str, documentation: str = "") -> Param:
    """Starts with (default), ``:exact`` or ``:contains``, on any of ``fields``."""

    def build(values: list[str], modifier: str) -> Q:
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}[modifier]
        return any_of([Q(**{f"{f}__{lookup}": v}) for v in values for f in fields])

    return Param(name, "string", build, documentation, modifiers=("exact", "contains"))


def words_param(name: str, field: str, documentation: str = "") -> Param:
    """A string parameter on a free text holding several words (a whole name): a word of
    it starts with the value (default), ``:exact`` or ``:contains``."""

    def build(values: list[str], modifier: str) -> Q:
        if modifier:
            lookup = {"exact": "exact", "contains": "icontains"}[modifier]
            return any_of([Q(**{f"{field}__{lookup}": v}) for v in values])
        return any_of(
            [
                Q(**{f"{field}__istartswith": v}) | Q(**{f"{field}__icontains": f" {v}"})
                for v in values
            ]
        )

    return Param(name, "string", build, documentation, modifiers=("exact", "contains"))


def date_param(name: str, lookup: str, *, as_date: bool = False, documentation: str = "") -> Param:
    def build(values: list[DateRange], modifier: str) -> Q:
        return any_of([v.condition(lookup, as_date=as_date) for v in values])

    return Param(name, "date", build, documentation)


def token_param(
    name: str,
    condition: Callable[[str], Q | None],
    system: str,
    documentation: str = "",
) -> Param:
    """A token whose FHIR codes (of ``system``) each stand for a condition on the rows:
    ``condition(code)``, or None for a code that matches nothing."""

    def build(values: list[Token], modifier: str) -> Q:
        conditions = []
        for token in values:
            if token.system not in (None, system):
                continue
            if token.code is None:
                conditions.append(EVERY)
                continue
            found = condition(token.code)
            if found is not None:
                conditions.append(found)
        return any_of(conditions)

    return Param(name, "token", build, documentation)


def code_param(
    name: str,
    lookup: str,
    codes: Mapping[str, Any] | Callable[[str], Any],
    system: str,
    documentation: str = "",
) -> Param:
    """A token whose FHIR codes (of ``system``) map to stored values: ``codes`` is a
    dict FHIR code → stored value, or a function returning the stored value or None."""

    def condition(code: str) -> Q | None:
        value = codes.get(code) if isinstance(codes, Mapping) else codes(code)
        return None if value is None else Q(**{lookup: value})

    return token_param(name, condition, system, documentation)


def reference_param(
    name: str, lookup: str, targets: tuple[str, ...], documentation: str = ""
) -> Param:
    """A reference to rows whose ids are integers (other ids match nothing)."""

    def build(values: list[str], modifier: str) -> Q:
        return Q(**{f"{lookup}__in": id_values(values)})

    return Param(name, "reference", build, documentation, targets=targets)


def int_id(raw: str) -> int | None:
    """The integer a FHIR id of ASCII digits stands for (``str.isdigit`` also accepts
    "²" or "١٢", which ``int`` refuses or reads), None for anything else."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def id_values(values: list[str], prefix: str = "") -> list[int]:
    """Integer ids from FHIR ids of the form ``<prefix><digits>``."""
    ids = []
    for value in values:
        if prefix and not value.startswith(prefix):
            continue
        pk = int_id(value[len(prefix) :])
        if pk is not None:
            ids.append(pk)
    return ids


# --- The query string as a whole ---------------------------------------------------------

# Parameters every search accepts, besides the resource type's own.
CONTROL = frozenset({"_count", "_offset", "_include", "_summary", "_format", "_pretty", "_total"})


@dataclass
class SearchRequest:
    conditions: list[Q] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[str] = field(default_factory=list)
    summary_count: bool = False
    echo: list[tuple[str, str]] = field(default_factory=list)  # for the self link


def _whole_number(name: str, raw: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise fail(400, "value", _("“%(name)s” is a whole number.") % {"name": name}, name)
    value = int(raw)
    if not low <= value <= high:
        raise fail(
            400,
            "value",
            _("“%(name)s” is between %(low)d and %(high)d.")
            % {"name": name, "low": low, "high": high},
            name,
        )
    return value


def parse_search(
    items: Sequence[tuple[str, str]],
    params: dict[str, Param],
    includes: Sequence[str],
    resource: str,
) -> SearchRequest:
    """The whole query string (as (name, value) pairs, repeated names allowed)."""
    search = SearchRequest()
    for key, raw in items:
        name, _sep, modifier = key.partition(":")
        if name in {"_format", "_pretty"}:
            continue
        search.echo.append((key, raw))
        if name == "_count":
            search.count = _whole_number(name, raw, 0, MAX_COUNT)
        elif name == "_offset":
            search.offset = _whole_number(name, raw, 0, MAX_OFFSET)
        elif name == "_total":
            continue  # the total is always given
        elif name == "_summary":
            if raw != "count":
                raise fail(
                    400,
                    "not-supported",
                    _("Only “_summary=count” is supported."),
                    "_summary",
                )
            search.summary_count = True
        elif name == "_include":
            value = raw if not modifier else f"{raw}"
            if modifier and modifier != "iterate":
                raise fail(400, "not-supported", _("Unknown modifier."), key)
            if value not in includes:
                raise fail(
                    400,
                    "not-supported",
                    _("“%(value)s” cannot be included here; supported: %(list)s.")
                    % {"value": value[:80], "list": ", ".join(includes) or "—"},
                    "_include",
                )
            search.includes.append(value)
        elif name in params:
            param = params[name]
            if modifier and modifier not in param.modifiers:
                raise fail(
                    400,
                    "not-supported",
                    _("The modifier “:%(modifier)s” is not supported on “%(name)s”.")
                    % {"modifier": modifier[:30], "name": name},
                    key,
                )
            search.conditions.append(param.build(parse_values(param, raw, modifier), modifier))
        else:
            known = ", ".join(sorted(set(params) | {"_count", "_include", "_summary"}))
            raise fail(
                400,
                "not-supported",
                _("Unknown search parameter “%(name)s” for %(resource)s; supported: %(list)s.")
                % {"name": key[:60], "resource": resource, "list": known},
                key[:60],
            )
    return search
