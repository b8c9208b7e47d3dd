"""Free-slot search for joint appointments (no database), checked by hand and against a
minute-by-minute reference."""

import datetime
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.lib.slots import (
    Requirement,
    Resource,
    Slot,
    free_slots,
    intersect,
    normalize,
    subtract,
    weekly_windows,
)

UTC = datetime.UTC
PARIS = ZoneInfo("Europe/Paris")
MINUTE = datetime.timedelta(minutes=1)


def at(hour: int, minute: int = 0, day: int = 16, month: int = 6) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


# --- normalize, intersect, subtract -----------------------------------------------------


def test_normalize_sorts_and_merges_overlapping_touching_and_nested_intervals():
    intervals = [
        (at(14), at(15)),
        (at(9), at(10)),
        (at(10), at(11)),
        (at(9, 30), at(9, 45)),
        (at(14, 30), at(16)),
    ]
    assert normalize(intervals) == [(at(9), at(11)), (at(14), at(16))]


def test_normalize_drops_empty_and_reversed_intervals():
    assert normalize([(at(9), at(9)), (at(11), at(10))]) == []
    assert normalize([]) == []


def test_normalize_keeps_intervals_separated_by_a_gap():
    assert normalize([(at(9), at(10)), (at(10, 1), at(11))]) == [
        (at(9), at(10)),
        (at(10, 1), at(11)),
    ]


def test_normalize_returns_utc_instants():
    [(start, end)] = normalize([(at(9), at(10))])
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC
    assert (start, end) == (utc(6, 16, 7), utc(6, 16, 8))


def test_normalize_orders_by_instant_across_time_zones():
    new_york = ZoneInfo("America/New_York")
    late = datetime.datetime(2026, 6, 16, 6, tzinfo=new_york)
    assert normalize([(late, late + minutes(30)), (at(9), at(10))]) == [
        (utc(6, 16, 7), utc(6, 16, 8)),
        (utc(6, 16, 10), utc(6, 16, 10, 30)),
    ]


def test_normalize_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive_datetime"):
        normalize([(datetime.datetime(2026, 6, 16, 9), at(10))])


def test_intersect_edge_cases():
    a = normalize([(at(9), at(10)), (at(11), at(13))])
    assert intersect(a, normalize([(at(10), at(11))])) == []
    assert intersect(a, normalize([(at(11, 30), at(12))])) == normalize([(at(11, 30), at(12))])
    assert intersect(a, normalize([(at(8), at(14))])) == a
    assert intersect(a, normalize([(at(9, 30), at(11, 30))])) == normalize(
        [(at(9, 30), at(10)), (at(11), at(11, 30))]
    )
    assert intersect(a, []) == []
    assert intersect([], a) == []


def test_subtract_edge_cases():
    a = normalize([(at(9), at(12))])
    assert subtract(a, normalize([(at(8), at(9)), (at(12), at(13))])) == a
    assert subtract(a, normalize([(at(10), at(11))])) == normalize(
        [(at(9), at(10)), (at(11), at(12))]
    )
    assert subtract(a, normalize([(at(8), at(13))])) == []
    assert subtract(a, normalize([(at(9), at(12))])) == []
    assert subtract(a, normalize([(at(8), at(9, 30)), (at(11, 30), at(13))])) == normalize(
        [(at(9, 30), at(11, 30))]
    )
    assert subtract(a, []) == a
    assert subtract([], a) == []


def test_subtract_a_long_busy_interval_from_several_windows():
    a = normalize([(at(9), at(10)), (at(11), at(12)), (at(13), at(14))])
    b = normalize([(at(9, 30), at(13, 30))])
    assert subtract(a, b) == normalize([(at(9), at(9, 30)), (at(13, 30), at(14))])


# --- weekly_windows ---------------------------------------------------------------------

MORNINGS = [(weekday, datetime.time(9), datetime.time(12)) for weekday in range(7)]


@pytest.mark.parametrize(
    ("day", "offset_before", "offset_on"),
    [(datetime.date(2026, 3, 29), 1, 2), (datetime.date(2026, 10, 25), 2, 1)],
)
def test_weekly_windows_keep_wall_clock_hours_across_daylight_saving(day, offset_before, offset_on):
    eve = day - datetime.timedelta(days=1)
    windows = weekly_windows(MORNINGS, eve, day, PARIS)
    assert len(windows) == 2
    for (start, end), date, offset in zip(
        windows, (eve, day), (offset_before, offset_on), strict=True
    ):
        assert end - start == datetime.timedelta(hours=3)
        local = start.astimezone(PARIS)
        assert (local.date(), local.time()) == (date, datetime.time(9))
        assert local.utcoffset() == datetime.timedelta(hours=offset)
        assert end.astimezone(PARIS).time() == datetime.time(12)
    assert windows[1][0] == datetime.datetime.combine(day, datetime.time(9 - offset_on), tzinfo=UTC)


