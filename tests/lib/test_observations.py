from decimal import Decimal

import pytest

from maillage.lib import observations as obs


@pytest.mark.parametrize(("text", "value"), [("72,5", "72.5"), (" 72.5 ", "72.5"), (80, "80")])
def test_it_reads_french_decimals(text, value):
    assert obs.parse_value(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "NaN", "inf", "7,2,1"])
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(obs.ObservationError):
        obs.parse_value(text)


def test_it_rounds_to_the_kind_precision():
    assert obs.check("weight", Decimal("72.46")) == (Decimal("72.5"), None)
    assert obs.check("height", Decimal("171.6")) == (Decimal("172"), None)


@pytest.mark.parametrize(
    ("kind", "value", "second", "code"),
    [
        ("weight", "700", None, "out_of_range"),
        ("temperature", "3.7", None, "out_of_range"),
        ("capillary_glucose", "6.5", None, "out_of_range"),  # mmol/L typed for g/L
        ("blood_pressure", "130", None, "second_value_missing"),
        ("blood_pressure", "130", "140", "diastolic_not_below_systolic"),
        ("blood_pressure", "130", "10", "second_out_of_range"),
        ("weight", "70", "3", "unexpected_second_value"),
        ("shoe_size", "42", None, "unknown_kind"),
    ],
)
def test_it_refuses_implausible_values(kind, value, second, code):
    with pytest.raises(obs.ObservationError) as error:
        obs.check(kind, Decimal(value), Decimal(second) if second else None)
    assert error.value.args[0] == code


def test_blood_pressure_keeps_both_values():
    assert obs.check("blood_pressure", Decimal(135), Decimal(85)) == (Decimal(135), Decimal(85))


def test_bmi():
    assert obs.bmi(Decimal(70), Decimal(175)) == Decimal("22.9")
    assert obs.bmi(Decimal(70), Decimal(0)) is None
    assert obs.bmi(Decimal(400), Decimal(50)) is None
