"""French NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale").

A NIR has 13 characters followed by a 2-digit control key:

    S YY MM DD CCC NNN KK
    | |  |  |  |   |   +-- key = 97 - (first 13 digits mod 97)
    | |  |  |  |   +------ order number
    | |  |  |  +---------- commune (or country code when born abroad)
    | |  |  +------------- department (2A/2B for Corsica, 99 abroad)
    | |  +---------------- birth month (20-42 and 50-99: unknown month)
    | +------------------- last two digits of the birth year
    +--------------------- 1 male, 2 female, 7/8 temporary number

For Corsica, "2A" is replaced by 19 and "2B" by 18 when computing the key.

Problems are reported as stable codes, never as display text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypedDict

from stdnum.fr import nir as stdnum_nir

__all__ = [
    "NirCheck",
    "NirHints",
    "check_nir",
    "clean_nir",
    "nir_birth_hints",
    "nir_consistency",
]

NIR_LENGTH = 15

# Leading digit: 1/2 = registered person (male/female), 3/4 = historical
# numbers for people being registered, 7/8 = temporary numbers (NIA/NTT).
_VALID_FIRST_DIGITS = frozenset("123478")
_SEX_BY_FIRST_DIGIT = {"1": "M", "2": "F"}
_SEPARATORS = re.compile(r"[\s.\-]+")
_FORMAT = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$")


def clean_nir(value: str) -> str:
    """Remove spaces, dots and dashes; uppercase (Corsica 2A/2B)."""
    return _SEPARATORS.sub("", value).upper()


@dataclass(frozen=True)
class NirCheck:
    """Result of :func:`check_nir`.

    ``problem`` is ``None`` when valid, otherwise one of ``"length"``,
    ``"format"`` or ``"key"``. ``expected_key``/``given_key`` are only set for
    ``"key"`` problems. ``nir`` is the cleaned input.
    """

    valid: bool
    problem: str | None
    expected_key: str | None
    given_key: str | None
    nir: str


def _month_is_known(month: str) -> bool:
    return month.isdigit() and 1 <= int(month) <= 12


def check_nir(value: str) -> NirCheck:
    """Check a 15-character NIR (13 characters + 2-digit key)."""
    nir = clean_nir(value)
    if len(nir) != NIR_LENGTH:
        return NirCheck(False, "length", None, None, nir)
    if not _FORMAT.match(nir) or nir[0] not in _VALID_FIRST_DIGITS:
        return NirCheck(False, "format", None, None, nir)
    expected = stdnum_nir.calc_check_digits(nir)
    given = nir[13:]
    if expected != given:
        return NirCheck(False, "key", expected, given, nir)
    return NirCheck(True, None, None, None, nir)


def nir_consistency(
    nir: str,
    *,
    sex: str | None,
    birth_year: int | None,
    birth_month: int | None,
) -> list[str]:
    """Compare a valid NIR with the declared traits.

    Returns codes among ``"nir_sex_mismatch"``, ``"nir_year_mismatch"`` and
    ``"nir_month_mismatch"``. Checks are skipped when a trait is unknown, for
    temporary numbers (sex), for sex ``"I"`` (indeterminate) and for NIRs whose
    month is not a real month (20-42, 50-99). An invalid NIR yields ``[]``:
    call :func:`check_nir` first.
    """
    checked = check_nir(nir)
    if not checked.valid:
        return []
    number = checked.nir
    problems: list[str] = []
    nir_sex = _SEX_BY_FIRST_DIGIT.get(number[0])
    declared_sex = (sex or "").strip().upper()
    if nir_sex and declared_sex in ("M", "F") and declared_sex != nir_sex:
        problems.append("nir_sex_mismatch")
    if birth_year is not None and int(number[1:3]) != birth_year % 100:
        problems.append("nir_year_mismatch")
    month = number[3:5]
    if birth_month is not None and _month_is_known(month) and int(month) != birth_month:
        problems.append("nir_month_mismatch")
    return problems


class NirHints(TypedDict):
    """Birth information readable from a NIR (for prefilling forms)."""

    sex: str | None  # "M", "F" or None (temporary or unusual number)
    yy: str  # last two digits of the birth year
    mm: str | None  # "01".."12", None when the month is unknown
    department: str  # "75", "2A", "971", "99" (born abroad)...
    commune: str  # commune code within the department, or country code
    born_abroad: bool


def nir_birth_hints(nir: str) -> NirHints:
    """Split a valid NIR into its birth parts. Raises ``ValueError("nir_invalid")``."""
    checked = check_nir(nir)
    if not checked.valid:
        raise ValueError("nir_invalid")
    number = checked.nir
    month = number[3:5]
    department, commune = number[5:7], number[7:10]
    if department in ("97", "98"):
        # Overseas: 3-digit department, 2-digit commune.
        department, commune = number[5:8], number[8:10]
    return NirHints(
        sex=_SEX_BY_FIRST_DIGIT.get(number[0]),
        yy=number[1:3],
        mm=month if _month_is_known(month) else None,
        department=department,
        commune=commune,
        born_abroad=department == "99",
    )
