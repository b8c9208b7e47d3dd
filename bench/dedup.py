"""``dedup``: duplicate candidates shown while a new person is registered.

N synthetic persons are loaded, then 200 registrations are built with a fixed seed:

* 100 variations of persons actually in the database, the way reception desks retype
  someone (20 of each): ``typo_birth_name`` (one deletion, transposition or substitution
  in a 4+ letter word), ``typo_given_name`` (the same in the first given name),
  ``transposed`` (birth name and first given name swapped), ``partial_date`` (day unknown,
  or day and month unknown one time in three), ``accents`` (accents dropped, given names
  lower case). Sex and place of birth are kept; no NIR and no phone number, so that only
  names and the date of birth can find the original;
* 100 new people, from the synthetic generator with another seed (a namesake of someone
  in the database is possible, as in life).

Each registration is timed server-side around
``duplicate_candidates(persons_for_member(member), structure_id, traits)`` for a reception
member, after a warm-up of 30 other registrations. ``recall_variations`` is the share of
variations whose original is among the candidates returned (default threshold and limit);
``new_with_candidates`` the share of new people shown at least one candidate.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from unidecode import unidecode

from bench import load_persons, log, make_centre, peak_rss_mb, percentile
from bench.search import misspell

REGISTRATION_SEED = 20261123
WARMUP_SEED = 11
VARIATIONS = ("typo_birth_name", "typo_given_name", "transposed", "partial_date", "accents")


@dataclass(frozen=True)
class Registration:
    kind: str  # a variation, or "new"
    traits: Any  # maillage.lib.dedup.Traits
    original_pk: int | None


def _variation(rng: random.Random, kind: str, person: Any) -> Any | None:
    from bench.search import Target
    from maillage.lib.dedup import Traits
    from maillage.lib.partial_date import PartialDate

    birth_name, given_names = person.birth_name, person.given_names
    birth_date = person.birth_date
    if kind in {"typo_birth_name", "typo_given_name"}:
        target = Target(person.pk, birth_name, given_names, None, None, None)
        for _ in range(10):
            edited = misspell(rng, target)
            if edited is None:
                return None
            given, name = edited
            if kind == "typo_birth_name" and name != birth_name:
                birth_name = name
                break
            if kind == "typo_given_name" and given != target.given:
                given_names = given_names.replace(target.given, given, 1)
                break
        else:
            return None
    elif kind == "transposed":
        birth_name, given_names = person.first_given_name.upper(), person.birth_name.title()
    elif kind == "partial_date":
        if birth_date is None or birth_date.day is None:
            return None
        month = None if rng.random() < 1 / 3 else birth_date.month
        birth_date = PartialDate(birth_date.year, month, None)
    elif kind == "accents":
        if unidecode(birth_name + given_names) == birth_name + given_names:
            return None
        birth_name, given_names = unidecode(birth_name), unidecode(given_names).lower()
    return Traits(
        birth_name=birth_name,
        given_names=given_names,
        birth_date=birth_date,
        sex=person.sex,
        birth_place=person.birth_place_code,
    )


def build_registrations(
    existing: list[Any], structure: Any, seed: int, per_variation: int, new: int
) -> list[Registration]:
    from maillage.lib.dedup import Traits
    from maillage.people.synthetic import Generator

    rng = random.Random(seed)
    registrations: list[Registration] = []
    for kind in VARIATIONS:
        made = 0
        while made < per_variation:
            person = rng.choice(existing)
            traits = _variation(rng, kind, person)
            if traits is not None:
                registrations.append(Registration(kind, traits, person.pk))
                made += 1
    generator = Generator(structure, seed=seed)
    for _ in range(new):
        p = generator.person()
        traits = Traits(
            birth_name=p.birth_name,
            given_names=p.given_names,
            birth_date=p.birth_date,
            sex=p.sex,
            birth_place=p.birth_place_code,
        )
        registrations.append(Registration("new", traits, None))
    return registrations


def run(persons: int) -> dict[str, Any]:
    from maillage.core.access import persons_for_member
    from maillage.people.models import Person
    from maillage.people.queries import duplicate_candidates

    centre = make_centre()
    load_persons(centre, persons)
    existing = list(
        Person.objects.current()
        .order_by("pk")
        .only(
            "birth_name",
            "given_names",
            "sex",
            "birth_place_code",
            "birth_year",
            "birth_month",
            "birth_day",
        )
    )
    registrations = build_registrations(existing, centre.structure, REGISTRATION_SEED, 20, 100)
    warmup = build_registrations(existing, centre.structure, WARMUP_SEED, 3, 15)
    member, structure_id = centre.member, centre.structure.pk

    for r in warmup:
        duplicate_candidates(persons_for_member(member), structure_id, r.traits)

    times: list[float] = []
    found: Counter[str] = Counter()
    flagged_new = 0
    for r in registrations:
        start = time.perf_counter()
        candidates = duplicate_candidates(persons_for_member(member), structure_id, r.traits)
        times.append((time.perf_counter() - start) * 1000)
        pks = [c.person.pk for c in candidates]
        if r.original_pk is None:
            flagged_new += bool(pks)
        elif r.original_pk in pks:
            found[r.kind] += 1
        else:
            log(f"dedup miss — {r.kind}: {r.traits} (person {r.original_pk})")

    variations = [r for r in registrations if r.original_pk is not None]
    per_kind = Counter(r.kind for r in variations)
    figures: dict[str, Any] = {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "recall_variations": sum(found.values()) / len(variations),
        "new_with_candidates": flagged_new / (len(registrations) - len(variations)),
        "persons": Person.objects.current().count(),
        "registrations": len(registrations),
    }
    for kind in VARIATIONS:
        figures[f"recall_{kind}"] = found[kind] / per_kind[kind]
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures
