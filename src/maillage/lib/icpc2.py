"""ICPC-2 (CISP-2 in French) codes: a chapter letter and two digits (no Django).

A code is a chapter (the body system, or Z for social problems) and a component:
01–29 symptoms and complaints, 30–69 process (examinations, treatment, results,
administrative, referral), 70–99 diagnoses. Free text is always allowed beside a code.
"""

from __future__ import annotations

import re

CHAPTERS = "ABDFHKLNPRSTUWXYZ"
CODE_RE = re.compile(rf"^[{CHAPTERS}](0[1-9]|[1-9]\d)$")
COMPONENTS = (
    ("symptoms", 1, 29),
    ("diagnostic", 30, 49),
    ("treatment", 50, 59),
    ("results", 60, 61),
    ("administrative", 62, 62),
    ("referral", 63, 69),
    ("diagnosis", 70, 99),
)


def is_icpc2_code(code: str) -> bool:
    return bool(CODE_RE.match(code.strip().upper()))


def component(code: str) -> str:
    """Which component of the classification a valid code belongs to."""
    number = int(code.strip()[1:3])
    for name, low, high in COMPONENTS:
        if low <= number <= high:
            return name
    raise ValueError(code)


def normalise_codes(text: str) -> list[str]:
    """ "r05, a03 ;T90" → ["R05", "A03", "T90"]; raises ValueError(code) on a wrong one."""
    codes: list[str] = []
    for raw in re.split(r"[\s,;]+", text.strip()):
        if not raw:
            continue
        code = raw.upper().replace(".", "")
        if not is_icpc2_code(code):
            raise ValueError(raw)
        if code not in codes:
            codes.append(code)
    return codes
