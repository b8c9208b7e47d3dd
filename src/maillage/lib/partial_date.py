"""Partial dates of birth.

French identity rules allow an unknown day or month, written ``00`` on
documents ("00/03/1985", "00/00/1985"). A :class:`PartialDate` always has a
year; the month may be unknown, and the day may only be known if the month is.

Errors are raised as ``ValueError(code)`` with stable codes:
``date_invalid``, ``date_future``, ``date_day_without_month``,
``date_two_digit_year`` and ``date_unparseable``.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "MIN_YEAR",
    "PartialDate",
    "date_similarity",
    "parse_partial_date",
]

MIN_YEAR = 1890
ADULT_AGE = 18


@functools.total_ordering
@dataclass(frozen=True)
class PartialDate:
    """A date whose month and day may be unknown (``None``).

    Ordering sorts unknown parts before known ones within the same year/month
    (``1985 < 1985-01 < 1985-01-01``); dataclass ``order=True`` is not used
    because it would compare ``None`` with ``int``.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("date_day_without_month")
        if self.year < MIN_YEAR:
            raise ValueError("date_invalid")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("date_invalid")
        if self.day is not None:
            assert self.month is not None
            if not 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]:
                raise ValueError("date_invalid")
        if self.is_after(date.today()):
            raise ValueError("date_future")

    def _sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    @property
    def is_full(self) -> bool:
        return self.day is not None

    def is_after(self, today: date) -> bool:
        """True if even the earliest possible date is after ``today``."""
        return self.as_date_lower() > today

    def iso(self) -> str:
        """``"1985-03-12"``, ``"1985-03"`` or ``"1985"``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def french(self) -> str:
        """``"12/03/1985"``, ``"03/1985"`` or ``"1985"``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text = f"{self.month:02d}/{text}"
        if self.day is not None:
            text = f"{self.day:02d}/{text}"
        return text

    def as_date_lower(self) -> date:
        """Earliest possible date."""
        return date(self.year, self.month or 1, self.day or 1)

    def as_date_upper(self) -> date:
        """Latest possible date."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def age_on(self, on: date) -> int:
        """Minimum possible age in whole years on ``on`` (never negative)."""
        birth = self.as_date_upper()
        age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
        return max(age, 0)

    def is_minor_on(self, on: date) -> bool:
        """True if the person may be under 18 on ``on`` (conservative)."""
        return self.age_on(on) < ADULT_AGE


_SEP = r"[/.\- ]"
_DMY = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})$")
_MY = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{4}})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_YEAR = re.compile(r"^\d{4}$")
_COMPACT_DMY = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_TWO_DIGIT_YEAR = re.compile(rf"^(?:\d{{1,2}}{_SEP}){{1,2}}\d{{2}}$|^\d{{6}}$|^\d{{2}}$")


def _build(year: str, month: str | None, day: str | None, today: date) -> PartialDate:
    month_value = int(month) if month else 0
    day_value = int(day) if day else 0
    result = PartialDate(
        int(year),
        month_value or None,
        day_value or None,
    )
    if result.is_after(today):
        raise ValueError("date_future")
    return result


def parse_partial_date(text: str, today: date | None = None) -> PartialDate:
    """Parse a French date of birth typed by a user.

    Accepted: ``12/03/1985`` (also ``-``, ``.`` or space as separator),
    ``12031985``, ``1985-03-12`` / ``1985-03`` (ISO), ``03/1985``, ``1985``,
    and ``00`` for unknown parts (``00/03/1985``, ``00/00/1985``).
    Two-digit years are refused as ambiguous (``date_two_digit_year``).
    """
    today = today or date.today()
    value = text.strip()
    if match := _ISO.match(value):
        return _build(match[1], match[2], match[3], today)
    if match := _DMY.match(value) or _COMPACT_DMY.match(value):
        return _build(match[3], match[2], match[1], today)
    if match := _MY.match(value):
        return _build(match[2], match[1], None, today)
    if _YEAR.match(value):
        return _build(value, None, None, today)
    if _TWO_DIGIT_YEAR.match(value):
        raise ValueError("date_two_digit_year")
    raise ValueError("date_unparseable")


def _digits(value: PartialDate, other: PartialDate) -> tuple[str, str]:
    """Digits of the parts known in both dates, aligned for comparison."""
    left, right = f"{value.year:04d}", f"{other.year:04d}"
    if value.month is not None and other.month is not None:
        left += f"{value.month:02d}"
        right += f"{other.month:02d}"
    if value.day is not None and other.day is not None:
        left += f"{value.day:02d}"
        right += f"{other.day:02d}"
    return left, right


def _compatible(a: PartialDate, b: PartialDate) -> bool:
    return (
        a.year == b.year
        and (a.month is None or b.month is None or a.month == b.month)
        and (a.day is None or b.day is None or a.day == b.day)
    )


def date_similarity(a: PartialDate | None, b: PartialDate | None) -> tuple[float, str]:
    """Compare two dates of birth; returns ``(similarity, code)``.

    Codes: ``same`` (1.0, identical full dates), ``compatible_partial`` (0.9,
    at least one is partial and nothing known disagrees), ``day_month_swapped``
    (0.8), ``one_digit`` (0.7, a single digit differs among the parts known in
    both), ``different`` (0.0) and ``unknown`` (0.5, a date is missing).
    """
    if a is None or b is None:
        return 0.5, "unknown"
    if a.is_full and a == b:
        return 1.0, "same"
    if _compatible(a, b):
        return 0.9, "compatible_partial"
    if a.is_full and b.is_full and a.year == b.year and a.day == b.month and a.month == b.day:
        return 0.8, "day_month_swapped"
    left, right = _digits(a, b)
    if sum(x != y for x, y in zip(left, right, strict=True)) == 1:
        return 0.7, "one_digit"
    return 0.0, "different"
