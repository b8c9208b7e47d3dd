"""Opening hours evaluated by opening-hours-py, with French public holidays."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from maillage.territory import hours

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
WEEKDAYS = "Mo-Fr 09:00-12:00; Sa 09:00-12:00; PH off"


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        (WEEKDAYS, "2026-11-28 10:00", True),  # a Saturday morning
        (WEEKDAYS, "2026-11-28 12:00", False),  # closes at noon sharp
        (WEEKDAYS, "2026-11-27 08:59", False),
        (WEEKDAYS, "2026-12-25 10:00", False),  # Christmas, a public holiday
        (WEEKDAYS, "2026-07-14 10:00", False),  # Bastille Day
        ("Mo-Su 22:00-02:00", "2026-11-24 00:00", True),  # across midnight
        ("Mo-Su 22:00-02:00", "2026-11-24 02:00", False),
        ("24/7", "2026-11-24 03:00", True),
    ],
)
def test_open_at(expression, moment, expected):
    assert hours.is_open(expression, at(moment)) is expected


def test_an_aware_time_is_read_at_the_paris_wall_clock():
    utc = datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.UTC)  # 10:30 in Paris
    assert hours.is_open(WEEKDAYS, utc) is True


@pytest.mark.parametrize("expression", ["", "Lu-Ve 9h-12h", "n'importe quoi"])
def test_unknown_or_invalid_hours_are_not_known(expression):
    assert hours.is_open(expression, at("2026-11-28 10:00")) is None
    assert not hours.is_valid(expression) or expression == ""


def test_next_change():
    assert hours.next_change(WEEKDAYS, at("2026-11-28 10:00")) == datetime.datetime(
        2026, 11, 28, 12, 0
    )
