"""Likely-duplicate scoring between two identities.

:func:`score` adds signed contributions (points) from each trait and clamps
the total to 0..100. Every contribution is reported with a stable code in
:attr:`Match.reasons`, so the interface can explain the score.

Contributions:

* names (0..55): names are compared with rapidfuzz ratios, raised to 92 when
  their French phonetic keys are equal and to 90 when they are one typo
  apart. Direct comparison: birth name against birth or used name (half the
  weight), first given name against first given name, or any given name
  against any (discounted). Transposed comparison (birth name typed as given
  name and vice versa) is used, slightly discounted, when it is better.
  Codes ``names_same``, ``names_similar``, ``names_transposed``,
  ``names_different``;
* birth date: ``birth_date_same`` (+35), ``birth_date_partial`` (+25, one
  date is partial and compatible), ``birth_date_day_month_swapped`` (+25),
  ``birth_date_one_digit`` (+18), ``birth_date_different`` (-25); nothing
  when a date is missing;
* sex: ``sex_same`` (+3), ``sex_different`` (-20); ignored if unknown or "I";
* NIR (valid NIRs only): ``nir_same`` (+45), ``nir_different`` (-50). A shared
  NIR is not enough on its own: children are often registered under a
  parent's NIR;
* ``phone_same`` (+8), ``birth_place_same`` (+5).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from maillage.lib.names import normalize, phonetic, tokens
from maillage.lib.nir import check_nir
from maillage.lib.partial_date import PartialDate, date_similarity
from maillage.lib.phone import phone_digits_for_search

__all__ = ["LIKELY", "POSSIBLE", "Match", "Traits", "score"]

LIKELY = 75.0
POSSIBLE = 60.0

NAME_POINTS = 55.0
NAME_FLOOR = 40.0  # name similarity at or below which names add nothing
SURNAME_WEIGHT = 0.5
MISSING_GIVEN_NAMES_FACTOR = 0.85
PHONETIC_MATCH = 92.0  # similarity granted to phonetically equal names
TYPO_MATCH = 90.0  # similarity granted to names one typo apart
MIN_TYPO_LENGTH = 4  # shorter names one edit apart are usually different names
OTHER_GIVEN_NAME_FACTOR = 0.9  # "Marie" typed for "Anne Marie"
TRANSPOSED_FACTOR = 0.97
TRANSPOSED_MIN = 80.0  # transposition is only considered above this similarity
DATE_POINTS = {
    "same": ("birth_date_same", 35.0),
    "compatible_partial": ("birth_date_partial", 25.0),
    "day_month_swapped": ("birth_date_day_month_swapped", 25.0),
    "one_digit": ("birth_date_one_digit", 18.0),
    "different": ("birth_date_different", -25.0),
}
SEX_SAME, SEX_DIFFERENT = 3.0, -20.0
NIR_SAME, NIR_DIFFERENT = 45.0, -50.0
PHONE_SAME = 8.0
PHONE_DIGITS = 9
MIN_PHONETIC_KEY = 3  # shorter keys ("an", "ro") are too common
BIRTH_PLACE_SAME = 5.0

_GIVEN_NAME_SEPARATORS = re.compile(r"[\s,;/]+")


@dataclass(frozen=True)
class Traits:
    birth_name: str
    used_name: str = ""
    given_names: str = ""  # space or comma separated; compound names hyphenated
    birth_date: PartialDate | None = None
    sex: str = ""  # "M", "F", "I" or ""
    birth_place: str = ""  # commune name or INSEE code, compared as typed
    nir: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Match:
    score: float  # 0..100
    reasons: tuple[tuple[str, float], ...]  # (code, points contributed)

    @property
    def is_likely(self) -> bool:
        return self.score >= LIKELY

    @property
    def is_possible(self) -> bool:
        return self.score >= POSSIBLE


@dataclass(frozen=True)
class _Name:
    text: str  # normalised tokens joined by spaces
    key: str  # phonetic keys joined by spaces


@dataclass(frozen=True)
class _Prepared:
    surnames: tuple[_Name, ...]
    first_given: _Name | None
    all_given: str
    sex: str
    nir: str
    phone: str
    birth_place: str


def _name(text: str) -> _Name | None:
    parts = tokens(text)
    if not parts:
        return None
    return _Name(" ".join(parts), " ".join(phonetic(part) for part in parts))


@functools.lru_cache(maxsize=4096)
def _prepare(t: Traits) -> _Prepared:
    surnames = tuple(
        name for name in dict.fromkeys(filter(None, map(_name, (t.birth_name, t.used_name))))
    )
    given = [part for part in _GIVEN_NAME_SEPARATORS.split(t.given_names) if part]
    first_given = _name(given[0]) if given else None
    nir = check_nir(t.nir) if t.nir else None
    sex = t.sex.strip().upper()
    return _Prepared(
        surnames=surnames,
        first_given=first_given,
        all_given=" ".join(tokens(t.given_names)),
        sex=sex if sex in ("M", "F") else "",
        nir=nir.nir if nir and nir.valid else "",
        phone=phone_digits_for_search(t.phone),
        birth_place=normalize(t.birth_place),
    )


def _similar(a: _Name, b: _Name) -> float:
    """0..100; word order and extra words (compound names) are tolerated."""
    sim = fuzz.ratio(a.text, b.text)
    if sim < 100 and (" " in a.text or " " in b.text):
        sim = max(sim, OTHER_GIVEN_NAME_FACTOR * fuzz.token_set_ratio(a.text, b.text))
    if a.key == b.key and len(a.key) >= MIN_PHONETIC_KEY:
        sim = max(sim, PHONETIC_MATCH)
    if (
        sim < TYPO_MATCH
        and min(len(a.text), len(b.text)) >= MIN_TYPO_LENGTH
        and OSA.distance(a.text, b.text, score_cutoff=1) <= 1
    ):
        # One insertion, deletion, substitution or adjacent transposition.
        sim = TYPO_MATCH
    return sim


def _surname_similarity(new: _Prepared, old: _Prepared) -> float:
    return max((_similar(a, b) for a in new.surnames for b in old.surnames), default=0.0)


def _given_similarity(new: _Prepared, old: _Prepared) -> float | None:
    if new.first_given is None or old.first_given is None:
        return None
    return max(
        _similar(new.first_given, old.first_given),
        OTHER_GIVEN_NAME_FACTOR * fuzz.token_set_ratio(new.all_given, old.all_given),
    )


def _combine(surname: float, given: float | None) -> float:
    if given is None:
        return surname * MISSING_GIVEN_NAMES_FACTOR
    return SURNAME_WEIGHT * surname + (1 - SURNAME_WEIGHT) * given


def _transposed_similarity(new: _Prepared, old: _Prepared) -> float:
    if new.first_given is None or old.first_given is None:
        return 0.0
    new_given, old_given = new.first_given, old.first_given
    surname_as_given = max((_similar(s, old_given) for s in new.surnames), default=0.0)
    given_as_surname = max((_similar(new_given, s) for s in old.surnames), default=0.0)
    return TRANSPOSED_FACTOR * _combine(surname_as_given, given_as_surname)


def _name_reason(new: _Prepared, old: _Prepared) -> tuple[str, float]:
    direct = _combine(_surname_similarity(new, old), _given_similarity(new, old))
    transposed = 0.0
    if direct < TRANSPOSED_MIN:
        transposed = _transposed_similarity(new, old)
    is_transposed = transposed >= TRANSPOSED_MIN and transposed > direct
    similarity = transposed if is_transposed else direct
    points = NAME_POINTS * max(0.0, similarity - NAME_FLOOR) / (100.0 - NAME_FLOOR)
    if points == 0.0:
        code = "names_different"
    elif is_transposed:
        code = "names_transposed"
    elif similarity >= 100.0:
        code = "names_same"
    else:
        code = "names_similar"
    return code, round(points, 1)


def score(new: Traits, existing: Traits) -> Match:
    """How likely ``existing`` is the same person as ``new`` (0..100)."""
    a, b = _prepare(new), _prepare(existing)
    reasons = [_name_reason(a, b)]
    _, date_code = date_similarity(new.birth_date, existing.birth_date)
    if date_code in DATE_POINTS:
        reasons.append(DATE_POINTS[date_code])
    if a.sex and b.sex:
        reasons.append(
            ("sex_same", SEX_SAME) if a.sex == b.sex else ("sex_different", SEX_DIFFERENT)
        )
    if a.nir and b.nir:
        reasons.append(
            ("nir_same", NIR_SAME) if a.nir == b.nir else ("nir_different", NIR_DIFFERENT)
        )
    if len(a.phone) == PHONE_DIGITS and a.phone == b.phone:
        reasons.append(("phone_same", PHONE_SAME))
    if a.birth_place and a.birth_place == b.birth_place:
        reasons.append(("birth_place_same", BIRTH_PLACE_SAME))
    total = sum(points for _, points in reasons)
    return Match(round(min(100.0, max(0.0, total)), 1), tuple(reasons))