def test_weekly_windows_follow_the_weekdays_of_the_pattern():
    pattern = [
        (0, datetime.time(9), datetime.time(12)),
        (0, datetime.time(14), datetime.time(17)),
        (2, datetime.time(8, 30), datetime.time(12, 30)),
    ]
    windows = weekly_windows(pattern, datetime.date(2026, 6, 15), datetime.date(2026, 6, 22), PARIS)
    assert windows == normalize(
        [
            (at(9, day=15), at(12, day=15)),
            (at(14, day=15), at(17, day=15)),
            (at(8, 30, day=17), at(12, 30, day=17)),
            (at(9, day=22), at(12, day=22)),
            (at(14, day=22), at(17, day=22)),
        ]
    )


def test_weekly_windows_merge_touching_hours_and_handle_empty_ranges():
    pattern = [(1, datetime.time(9), datetime.time(12)), (1, datetime.time(12), datetime.time(13))]
    day = datetime.date(2026, 6, 16)
    assert weekly_windows(pattern, day, day, PARIS) == normalize([(at(9), at(13))])
    assert weekly_windows(pattern, day, day - datetime.timedelta(days=1), PARIS) == []
    assert weekly_windows([], day, day, PARIS) == []


def test_weekly_windows_in_the_spring_gap_read_the_time_before_the_change():
    sunday = datetime.date(2026, 3, 29)
    pattern = [
        (6, datetime.time(2, 30), datetime.time(4)),
        (6, datetime.time(2, 15), datetime.time(3)),
    ]
    assert weekly_windows(pattern, sunday, sunday, PARIS) == [(utc(3, 29, 1, 30), utc(3, 29, 2))]


def test_weekly_windows_in_the_autumn_fold_take_the_first_occurrence():
    sunday = datetime.date(2026, 10, 25)
    pattern = [(6, datetime.time(1, 30), datetime.time(2, 30))]
    assert weekly_windows(pattern, sunday, sunday, PARIS) == [
        (utc(10, 24, 23, 30), utc(10, 25, 0, 30))
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ([(0, datetime.time(12), datetime.time(9))], "window_end_before_start"),
        ([(0, datetime.time(9), datetime.time(9))], "window_end_before_start"),
        ([(0, datetime.time(18), datetime.time(0))], "window_end_before_start"),
        ([(7, datetime.time(9), datetime.time(12))], "weekday_out_of_range"),
        ([(-1, datetime.time(9), datetime.time(12))], "weekday_out_of_range"),
    ],
)
def test_weekly_windows_refuse_bad_patterns(pattern, message):
    day = datetime.date(2026, 6, 16)
    with pytest.raises(ValueError, match=message):
        weekly_windows(pattern, day, day, PARIS)


# --- free_slots on a hand-made example --------------------------------------------------

DAY = (at(0), at(0, day=17))
GP = Resource("gp", available=((at(9), at(12)),))
SOCIAL_WORKER = Resource("social", available=((at(9), at(12)),))
ROOM = Resource("room", busy=((at(11, 30), at(13)),))
AMINA = Resource("amina", available=((at(9), at(10, 15)),))
KARIM = Resource("karim", busy=((at(10), at(10, 15)),), available=((at(8), at(12)),))


def team(*interpreters: Resource) -> list[Requirement]:
    return [
        Requirement((GP,)),
        Requirement((SOCIAL_WORKER,)),
        Requirement((ROOM,)),
        Requirement(interpreters),
    ]


def summary(slots: list[Slot]) -> list[tuple[str, str, bool]]:
    return [
        (slot.start.astimezone(PARIS).strftime("%H:%M"), slot.chosen[-1], slot.compact)
        for slot in slots
    ]


def test_joint_appointment_with_one_of_two_interpreters():
    slots = free_slots(team(AMINA, KARIM), DAY, minutes(45), tz=PARIS)
    assert summary(slots) == [
        ("09:00", "amina", True),
        ("09:30", "amina", True),
        ("10:15", "karim", True),
        ("10:45", "karim", True),
        ("09:15", "amina", False),
        ("10:30", "karim", False),
    ]
    assert slots[0] == Slot(
        start=utc(6, 16, 7),
        end=utc(6, 16, 7, 45),
        chosen=("gp", "social", "room", "amina"),
        compact=True,
    )


