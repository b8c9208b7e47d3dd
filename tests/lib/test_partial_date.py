from datetime import date

import pytest

from maillage.lib.partial_date import PartialDate, date_similarity, parse_partial_date

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    "text",
    [
        "12/03/1985",
        "12-03-1985",
        "12.03.1985",
        "12 03 1985",
        "1985-03-12",
        "12031985",
        " 12/3/1985 ",
    ],
)
def test_it_parses_full_french_and_iso_dates(text):
    assert parse_partial_date(text, TODAY) == PartialDate(1985, 3, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/1985", PartialDate(1985, 3)),
        ("1985-03", PartialDate(1985, 3)),
        ("00/03/1985", PartialDate(1985, 3)),
        ("00/00/1985", PartialDate(1985)),
        ("1985", PartialDate(1985)),
        ("00/1985", PartialDate(1985)),
    ],
)
def test_it_parses_partial_dates_with_unknown_parts(text, expected):
    assert parse_partial_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["12/03/85", "3/85", "85", "120385"])
def test_it_refuses_two_digit_years(text):
    with pytest.raises(ValueError, match="date_two_digit_year"):
        parse_partial_date(text, TODAY)


@pytest.mark.parametrize(
    "text", ["", "hier", "12/03/85/1", "1985/03/12/01", "12/03/198", "1985-3-12-1"]
)
def test_it_refuses_unparseable_text(text):
    with pytest.raises(ValueError, match="date_unparseable"):
        parse_partial_date(text, TODAY)


@pytest.mark.parametrize("text", ["31/02/1985", "29/02/1985", "12/13/1985", "01/01/1889"])
def test_it_refuses_impossible_dates(text):
    with pytest.raises(ValueError, match="date_invalid"):
        parse_partial_date(text, TODAY)


def test_it_accepts_leap_days():
    assert parse_partial_date("29/02/1984", TODAY) == PartialDate(1984, 2, 29)


def test_it_refuses_a_known_day_with_an_unknown_month():
    with pytest.raises(ValueError, match="date_day_without_month"):
        parse_partial_date("12/00/1985", TODAY)
    with pytest.raises(ValueError, match="date_day_without_month"):
        PartialDate(1985, None, 12)


def test_it_refuses_future_dates_relative_to_today():
    with pytest.raises(ValueError, match="date_future"):
        parse_partial_date("16/06/2025", TODAY)
    with pytest.raises(ValueError, match="date_future"):
        parse_partial_date("07/2025", TODAY)
    assert parse_partial_date("15/06/2025", TODAY) == PartialDate(2025, 6, 15)
    assert parse_partial_date("2025", TODAY) == PartialDate(2025)


def test_it_refuses_future_dates_at_construction():
    with pytest.raises(ValueError, match="date_future"):
        PartialDate(date.today().year + 1)


def test_it_formats_iso_and_french():
    assert PartialDate(1985, 3, 12).iso() == "1985-03-12"
    assert PartialDate(1985, 3).iso() == "1985-03"
    assert PartialDate(1985).iso() == "1985"
    assert PartialDate(1985, 3, 2).french() == "02/03/1985"
    assert PartialDate(1985, 3).french() == "03/1985"
    assert PartialDate(1985).french() == "1985"


def test_it_round_trips_through_iso():
    for value in (PartialDate(1985, 3, 12), PartialDate(1985, 3), PartialDate(1985)):
        assert parse_partial_date(value.iso(), TODAY) == value
        assert parse_partial_date(value.french(), TODAY) == value


def test_it_gives_earliest_and_latest_possible_dates():
    assert PartialDate(1984, 2).as_date_lower() == date(1984, 2, 1)
    assert PartialDate(1984, 2).as_date_upper() == date(1984, 2, 29)
    assert PartialDate(1985).as_date_lower() == date(1985, 1, 1)
    assert PartialDate(1985).as_date_upper() == date(1985, 12, 31)
    assert PartialDate(1985, 3, 12).as_date_upper() == date(1985, 3, 12)


def test_it_computes_the_minimum_possible_age():
    assert PartialDate(1985, 3, 12).age_on(date(2025, 3, 11)) == 39
    assert PartialDate(1985, 3, 12).age_on(date(2025, 3, 12)) == 40
    # Born some time in 1985: on 2025-06-15 the person may still be 39.
    assert PartialDate(1985).age_on(TODAY) == 39
    assert PartialDate(1985, 6).age_on(date(2025, 6, 30)) == 40
    assert PartialDate(2025).age_on(date(2025, 1, 1)) == 0


def test_it_treats_a_possibly_under_18_person_as_minor():
    assert PartialDate(2007, 6, 15).is_minor_on(TODAY) is False
    assert PartialDate(2007, 6, 16).is_minor_on(TODAY) is True
    assert PartialDate(2007).is_minor_on(TODAY) is True
    assert PartialDate(2006).is_minor_on(TODAY) is False


def test_it_orders_dates_with_unknown_parts_first():
    values = [
        PartialDate(1985, 3, 12),
        PartialDate(1985),
        PartialDate(1984, 12, 31),
        PartialDate(1985, 3),
    ]
    assert sorted(values) == [
        PartialDate(1984, 12, 31),
        PartialDate(1985),
        PartialDate(1985, 3),
        PartialDate(1985, 3, 12),
    ]


def test_it_is_hashable_and_immutable():
    value = PartialDate(1985, 3, 12)
    assert {value, PartialDate(1985, 3, 12)} == {value}
    with pytest.raises(AttributeError):
        value.year = 1986  # type: ignore[misc]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (PartialDate(1985, 3, 12), PartialDate(1985, 3, 12), (1.0, "same")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 3), (0.9, "compatible_partial")),
        (PartialDate(1985), PartialDate(1985, 3, 12), (0.9, "compatible_partial")),
        (PartialDate(1985), PartialDate(1985), (0.9, "compatible_partial")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 12, 3), (0.8, "day_month_swapped")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 3, 13), (0.7, "one_digit")),
        (PartialDate(1985, 3, 12), PartialDate(1986, 3, 12), (0.7, "one_digit")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 8, 12), (0.7, "one_digit")),
        (PartialDate(1985, 3), PartialDate(1986), (0.7, "one_digit")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 4), (0.7, "one_digit")),
        (PartialDate(1985, 3, 12), PartialDate(1970, 1, 1), (0.0, "different")),
        (PartialDate(1985, 3, 12), PartialDate(1985, 5, 21), (0.0, "different")),
        (PartialDate(1985, 3), PartialDate(1985, 11), (0.0, "different")),
        (None, PartialDate(1985), (0.5, "unknown")),
        (PartialDate(1985), None, (0.5, "unknown")),
        (None, None, (0.5, "unknown")),
    ],
)
def test_it_scores_date_similarity(a, b, expected):
    assert date_similarity(a, b) == expected
    assert date_similarity(b, a) == expected
