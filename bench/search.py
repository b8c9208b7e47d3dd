"""``search``: latency and typo tolerance of the reception search box.

N synthetic persons are loaded, then a FIXED, seeded set of 200 queries is built from
persons actually in the database (same seed, same data, same queries on every run and on
both databases):

===========  ====  =========================================================================
kind         n     query
===========  ====  =========================================================================
exact        40    ``"<first given name> <birth name>"`` as stored
misspelt     60    the same with one edit (deletion, adjacent transposition or substitution,
                   at any position) in a word of 4+ letters of the birth name (60 %) or the
                   first given name, then kept as is, accent-stripped or lower-cased (1/3 each)
accents      25    a person whose name has accents, typed without them, lower case
partial      25    first 3 to 5 letters of the birth name + first given name (``"dup marie"``)
date         25    ``"dd/mm/yyyy"`` of a person with a full date of birth
mixed        25    ``"<birth name> dd/mm/yyyy"`` or ``"<given> <misspelt birth name> dd/mm/yyyy"``
===========  ====  =========================================================================

Each query is timed server-side around
``search_persons(persons_for_member(member), structure_id, text)`` for a reception
member, after a warm-up pass of 50 other queries (another seed). ``hit_at_5_<kind>`` is the
share of queries of that kind whose intended person is among the first 5 results;
``recall_at_5_misspelt`` is that share for the misspelt kind. ``name_hit_at_5_<kind>``
(kinds with a name) also accepts a namesake, a person with the very same normalised birth
name and first given name as the intended one: the synthetic data holds many namesakes
(short name lists), and a name alone cannot tell them apart.
"""

from __future__ import annotations

import random
import re
import string
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from unidecode import unidecode

from bench import load_persons, log, make_centre, peak_rss_mb, percentile

QUERY_SEED = 20261123
WARMUP_SEED = 7
KINDS = {"exact": 40, "misspelt": 60, "accents": 25, "partial": 25, "date": 25, "mixed": 25}
NAME_KINDS = ("exact", "accents", "partial", "mixed")  # plus misspelt, listed first


@dataclass(frozen=True)
class Target:
    pk: int
    birth_name: str
    given_names: str
    year: int | None
    month: int | None
    day: int | None

    @property
    def given(self) -> str:
        return self.given_names.split(" ")[0] if self.given_names else ""

    @property
    def name(self) -> str:
        return f"{self.given} {self.birth_name}"

    @property
    def date(self) -> str:
        return f"{self.day:02d}/{self.month:02d}/{self.year}"


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    target: Target


def one_edit(rng: random.Random, word: str) -> str:
    """``word`` with one deletion, adjacent transposition or substitution that changes it
    (also once accents are folded and case ignored)."""
    from maillage.lib.names import normalize

    for _ in range(50):
        edit = rng.choice(["deletion", "transposition", "substitution"])
        if edit == "deletion":
            i = rng.randrange(len(word))
            new = word[:i] + word[i + 1 :]
        elif edit == "transposition":
            i = rng.randrange(len(word) - 1)
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            i = rng.randrange(len(word))
            letter = rng.choice(string.ascii_lowercase)
            new = word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]
        if normalize(new) != normalize(word):
            return new
    raise ValueError(word)


def _long_words(text: str) -> list[str]:
    return [w for w in text.split(" ") if len(w) >= 4 and w.replace("-", "").isalpha()]


def misspell(rng: random.Random, t: Target) -> tuple[str, str] | None:
    """(given, birth name) with one edit in one of them, or None if no word is long enough."""
    fields = ["birth_name", "given"] if rng.random() < 0.6 else ["given", "birth_name"]
    for name in fields:
        text = t.birth_name if name == "birth_name" else t.given
        words = _long_words(text)
        if not words:
            continue
        word = rng.choice(words)
        edited = text.replace(word, one_edit(rng, word), 1)
        return (t.given, edited) if name == "birth_name" else (edited, t.birth_name)
    return None