def test_two_interpreters_taking_turns_do_not_make_a_slot():
    union = Resource("union", available=((at(9), at(10, 15)), (at(10, 15), at(12))))
    starts_with_union = {s.start for s in free_slots(team(union), DAY, minutes(45), tz=PARIS)}
    starts = {s.start for s in free_slots(team(AMINA, KARIM), DAY, minutes(45), tz=PARIS)}
    assert starts_with_union - starts == {at(9, 45), at(10)}


def test_the_first_free_interpreter_in_the_given_order_is_chosen():
    slots = free_slots(team(KARIM, AMINA), DAY, minutes(45), tz=PARIS)
    assert summary(slots) == [
        ("09:00", "karim", True),
        ("09:15", "karim", True),
        ("09:30", "amina", True),
        ("10:15", "karim", True),
        ("10:45", "karim", True),
        ("10:30", "karim", False),
    ]


def test_limit_keeps_the_best_slots():
    slots = free_slots(team(AMINA, KARIM), DAY, minutes(45), tz=PARIS, limit=3)
    assert summary(slots) == [
        ("09:00", "amina", True),
        ("09:30", "amina", True),
        ("10:15", "karim", True),
    ]
    assert free_slots(team(AMINA, KARIM), DAY, minutes(45), tz=PARIS, limit=0) == []


def test_ranking_goes_by_local_day_then_compact_then_start():
    evening = (at(22), at(2, day=17))
    room = [Requirement((Resource("room"),))]
    slots = free_slots(room, evening, minutes(60), step=minutes(30), tz=PARIS)
    assert [s.start for s in slots] == [
        at(22),
        at(22, 30),
        at(23),
        at(23, 30),
        at(1, day=17),
        at(0, day=17),
        at(0, 30, day=17),
    ]
    assert [s.compact for s in slots] == [True, False, False, False, True, False, False]
    for limit in (1, 4, 5, 7, 8):
        limited = free_slots(room, evening, minutes(60), step=minutes(30), tz=PARIS, limit=limit)
        assert limited == slots[:limit]


def test_starts_are_aligned_on_the_local_quarter_hours():
    room = [Requirement((Resource("room"),))]
    slots = free_slots(room, (at(9, 7), at(10, 20)), minutes(30), tz=PARIS)
    assert [s.start for s in slots] == [at(9, 15), at(9, 30), at(9, 45)]


def test_alignment_follows_the_wall_clock_through_the_autumn_fold():
    room = [Requirement((Resource("room"),))]
    period = (utc(10, 24, 23, 30), utc(10, 25, 2, 30))
    slots = free_slots(room, period, minutes(25), step=minutes(25), tz=PARIS)
    assert sorted(s.start for s in slots) == [
        utc(10, 24, 23, 40),
        utc(10, 25, 0, 5),
        utc(10, 25, 0, 30),
        utc(10, 25, 0, 55),
        utc(10, 25, 1, 5),
        utc(10, 25, 1, 30),
        utc(10, 25, 1, 55),
    ]


def test_alignment_follows_the_wall_clock_through_the_spring_gap():
    room = [Requirement((Resource("room"),))]
    period = (utc(3, 29, 0), utc(3, 29, 2, 30))
    slots = free_slots(room, period, minutes(25), step=minutes(25), tz=PARIS)
    assert sorted(s.start for s in slots) == [
        utc(3, 29, 0, 15),
        utc(3, 29, 0, 40),
        utc(3, 29, 1, 20),
        utc(3, 29, 1, 45),
    ]


def test_a_resource_that_is_never_available_blocks_everything():
    never = Resource("never", available=())
    assert free_slots([Requirement((never,))], DAY, minutes(30), tz=PARIS) == []


def test_busy_intervals_beyond_the_period_are_ignored():
    room = Resource("room", busy=((at(8), at(9, 30)), (at(10, 30), at(23))))
    slots = free_slots([Requirement((room,))], (at(9), at(11)), minutes(30), tz=PARIS)
    assert [(s.start, s.compact) for s in slots] == [
        (at(9, 30), True),
        (at(10), True),
        (at(9, 45), False),
    ]


