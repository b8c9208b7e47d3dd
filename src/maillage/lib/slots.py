"""Free slots for appointments that need several people, a room and an interpreter at once.

A joint appointment (a GP, a social worker, a room and an interpreter for the person) can
only take place when every one of them is free for the whole appointment. Each need is a
:class:`Requirement`: either one precise :class:`Resource` (that GP, that room), or a list
of alternatives of which any single one will do (any interpreter who speaks Arabic). A
resource is free during its availability (working hours, see :func:`weekly_windows`;
``None`` for always, e.g. a room) minus its busy intervals (appointments, leave).

:func:`free_slots` searches the period with interval arithmetic (sorted sweeps, see
:func:`normalize`, :func:`intersect` and :func:`subtract`) and only then enumerates the
start times aligned on the agenda's grid, so it never walks the calendar minute by minute.

An :data:`Interval` is a pair of timezone-aware datetimes ``(start, end)``, start
included and end excluded. Every interval and slot returned by this module is in UTC,
which makes comparisons and arithmetic exact across daylight-saving changes; convert
with ``astimezone`` to display them.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Interval",
    "Requirement",
    "Resource",
    "Slot",
    "free_slots",
    "intersect",
    "normalize",
    "subtract",
    "weekly_windows",
]

Interval = tuple[datetime.datetime, datetime.datetime]
_Piece = tuple[
    datetime.datetime, datetime.datetime, tuple[str, ...], datetime.datetime, datetime.datetime
]

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
MICROSECOND = datetime.timedelta(microseconds=1)
DAY_US = DAY // MICROSECOND
_start = operator.itemgetter(0)


@dataclass(frozen=True)
class Resource:
    """Someone or something to book: ``available`` is ``None`` when always available."""

    key: str
    busy: tuple[Interval, ...] = ()
    available: tuple[Interval, ...] | None = None


@dataclass(frozen=True)
class Requirement:
    """One need of the appointment, met by any one of its alternatives."""

    alternatives: tuple[Resource, ...]

    def __post_init__(self) -> None:
        if not self.alternatives:
            raise ValueError("requirement_without_alternative")


@dataclass(frozen=True)
class Slot:
    """A possible appointment (UTC bounds) and the key chosen for each requirement."""

    start: datetime.datetime
    end: datetime.datetime
    chosen: tuple[str, ...]
    compact: bool


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive_datetime")
    return moment.astimezone(UTC)


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted UTC intervals, overlapping or touching ones merged, empty ones dropped."""
    pieces = [
        (
            start if start.tzinfo is UTC else _utc(start),
            end if end.tzinfo is UTC else _utc(end),
        )
        for start, end in intervals
    ]
    pieces.sort(key=_start)
    merged: list[Interval] = []
    current: Interval | None = None
    for start, end in pieces:
        if start >= end:
            continue
        if current is None:
            current = (start, end)
        elif start <= current[1]:
            if end > current[1]:
                current = (current[0], end)
        else:
            merged.append(current)
            current = (start, end)
    if current is not None:
        merged.append(current)
    return merged


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The time covered by both normalized lists."""
    result: list[Interval] = []
    i = j = 0
    a_size, b_size = len(a), len(b)
    while i < a_size and j < b_size:
        a_start, a_end = a[i]
        b_start, b_end = b[j]
        start = a_start if a_start > b_start else b_start
        if a_end < b_end:
            if start < a_end:
                result.append((start, a_end))
            i += 1
        else:
            if start < b_end:
                result.append((start, b_end))
            j += 1
    return result


def subtract(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The time covered by normalized list ``a`` and not by normalized list ``b``."""
    result: list[Interval] = []
    j = 0
    b_size = len(b)
    for start, end in a:
        while j < b_size and b[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < b_size:
            b_start, b_end = b[k]
            if b_start >= end:
                break
            if b_start > cursor:
                result.append((cursor, b_start))
            if b_end > cursor:
                cursor = b_end
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def weekly_windows(
    pattern: Iterable[tuple[int, datetime.time, datetime.time]],
    first: datetime.date,
    last: datetime.date,
    tz: datetime.tzinfo,
) -> list[Interval]:
    """Working hours ``(weekday, start, end)`` (0 is Monday, local times) for every day from
    ``first`` to ``last`` inclusive, as normalized intervals.

    Each bound is the wall-clock time of that day in ``tz`` with ``fold=0``, so a window
    lasts its wall-clock length even on a daylight-saving day (09:00-12:00 is 3 hours).
    A time that happens twice (autumn fold) is its first occurrence (summer time). A time
    that does not exist (spring gap) is read with the offset in force before the change,
    so 02:30 in Paris on the spring day is 03:30 summer time: a window that starts or
    ends in the gap is shorter, and dropped if nothing is left. ``end`` must come after
    ``start`` on the same day (00:00 is not accepted as the end of the day).
    """
    by_weekday: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for weekday, start, end in pattern:
        if not 0 <= weekday <= 6:
            raise ValueError("weekday_out_of_range")
        if end <= start:
            raise ValueError("window_end_before_start")
        by_weekday.setdefault(weekday, []).append((start, end))
    windows: list[Interval] = []
    day = first
    while day <= last:
        for start, end in by_weekday.get(day.weekday(), ()):
            windows.append(
                (
                    datetime.datetime.combine(day, start, tzinfo=tz),
                    datetime.datetime.combine(day, end, tzinfo=tz),
                )
            )
        day += DAY
    return normalize(windows)


def _first_offset_change(
    low: datetime.datetime,
    high: datetime.datetime,
    tz: datetime.tzinfo,
    offset: datetime.timedelta | None,
) -> datetime.datetime:
    """The first instant in ``(low, high]`` whose UTC offset in ``tz`` is not ``offset``."""
    below, above = 0, (high - low) // MICROSECOND
    while above - below > 1:
        middle = (below + above) // 2
        if (low + middle * MICROSECOND).astimezone(tz).utcoffset() == offset:
            below = middle
        else:
            above = middle
    return low + above * MICROSECOND


def _aligned_from(
    moment: datetime.datetime, tz: datetime.tzinfo, step: int
) -> tuple[datetime.datetime, datetime.date]:
    """The first instant at or after ``moment`` whose wall-clock time of day in ``tz`` is a
    multiple of ``step`` microseconds, with its local date."""
    while True:
        local = moment.astimezone(tz)
        into_day = (
            (local.hour * 60 + local.minute) * 60 + local.second
        ) * 1_000_000 + local.microsecond
        rest = into_day % step
        if not rest:
            return moment, local.date()
        candidate = moment + datetime.timedelta(microseconds=min(step - rest, DAY_US - into_day))
        arrival = candidate.astimezone(tz)
        offset = local.utcoffset()
        if arrival.utcoffset() == offset:
            return candidate, arrival.date()
        moment = _first_offset_change(moment, candidate, tz, offset)


def _free_time(resource: Resource, period: list[Interval]) -> list[Interval]:
    base = (
        period if resource.available is None else intersect(normalize(resource.available), period)
    )
    return subtract(base, normalize(resource.busy))


def _choices(
    alternatives: Sequence[Resource], period: list[Interval], duration: datetime.timedelta
) -> list[_Piece]:
    """The starts at which the requirement can be met, cut into pieces that share the
    chosen alternative (the first one free) and the free span of that alternative.

    A span ``[a, b)`` allows the starts from ``a`` to ``b - duration`` inclusive, kept as
    the half-open ``[a, b - duration + 1 µs)`` since datetimes count in microseconds."""
    reach = duration - MICROSECOND
    pieces: list[_Piece] = []
    covered: list[Interval] = []
    for resource in alternatives:
        spans = [span for span in _free_time(resource, period) if span[1] - span[0] >= duration]
        starts = [(start, end - reach) for start, end in spans]
        index = 0
        for first, last in subtract(starts, covered) if covered else starts:
            while starts[index][1] < last:
                index += 1
            pieces.append((first, last, (resource.key,), *spans[index]))
        covered = normalize(itertools.chain(covered, starts))
    pieces.sort(key=_start)
    return pieces


def _meet(a: Sequence[_Piece], b: Sequence[_Piece]) -> list[_Piece]:
    """The starts found in both lists of pieces, with their choices and spans combined."""
    result: list[_Piece] = []
    i = j = 0
    a_size, b_size = len(a), len(b)
    while i < a_size and j < b_size:
        a_first, a_last, a_keys, a_open, a_close = a[i]
        b_first, b_last, b_keys, b_open, b_close = b[j]
        first = a_first if a_first > b_first else b_first
        last = a_last if a_last < b_last else b_last
        if first < last:
            result.append(
                (
                    first,
                    last,
                    a_keys + b_keys,
                    a_open if a_open > b_open else b_open,
                    a_close if a_close < b_close else b_close,
                )
            )
        if a_last < b_last:
            i += 1
        else:
            j += 1
    return result


def free_slots(
    requirements: Sequence[Requirement],
    period: Interval,
    duration: datetime.timedelta,
    *,
    step: datetime.timedelta = datetime.timedelta(minutes=15),
    tz: datetime.tzinfo,
    limit: int | None = None,
) -> list[Slot]:
    """The slots of ``duration`` in ``period`` when every requirement can be met, best first.

    - A resource is free during ``available`` (the whole period when ``None``) within
      ``period``, minus its ``busy`` intervals (in any order, possibly overlapping).
    - A slot ``[start, start + duration)`` is offered when ``start`` is aligned, that is
      its wall-clock time of day in ``tz`` is a multiple of ``step`` (with 15 minutes:
      :00, :15, :30 and :45 local time; both passes of an autumn fold count), and when
      every requirement has one alternative free for the whole slot. Two alternatives
      that take turns during the slot do not meet the requirement.
    - ``chosen`` holds, for each requirement, the key of its first alternative (in the
      order given) free for the whole slot. The same resource named in two requirements
      may be chosen twice.
    - The slot's window is the longest interval containing it during which every chosen
      resource is free (free time stops at the period's bounds). The slot is ``compact``
      when it starts where its window starts or ends where it ends, leaving no gap
      before or after it in the chosen agendas.
    - Ranking: by local date in ``tz``, then compact slots first, then by start.
      ``limit`` keeps the best ones.

    Slots are in UTC. ``duration`` and ``step`` must be positive, ``requirements``
    non-empty and ``limit`` not negative (``ValueError``); a period that does not end
    after it starts has no slot.
    """
    if duration <= datetime.timedelta(0):
        raise ValueError("duration_not_positive")
    if step <= datetime.timedelta(0):
        raise ValueError("step_not_positive")
    if not requirements:
        raise ValueError("no_requirement")
    if limit is not None and limit < 0:
        raise ValueError("limit_negative")
    bounds = [(_utc(period[0]), _utc(period[1]))]
    if bounds[0][0] >= bounds[0][1] or limit == 0:
        return []

    step_us = step // MICROSECOND
    common = functools.reduce(
        _meet, (_choices(r.alternatives, bounds, duration) for r in requirements)
    )
    found: list[tuple[datetime.date, bool, Slot]] = []
    for first, last, chosen, window_start, window_end in common:
        start, day = _aligned_from(first, tz, step_us)
        while start < last:
            if limit is not None and len(found) >= limit and day != found[-1][0]:
                return _ranked(found, limit)
            end = start + duration
            compact = start == window_start or end == window_end
            found.append((day, compact, Slot(start, end, chosen, compact)))
            start, day = _aligned_from(start + MICROSECOND, tz, step_us)
    return _ranked(found, limit)


def _ranked(found: list[tuple[datetime.date, bool, Slot]], limit: int | None) -> list[Slot]:
    found.sort(key=lambda item: (item[0], not item[1], item[2].start))
    return [slot for _, _, slot in itertools.islice(found, limit)]