def build_queries(targets: list[Target], seed: int, counts: dict[str, int]) -> list[Query]:
    rng = random.Random(seed)
    queries: list[Query] = []
    with_accents = [t for t in targets if unidecode(t.name) != t.name]
    with_date = [t for t in targets if t.day and t.month and t.year]
    for kind, count in counts.items():
        made = 0
        while made < count:
            pool = {"accents": with_accents, "date": with_date, "mixed": with_date}.get(
                kind, targets
            )
            t = rng.choice(pool)
            text = ""
            if kind == "exact":
                text = f"{t.given} {t.birth_name}"
            elif kind == "misspelt":
                edited = misspell(rng, t)
                if edited is None:
                    continue
                text = " ".join(edited)
                variant = rng.randrange(3)
                if variant == 1:
                    text = unidecode(text)
                elif variant == 2:
                    text = text.lower()
            elif kind == "accents":
                text = unidecode(f"{t.given} {t.birth_name}").lower()
            elif kind == "partial":
                surname = re.split(r"[ '-]", t.birth_name)[0]
                if len(surname) < 4:
                    continue
                length = min(len(surname) - 1, rng.choice([3, 4, 5]))
                text = f"{surname[:length].lower()} {t.given}"
            elif kind == "date":
                text = t.date
            elif kind == "mixed":
                if rng.random() < 0.5:
                    text = f"{t.birth_name} {t.date}"
                else:
                    edited = misspell(rng, t)
                    if edited is None:
                        continue
                    text = f"{edited[0]} {edited[1]} {t.date}"
            queries.append(Query(kind, text, t))
            made += 1
    return queries


def load_targets() -> list[Target]:
    from maillage.people.models import Person

    rows = (
        Person.objects.current()
        .order_by("pk")
        .values_list("pk", "birth_name", "given_names", "birth_year", "birth_month", "birth_day")
    )
    return [Target(*row) for row in rows]


def run(persons: int) -> dict[str, Any]:
    from maillage.core.access import persons_for_member
    from maillage.lib.names import normalize
    from maillage.people.queries import search_persons

    centre = make_centre()
    load_persons(centre, persons)
    targets = load_targets()
    queries = build_queries(targets, QUERY_SEED, KINDS)
    warmup = build_queries(targets, WARMUP_SEED, {kind: 50 // len(KINDS) + 1 for kind in KINDS})
    member, structure_id = centre.member, centre.structure.pk

    def name_of(birth_name: str, given_names: str) -> tuple[str, str]:
        return normalize(birth_name), normalize(given_names.split(" ")[0] if given_names else "")

    for q in warmup:
        search_persons(persons_for_member(member), structure_id, q.text)

    times: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    hits: Counter[str] = Counter()
    name_hits: Counter[str] = Counter()
    misses: list[str] = []
    for q in queries:
        start = time.perf_counter()
        results = search_persons(persons_for_member(member), structure_id, q.text)
        elapsed = (time.perf_counter() - start) * 1000
        times.append(elapsed)
        by_kind[q.kind].append(elapsed)
        top = results[:5]
        if any(p.pk == q.target.pk for p in top):
            hits[q.kind] += 1
        else:
            misses.append(f"{q.kind}: {q.text!r} (person {q.target.pk})")
        wanted = name_of(q.target.birth_name, q.target.given_names)
        if any(name_of(p.birth_name, p.given_names) == wanted for p in top):
            name_hits[q.kind] += 1
    for miss in misses:
        log(f"search miss at 5 — {miss}")

    figures: dict[str, Any] = {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "recall_at_5_misspelt": hits["misspelt"] / KINDS["misspelt"],
        "name_hit_at_5_misspelt": name_hits["misspelt"] / KINDS["misspelt"],
        "persons": len(targets),
        "queries": len(queries),
    }
    for kind, count in KINDS.items():
        figures[f"hit_at_5_{kind}"] = hits[kind] / count
    for kind in NAME_KINDS:
        figures[f"name_hit_at_5_{kind}"] = name_hits[kind] / KINDS[kind]
    for kind, values in by_kind.items():
        figures[f"p95_ms_{kind}"] = percentile(values, 95)
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures
