"""The path of a referral (orientation) and its loop closure (no Django).

proposed → agreed (by the person) → sent → received → appointment set → done; any open
step may end as "not done", with a reason. A referral waiting on someone else (sent,
received, appointment set) with no news for a while is overdue.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

PROPOSED = "proposed"
AGREED = "agreed"
SENT = "sent"
RECEIVED = "received"
APPOINTMENT = "appointment_set"
DONE = "done"
NOT_DONE = "not_done"

STATUSES = (PROPOSED, AGREED, SENT, RECEIVED, APPOINTMENT, DONE, NOT_DONE)
CLOSED = frozenset({DONE, NOT_DONE})
WAITING = frozenset({SENT, RECEIVED, APPOINTMENT})
NEXT: dict[str, tuple[str, ...]] = {
    PROPOSED: (AGREED, NOT_DONE),
    AGREED: (SENT, NOT_DONE),
    SENT: (RECEIVED, APPOINTMENT, NOT_DONE),
    RECEIVED: (APPOINTMENT, DONE, NOT_DONE),
    APPOINTMENT: (DONE, NOT_DONE),
    DONE: (),
    NOT_DONE: (),
}


class TransitionError(ValueError):
    """A step the path does not allow, or one missing what it needs (an English key)."""


def check_transition(current: str, new: str, *, reason: str = "") -> None:
    if new not in NEXT.get(current, ()):
        raise TransitionError("not_allowed")
    if new == NOT_DONE and not reason.strip():
        raise TransitionError("reason_needed")


def is_overdue(
    status: str, last_news: datetime.datetime, now: datetime.datetime, days: int
) -> bool:
    """Waiting on someone else with no news for ``days`` days."""
    return status in WAITING and now - last_news >= datetime.timedelta(days=days)


# The receiver's first sign of life after the referral was sent.
ANSWERS = frozenset({RECEIVED, APPOINTMENT, DONE})


def response_time(
    steps: Iterable[tuple[str, datetime.datetime]],
) -> datetime.timedelta | None:
    """From the first "sent" step to the receiver's first answer (received, appointment
    set or done); None while no answer came, or if it was never sent."""
    sent = None
    for status, at in sorted(steps, key=lambda step: step[1]):
        if status == SENT and sent is None:
            sent = at
        elif status in ANSWERS and sent is not None:
            return at - sent
    return None
