from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillage.lib import epices

ALL_NO = dict.fromkeys(epices.CODES, False)


def test_the_published_extremes():
    most = {**ALL_NO, "social_worker": True, "financial_difficulties": True}
    assert epices.score(most) == Decimal("100.00")
    least = {code: code not in {"social_worker", "financial_difficulties"} for code in epices.CODES}
    assert epices.score(least) == Decimal("0.00")
    assert epices.score(ALL_NO) == Decimal("75.14")


def test_mixed_answers_against_the_formula():
    answers = {
        **ALL_NO,
        "social_worker": True,  # +10.06
        "couple": True,  # -8.28
        "holidays": True,  # -7.10
        "someone_to_help": True,  # -7.10
    }
    assert epices.score(answers) == Decimal("62.72")  # 75.14 + 10.06 - 8.28 - 7.10 - 7.10
    assert epices.is_precarious(epices.score(answers))


def test_the_threshold():
    assert epices.is_precarious(Decimal("30.17"))
    assert not epices.is_precarious(Decimal("30.16"))


@given(st.fixed_dictionaries({code: st.booleans() for code in epices.CODES}))
def test_always_between_0_and_100(answers):
    value = epices.score(answers)
    assert Decimal(0) <= value <= Decimal(100)
    expected = epices.INTERCEPT + sum(
        (q.coefficient for q in epices.QUESTIONS if answers[q.code]), Decimal(0)
    )
    assert value == expected


def test_every_question_must_be_answered():
    partial = dict(ALL_NO)
    del partial["sport"]
    partial["show"] = None
    with pytest.raises(epices.Incomplete) as caught:
        epices.score(partial)
    assert caught.value.missing == ["sport", "show"]
    with pytest.raises(ValueError):
        epices.score({**ALL_NO, "pets": True})
