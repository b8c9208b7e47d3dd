"""The small state machines of coordination (no Django): requests, goals, actions, tasks.

A request (sollicitation) waits for its first contact, is then being triaged, and is
closed with an outcome. A goal of a health project is in progress until it is reached,
abandoned or changed (replaced by another goal in the person's words); a goal that ended
may be taken up again. Actions and tasks are open until done or cancelled.
"""

from __future__ import annotations

import datetime

# --- Requests (sollicitations) ----------------------------------------------------------
WAITING = "waiting"
IN_TRIAGE = "in_triage"
CLOSED = "closed"
REQUEST_NEXT: dict[str, tuple[str, ...]] = {
    WAITING: (IN_TRIAGE, CLOSED),
    IN_TRIAGE: (CLOSED,),
    CLOSED: (),
}

# Outcomes of a request's triage; "closed" needs a written reason.
INFORMATION = "information"
REFERRAL = "referral"
PROJECT = "project"
COLLECTIVE = "collective"
CLOSED_WITH_REASON = "closed"
OUTCOMES = (INFORMATION, REFERRAL, PROJECT, COLLECTIVE, CLOSED_WITH_REASON)

# --- Goals of a health project ----------------------------------------------------------
IN_PROGRESS = "in_progress"
REACHED = "reached"
ABANDONED = "abandoned"
CHANGED = "changed"
GOAL_NEXT: dict[str, tuple[str, ...]] = {
    IN_PROGRESS: (REACHED, ABANDONED, CHANGED),
    REACHED: (IN_PROGRESS,),
    ABANDONED: (IN_PROGRESS,),
    CHANGED: (),
}

# --- Project actions and tasks ----------------------------------------------------------
OPEN = "open"
DONE = "done"
CANCELLED = "cancelled"
TASK_NEXT: dict[str, tuple[str, ...]] = {OPEN: (DONE, CANCELLED), DONE: (OPEN,), CANCELLED: ()}


class TransitionError(ValueError):
    """A step that the machine does not allow, or one missing what it needs (an English
    key the views translate)."""


def _check(machine: dict[str, tuple[str, ...]], current: str, new: str) -> None:
    if new not in machine.get(current, ()):
        raise TransitionError("not_allowed")


def check_request(current: str, new: str, *, outcome: str = "", note: str = "") -> None:
    _check(REQUEST_NEXT, current, new)
    if new == CLOSED:
        if outcome not in OUTCOMES:
            raise TransitionError("outcome_needed")
        if outcome == CLOSED_WITH_REASON and not note.strip():
            raise TransitionError("reason_needed")


def check_goal(current: str, new: str, *, note: str = "") -> None:
    """Abandoning or changing a goal is said in words: why, or what it became."""
    _check(GOAL_NEXT, current, new)
    if new in {ABANDONED, CHANGED} and not note.strip():
        raise TransitionError("reason_needed")


def check_task(current: str, new: str) -> None:
    _check(TASK_NEXT, current, new)


def minutes_between(start: datetime.datetime, end: datetime.datetime | None) -> int | None:
    """Whole minutes from ``start`` to ``end`` (never negative), or None when not yet."""
    if end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def is_past(day: datetime.date | None, today: datetime.date) -> bool:
    """A due or review date that has passed (today is not past)."""
    return day is not None and day < today
