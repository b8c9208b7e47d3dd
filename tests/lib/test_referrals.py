import datetime

import pytest

from maillage.lib import referrals as r


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (r.PROPOSED, r.AGREED),
        (r.AGREED, r.SENT),
        (r.SENT, r.RECEIVED),
        (r.SENT, r.APPOINTMENT),
        (r.RECEIVED, r.APPOINTMENT),
        (r.RECEIVED, r.DONE),
        (r.APPOINTMENT, r.DONE),
    ],
)
def test_the_path(current, new):
    r.check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (r.PROPOSED, r.SENT),
        (r.DONE, r.SENT),
        (r.NOT_DONE, r.AGREED),
        (r.AGREED, r.DONE),
        ("x", r.SENT),
    ],
)
def test_steps_off_the_path(current, new):
    with pytest.raises(r.TransitionError, match="not_allowed"):
        r.check_transition(current, new)


def test_not_done_needs_a_reason():
    with pytest.raises(r.TransitionError, match="reason_needed"):
        r.check_transition(r.SENT, r.NOT_DONE, reason="  ")
    r.check_transition(r.SENT, r.NOT_DONE, reason="Plus de places")


def test_overdue_only_when_waiting_on_someone_else():
    now = datetime.datetime(2026, 11, 24, 12)
    ten_days = now - datetime.timedelta(days=10)
    assert r.is_overdue(r.SENT, ten_days, now, 7)
    assert not r.is_overdue(r.SENT, now - datetime.timedelta(days=6), now, 7)
    assert not r.is_overdue(r.PROPOSED, ten_days, now, 7)
    assert not r.is_overdue(r.DONE, ten_days, now, 7)


def test_response_time_from_sending_to_the_first_answer():
    import datetime as dt

    from maillage.lib.referrals import response_time

    t0 = dt.datetime(2026, 11, 2, 9, 0)
    steps = [
        ("appointment_set", t0 + dt.timedelta(days=5)),
        ("proposed", t0 - dt.timedelta(days=1)),
        ("sent", t0),
        ("received", t0 + dt.timedelta(days=2)),
    ]
    assert response_time(steps) == dt.timedelta(days=2)
    assert response_time(steps[1:3]) is None  # sent, no answer yet
    assert response_time([("received", t0)]) is None  # never sent
