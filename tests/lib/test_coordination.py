"""The state machines of requests and tasks (no database)."""

import datetime

import pytest

from maillage.lib import coordination as c


@pytest.mark.parametrize(
    ("current", "new"),
    [(c.WAITING, c.IN_TRIAGE), (c.WAITING, c.CLOSED), (c.IN_TRIAGE, c.CLOSED)],
)
def test_the_path_of_a_request(current, new):
    c.check_request(current, new, outcome=c.INFORMATION)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (c.IN_TRIAGE, c.WAITING),
        (c.IN_TRIAGE, c.IN_TRIAGE),
        (c.CLOSED, c.IN_TRIAGE),
        (c.CLOSED, c.WAITING),
        (c.CLOSED, c.CLOSED),
        (c.WAITING, "nonsense"),
        ("nonsense", c.CLOSED),
    ],
)
def test_steps_off_the_path_of_a_request(current, new):
    with pytest.raises(c.TransitionError, match="not_allowed"):
        c.check_request(current, new, outcome=c.INFORMATION, note="x")


@pytest.mark.parametrize("outcome", c.OUTCOMES)
def test_every_outcome_closes_a_request(outcome):
    c.check_request(c.IN_TRIAGE, c.CLOSED, outcome=outcome, note="Plus de nouvelles")


def test_closing_needs_an_outcome():
    with pytest.raises(c.TransitionError, match="outcome_needed"):
        c.check_request(c.IN_TRIAGE, c.CLOSED)
    with pytest.raises(c.TransitionError, match="outcome_needed"):
        c.check_request(c.IN_TRIAGE, c.CLOSED, outcome="whatever")


def test_closed_with_a_reason_needs_the_reason_in_words():
    with pytest.raises(c.TransitionError, match="reason_needed"):
        c.check_request(c.WAITING, c.CLOSED, outcome=c.CLOSED_WITH_REASON, note="   \n")
    c.check_request(c.WAITING, c.CLOSED, outcome=c.CLOSED_WITH_REASON, note="Doublon")
    # Other outcomes do not need a note.
    c.check_request(c.WAITING, c.CLOSED, outcome=c.COLLECTIVE)


@pytest.mark.parametrize(
    ("current", "new"), [(c.OPEN, c.DONE), (c.OPEN, c.CANCELLED), (c.DONE, c.OPEN)]
)
def test_the_path_of_a_task(current, new):
    c.check_task(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (c.CANCELLED, c.OPEN),
        (c.CANCELLED, c.DONE),
        (c.DONE, c.CANCELLED),
        (c.DONE, c.DONE),
        (c.OPEN, c.OPEN),
        (c.OPEN, "nonsense"),
    ],
)
def test_steps_off_the_path_of_a_task(current, new):
    with pytest.raises(c.TransitionError):
        c.check_task(current, new)


def test_minutes_between():
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    assert c.minutes_between(start, None) is None
    assert c.minutes_between(start, start + datetime.timedelta(minutes=90, seconds=59)) == 90
    assert c.minutes_between(start, start - datetime.timedelta(hours=1)) == 0


def test_is_past():
    today = datetime.date(2026, 3, 2)
    assert c.is_past(datetime.date(2026, 3, 1), today)
    assert not c.is_past(today, today)
    assert not c.is_past(None, today)
