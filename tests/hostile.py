"""Hostile values, shared by the tests that post them (tests/core/test_hostile_input.py,
test_robustness.py, test_form_fuzz.py and a few of the apps' own)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import hypothesis
from hypothesis import HealthCheck, settings

MARKUP = "<script>alert(1)</script>"
# Closes an attribute, then runs code in an element of its own.
ATTRIBUTE_MARKUP = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE core_user; --"
TEMPLATE = "{{ 7*7 }}{% debug %}"

# Every value a field of any kind is posted.
HOSTILE = [
    "",
    "x" * 60_000,
    "\x00",
    "a\x00b",
    "\x1b[31m\x07",
    MARKUP,
    "'; DROP TABLE people_person;--",
    "99999999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "２０２６-１１-２４",
    "31/02/2026",
    "\u202eevil",
    "%s%s%n{0}",
]
# Also posted one field at a time (the others left empty), where one bad value could hide
# behind another field's error.
ONE_BY_ONE = ["99999999999999999999999", "\x00", MARKUP]

# Odd, but short, strings: for search boxes and the fields of one form.
ODD_STRINGS = [
    "x" * 500,
    "' OR 1=1; --",
    MARKUP,
    "\x00",
    "🙂 👩‍⚕️ \u202eevil",
    "١٢/٠٣/١٩٨٥",  # Arabic-Indic digits
    "²³",
    "00/00/0000",
]
HUGE = "9" * 30  # no database holds it as an integer

# --- For the form fuzzer (tests/core/test_form_fuzz.py) ----------------------------------

SCRIPT_URL = "javascript:alert(1)"
INJECTIONS = [MARKUP, ATTRIBUTE_MARKUP, SQL, TEMPLATE, SCRIPT_URL]
MARKUPS = [MARKUP, ATTRIBUTE_MARKUP]
# Where a "next" field may try to send the browser.
ELSEWHERE_URLS = ["https://evil.example/", "//evil.example/", "/\\evil.example/", SCRIPT_URL]
HUGE_TEXT = "x" * 100_000
# Control and formatting characters (no lone surrogate: a request cannot carry one).
CONTROL = ["\x00", "a\x00b", "\x01\x02", "\x1b[31m\x07", "\u202eevil", "\ufeff", "\x7f", "\u2028"]
# Bytes that are not UTF-8 (an encoded lone surrogate among them): a request may carry them.
NOT_UTF8 = b"\xff\xfe\xed\xa0\x80abc"
TEXT_HOSTILE = [
    *HOSTILE,
    *INJECTIONS,
    *CONTROL,
    *ELSEWHERE_URLS,
    HUGE_TEXT,
    "é" * 300,
    "  ",
    "\r\n\t",
]
HUGE_NUMBER = str(10**30)
WRONG_NUMBERS = [
    "abc",
    "1e309",
    "NaN",
    "inf",
    "-1",
    "0",
    HUGE_NUMBER,
    "-" + HUGE_NUMBER,
    HUGE,
    str(2**63),
    str(2**31),
    "1.5",
    "1,5",
    "0x10",
    "２",
    "",
    " ",
]
IMPOSSIBLE_DATES = [
    "2024-02-30",
    "0000-01-01",
    "99999-01-01",
    "demain",
    "0001-01-01",  # valid, but the first day there is: a day before it is not
    "9999-12-31",  # valid, but the last day there is: a day after it is not
    "31/02/2026",
    "2026-13-01",
    "1900-01-01",
    "",
]
IMPOSSIBLE_TIMES = ["25:61", "24:00", "demain", "-1:00", "12:00:99", "9" * 20, ""]
# Django refuses a body bigger than DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB).
TEN_MEGABYTES = 10 * 1024 * 1024


_SCRIPT_LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def unescaped_markup(html: str) -> list[str]:
    """The posted markup that came back as markup (not as text) in ``html``, or as a link
    that runs a script."""
    found = [m for m in ("<script>alert(1)", "<img src=x onerror=alert(1)>") if m in html]
    return found + [match.group(0) for match in _SCRIPT_LINK.finditer(html)]


# --- For the API fuzzers (tests/api/test_api_fuzz.py, tests/fhir/test_fuzz.py) ----------


def fuzzing(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings of the API fuzzers: ``examples`` generated cases, the same ones
    at every run (no flaky failure); ``API_FUZZ_EXAMPLES`` and ``API_FUZZ_SEED`` ask for a
    deeper or a different run."""
    seed = os.environ.get("API_FUZZ_SEED")
    config = settings(
        max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", examples)),
        derandomize=seed is None,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def apply(test: Callable[..., None]) -> Callable[..., None]:
        test = config(test)
        return hypothesis.seed(int(seed))(test) if seed is not None else test

    return apply
