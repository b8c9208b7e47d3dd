"""The goals of a health project, and the actions that serve them (lib/coordination.py)."""

import pytest

from maillage.lib import coordination as c


@pytest.mark.parametrize(
    ("current", "new", "note"),
    [
        (c.IN_PROGRESS, c.REACHED, ""),
        (c.IN_PROGRESS, c.ABANDONED, "Elle ne le souhaite plus"),
        (c.IN_PROGRESS, c.CHANGED, "Dit autrement"),
        (c.REACHED, c.IN_PROGRESS, ""),
        (c.ABANDONED, c.IN_PROGRESS, ""),
    ],
)
def test_the_goal_moves_on(current, new, note):
    c.check_goal(current, new, note=note)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (c.IN_PROGRESS, c.IN_PROGRESS),
        (c.REACHED, c.ABANDONED),
        (c.REACHED, c.CHANGED),
        (c.ABANDONED, c.REACHED),
        (c.CHANGED, c.IN_PROGRESS),  # a changed goal lives on in the goal that replaced it
        (c.CHANGED, c.REACHED),
        ("nonsense", c.REACHED),
        (c.IN_PROGRESS, "nonsense"),
    ],
)
def test_steps_the_goal_machine_does_not_allow(current, new):
    with pytest.raises(c.TransitionError, match="not_allowed"):
        c.check_goal(current, new, note="une raison")


@pytest.mark.parametrize("new", [c.ABANDONED, c.CHANGED])
@pytest.mark.parametrize("note", ["", "   ", "\n"])
def test_abandoning_or_changing_is_said_in_words(new, note):
    with pytest.raises(c.TransitionError, match="reason_needed"):
        c.check_goal(c.IN_PROGRESS, new, note=note)


def test_a_goal_reached_or_taken_up_again_needs_no_note():
    c.check_goal(c.IN_PROGRESS, c.REACHED)
    c.check_goal(c.REACHED, c.IN_PROGRESS)


def test_a_transition_error_is_a_value_error():
    assert issubclass(c.TransitionError, ValueError)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (c.OPEN, c.DONE, True),
        (c.OPEN, c.CANCELLED, True),
        (c.DONE, c.OPEN, True),
        (c.CANCELLED, c.OPEN, False),
        (c.DONE, c.CANCELLED, False),
        (c.OPEN, c.OPEN, False),
    ],
)
def test_actions_are_done_cancelled_or_to_do_again(current, new, allowed):
    if allowed:
        c.check_task(current, new)
    else:
        with pytest.raises(c.TransitionError):
            c.check_task(current, new)
