"""The day of an appointment at the reception desk, as a small state machine.

An appointment is *expected*; the person *arrives* at the desk (their identity checked,
the record completed for a person booked by name only), then *waits* in the waiting room
until a member calls them *in consultation*; once the consultation ends they are *seen*.
A person who never comes is a *no-show*; an appointment called off before it happens is
*cancelled*. A mistake at the desk can be undone one step back (arrived → expected,
waiting → arrived, in consultation → waiting), which keeps the waiting times honest.

Waiting time is counted from arrival to the call into consultation, or to now while the
person still waits.
"""

from __future__ import annotations

import datetime

EXPECTED = "expected"
ARRIVED = "arrived"
WAITING = "waiting"
IN_CONSULTATION = "in_consultation"
SEEN = "seen"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

STATUSES = (EXPECTED, ARRIVED, WAITING, IN_CONSULTATION, SEEN, NO_SHOW, CANCELLED)
# The person is in the building: reception sees them at a glance.
PRESENT = frozenset({ARRIVED, WAITING, IN_CONSULTATION})
# Nothing more happens to the appointment (but a mistake may still be undone).
FINAL = frozenset({SEEN, NO_SHOW, CANCELLED})
# The appointment still holds its members, room and interpreter.
HOLDING = frozenset({EXPECTED, ARRIVED, WAITING, IN_CONSULTATION, SEEN})

NEXT: dict[str, frozenset[str]] = {
    EXPECTED: frozenset({ARRIVED, WAITING, IN_CONSULTATION, NO_SHOW, CANCELLED}),
    ARRIVED: frozenset({WAITING, IN_CONSULTATION, SEEN, EXPECTED}),
    WAITING: frozenset({IN_CONSULTATION, SEEN, ARRIVED}),
    IN_CONSULTATION: frozenset({SEEN, WAITING}),
    SEEN: frozenset({IN_CONSULTATION}),
    NO_SHOW: frozenset({EXPECTED, ARRIVED}),
    CANCELLED: frozenset(),
}


class TransitionError(ValueError):
    """The appointment cannot go from its status to the one asked for."""


def check_status(current: str, new: str) -> None:
    if new not in NEXT.get(current, frozenset()):
        raise TransitionError(f"{current} → {new}")


def waited(
    arrived_at: datetime.datetime | None,
    called_at: datetime.datetime | None,
    now: datetime.datetime,
) -> datetime.timedelta | None:
    """How long the person waited (or has been waiting) since they arrived."""
    if arrived_at is None:
        return None
    end = called_at or now
    return max(end - arrived_at, datetime.timedelta(0))


def overlaps(
    start: datetime.datetime,
    end: datetime.datetime,
    other_start: datetime.datetime,
    other_end: datetime.datetime,
) -> bool:
    """Two half-open periods [start, end) share at least a minute."""
    return start < other_end and other_start < end