def test_an_empty_period_has_no_slot():
    requirements = [Requirement((ROOM,))]
    assert free_slots(requirements, (at(10), at(10)), minutes(30), tz=PARIS) == []
    assert free_slots(requirements, (at(11), at(10)), minutes(30), tz=PARIS) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": minutes(0)}, "duration_not_positive"),
        ({"duration": minutes(-30)}, "duration_not_positive"),
        ({"step": minutes(0)}, "step_not_positive"),
        ({"step": minutes(-15)}, "step_not_positive"),
        ({"requirements": []}, "no_requirement"),
        ({"limit": -1}, "limit_negative"),
        (
            {"period": (datetime.datetime(2026, 6, 16), datetime.datetime(2026, 6, 17))},
            "naive_datetime",
        ),
    ],
)
def test_free_slots_refuses_bad_arguments(kwargs, message):
    arguments = {
        "requirements": [Requirement((ROOM,))],
        "period": DAY,
        "duration": minutes(30),
        "step": minutes(15),
        "limit": None,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        free_slots(
            arguments["requirements"],
            arguments["period"],
            arguments["duration"],
            step=arguments["step"],
            tz=PARIS,
            limit=arguments["limit"],
        )


def test_a_requirement_needs_an_alternative():
    with pytest.raises(ValueError, match="requirement_without_alternative"):
        Requirement(())


# --- Against a minute-by-minute reference -----------------------------------------------

GRID = 5
DST_EVES = {
    "Europe/Paris": [datetime.date(2026, 3, 28), datetime.date(2026, 10, 24)],
    "America/New_York": [datetime.date(2026, 3, 7), datetime.date(2026, 10, 31)],
    "Australia/Lord_Howe": [datetime.date(2026, 4, 4), datetime.date(2026, 10, 3)],
}
Minutes = list[tuple[int, int]]
SlotTuple = tuple[datetime.datetime, datetime.datetime, tuple[str, ...], bool]


@dataclass(frozen=True)
class Calendar:
    """Minutes counted from ``origin`` (UTC, the local midnight of the first day)."""

    tz: ZoneInfo
    origin: datetime.datetime
    period: tuple[int, int]
    requirements: list[list[tuple[str, Minutes | None, Minutes]]]
    duration: int
    step: int
    limit: int | None
    in_local_time: bool


def spans(draw: st.DrawFn, horizon: int, shortest: int, longest: int, count: int) -> Minutes:
    result = []
    for _ in range(draw(st.integers(0, count))):
        start = draw(st.integers(-12, horizon + 12))
        length = draw(st.integers(shortest, longest))
        result.append((start * GRID, (start + length) * GRID))
    return result


@st.composite
def calendars(
    draw: st.DrawFn,
    zones: tuple[str, ...] = ("Europe/Paris",),
    steps: tuple[int, ...] = (5, 10, 15, 30),
) -> Calendar:
    zone = draw(st.sampled_from(zones))
    tz = ZoneInfo(zone)
    day = draw(st.sampled_from([*DST_EVES[zone], datetime.date(2026, 6, 15)]))
    horizon = draw(st.integers(2, 3)) * 24 * 60 // GRID
    requirements = []
    for i in range(draw(st.integers(1, 4))):
        alternatives = []
        for j in range(draw(st.integers(1, 3))):
            available = spans(draw, horizon, 6, 150, 4) if draw(st.booleans()) else None
            alternatives.append((f"r{i}{j}", available, spans(draw, horizon, 0, 36, 6)))
        requirements.append(alternatives)
    return Calendar(
        tz=tz,
        origin=datetime.datetime.combine(day, datetime.time(), tzinfo=tz).astimezone(UTC),
        period=(
            draw(st.integers(0, horizon // 4)) * GRID,
            draw(st.integers(3 * horizon // 4, horizon)) * GRID,
        ),
        requirements=requirements,
        duration=draw(st.sampled_from([15, 30, 45, 60, 90])),
        step=draw(st.sampled_from(steps)),
        limit=draw(st.none() | st.integers(0, 6)),
        in_local_time=draw(st.booleans()),
    )


def run(calendar: Calendar) -> list[SlotTuple]:
    """The calendar given to free_slots, in UTC or in local time."""

    def interval(pair: tuple[int, int]) -> tuple[datetime.datetime, datetime.datetime]:
        start, end = (calendar.origin + minutes(minute) for minute in pair)
        if calendar.in_local_time:
            return (start.astimezone(calendar.tz), end.astimezone(calendar.tz))
        return (start, end)

    requirements = [
        Requirement(
            tuple(
                Resource(
                    key,
                    busy=tuple(map(interval, busy)),
                    available=None if available is None else tuple(map(interval, available)),
                )
                for key, available, busy in alternatives
            )
        )
        for alternatives in calendar.requirements
    ]
    slots = free_slots(
        requirements,
        interval(calendar.period),
        minutes(calendar.duration),
        step=minutes(calendar.step),
        tz=calendar.tz,
        limit=calendar.limit,
    )
    return [(slot.start, slot.end, slot.chosen, slot.compact) for slot in slots]


def reference(calendar: Calendar) -> list[SlotTuple]:
    """Every start minute of the period, checked minute by minute."""
    first, last = calendar.period
    size = last - first
    duration = calendar.duration

    def free_minutes(available: Minutes | None, busy: Minutes) -> bytes:
        free = bytearray(size)
        for start, end in [(first, last)] if available is None else available:
            for minute in range(max(start, first), min(end, last)):
                free[minute - first] = 1
        for start, end in busy:
            for minute in range(max(start, first), min(end, last)):
                free[minute - first] = 0
        return bytes(free)

    free = [
        [(key, free_minutes(available, busy)) for key, available, busy in alternatives]
        for alternatives in calendar.requirements
    ]
    found = []
    start = calendar.origin + minutes(first - 1)
    for offset in range(size - duration + 1):
        start += MINUTE
        local = start.astimezone(calendar.tz)
        if (local.hour * 60 + local.minute) % calendar.step:
            continue
        chosen = []
        for alternatives in free:
            for key, minutes_free in alternatives:
                if 0 not in minutes_free[offset : offset + duration]:
                    chosen.append((key, minutes_free))
                    break
            else:
                break
        else:
            after = offset + duration
            compact = (
                offset == 0
                or after == size
                or any(not f[offset - 1] for _, f in chosen)
                or any(not f[after] for _, f in chosen)
            )
            keys = tuple(key for key, _ in chosen)
            found.append((local.date(), not compact, start, keys, compact))
    found.sort(key=lambda item: item[:3])
    return [
        (start, start + minutes(duration), keys, compact)
        for _, _, start, keys, compact in found[: calendar.limit]
    ]


@settings(max_examples=200, deadline=None)
@given(calendars())
def test_free_slots_match_the_minute_by_minute_reference(calendar):
    assert run(calendar) == reference(calendar)


@settings(max_examples=100, deadline=None)
@given(calendars(zones=tuple(DST_EVES), steps=(7, 20, 25, 45, 50, 90)))
def test_odd_steps_and_other_zones_match_the_reference(calendar):
    assert run(calendar) == reference(calendar)


SPRING_MIDNIGHT = datetime.datetime(2026, 3, 29, tzinfo=PARIS).astimezone(UTC)


@st.composite
def interval_lists(draw: st.DrawFn) -> Minutes:
    return spans(draw, 60, -2, 12, 8)


def covered(intervals: Minutes) -> set[int]:
    return {minute for start, end in intervals for minute in range(start, end)}


def as_moments(intervals: Minutes) -> list[tuple[datetime.datetime, datetime.datetime]]:
    return [
        (
            (SPRING_MIDNIGHT + minutes(start)).astimezone(PARIS),
            (SPRING_MIDNIGHT + minutes(end)).astimezone(PARIS),
        )
        for start, end in intervals
    ]


def as_minutes(intervals: list[tuple[datetime.datetime, datetime.datetime]]) -> Minutes:
    return [
        ((start - SPRING_MIDNIGHT) // MINUTE, (end - SPRING_MIDNIGHT) // MINUTE)
        for start, end in intervals
    ]


@settings(max_examples=200, deadline=None)
@given(interval_lists(), interval_lists())
def test_interval_operations_match_sets_of_minutes(a, b):
    norm_a, norm_b = normalize(as_moments(a)), normalize(as_moments(b))
    for result in (norm_a, norm_b):
        pairs = as_minutes(result)
        assert all(start < end for start, end in pairs)
        assert all(left[1] < right[0] for left, right in itertools.pairwise(pairs))
    assert covered(as_minutes(norm_a)) == covered(a)
    assert covered(as_minutes(intersect(norm_a, norm_b))) == covered(a) & covered(b)
    assert covered(as_minutes(subtract(norm_a, norm_b))) == covered(a) - covered(b)
    assert normalize(intersect(norm_a, norm_b)) == intersect(norm_a, norm_b)
    assert normalize(subtract(norm_a, norm_b)) == subtract(norm_a, norm_b)
