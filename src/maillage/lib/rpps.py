"""RPPS numbers of health professionals (no Django).

An RPPS number is 11 digits whose last is a Luhn check digit. Some numbers in use do not
pass the check: a failed check is a warning to show, never a reason to refuse.
"""

from __future__ import annotations

import re

from stdnum import luhn

__all__ = ["check", "normalise"]


def normalise(text: str) -> str:
    """The number without spaces, dots or dashes."""
    return re.sub(r"[\s.\-]", "", text or "")


def check(text: str) -> str | None:
    """None when the number is well formed and its key checks; else why (an English key):
    ``not_11_digits`` (refuse) or ``bad_key`` (warn)."""
    number = normalise(text)
    if not (len(number) == 11 and number.isdigit()):
        return "not_11_digits"
    if not luhn.is_valid(number):
        return "bad_key"
    return None
