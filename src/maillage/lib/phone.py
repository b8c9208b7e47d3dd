"""Phone number normalisation (French numbers in national form)."""

from __future__ import annotations

import re

__all__ = ["normalize_phone", "phone_digits_for_search"]

FRANCE = "33"
# Overseas departments dialled with a national "0" prefix from France:
# Réunion/Mayotte, Guadeloupe (and Saint-Martin, Saint-Barthélemy), Guyane,
# Martinique.
FRENCH_OVERSEAS = ("262", "590", "594", "596")
NATIONAL_SIGNIFICANT_DIGITS = 9
_NON_DIGIT = re.compile(r"\D+")
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")


def normalize_phone(text: str) -> str:
    """Normalise a phone number for storage and comparison.

    French numbers (``+33 6 12 34 56 78``, ``0033612345678``,
    ``06.12.34.56.78``, ``+33 (0)6...``) become ``"0612345678"``; the French
    overseas departments (+262, +590, +594, +596) too. Other international
    numbers become ``"+"`` followed by their digits. Anything else is returned
    as its digits (short numbers such as ``"15"``); ``""`` if there are none.
    """
    value = _TRUNK_ZERO.sub("", text.strip())
    digits = _NON_DIGIT.sub("", value)
    if not digits:
        return ""
    international = value.startswith("+")
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if international:
        for prefix in (FRANCE, *FRENCH_OVERSEAS):
            national = digits[len(prefix) :]
            if digits.startswith(prefix) and len(national) == NATIONAL_SIGNIFICANT_DIGITS:
                return "0" + national
        return "+" + digits
    if len(digits) == NATIONAL_SIGNIFICANT_DIGITS and not digits.startswith("0"):
        return "0" + digits  # leading zero forgotten: "6 12 34 56 78"
    return digits


def phone_digits_for_search(text: str) -> str:
    """Last 9 significant digits, identical for every spelling of a number."""
    return _NON_DIGIT.sub("", normalize_phone(text))[-NATIONAL_SIGNIFICANT_DIGITS:]
