"""``fhir_search``: ``GET /fhir/R4/Patient?name=…`` through the whole FHIR interface.

N synthetic persons are loaded in one structure. A reception member makes a personal
access token (read scope); every request goes through Django's test client with
``Authorization: Bearer …``: token check, the search keys' index, the count for
``Bundle.total``, the page of 20 resources rendered and validated by nothing but the
code, and the access-log events of the page (one per person listed).

Queries: a fixed, seeded set of 300 built from persons actually in the database (same
data and queries on both databases), 60 of each kind:

==========  =====================================================================
kind        ``name=``
==========  =====================================================================
family      the birth name as stored (``DUPONT``)
given       the first given name, lower case (``marie``)
both        first given name and birth name (``marie dupont``), one request
prefix      the first 3 to 5 letters of the birth name (``dup``)
accents     a name with accents typed without them (``helene``), or the birth name
==========  =====================================================================

After 30 warm-up requests (another seed), each request is timed. Figures: ``p50_ms``,
``p95_ms`` and ``p99_ms`` over all requests, ``p95_ms_<kind>``, ``mean_total`` (the
average ``Bundle.total``: how many persons a name matches), ``requests``.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from unidecode import unidecode

from bench import load_persons, log, make_centre, peak_rss_mb, percentile

QUERY_SEED = 20261125
WARMUP_SEED = 11
PER_KIND = 60
KINDS = ("family", "given", "both", "prefix", "accents")


def queries(seed: int, per_kind: int) -> list[tuple[str, str]]:
    from maillage.people.models import Person

    rng = random.Random(seed)
    pks = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    chosen = Person.objects.in_bulk(rng.sample(pks, min(len(pks), per_kind * len(KINDS))))
    people = [chosen[pk] for pk in sorted(chosen)]
    rng.shuffle(people)
    accented = list(Person.objects.filter(given_names__regex=r"[éèëêïîôç]").order_by("pk")[:2000])
    result: list[tuple[str, str]] = []
    for index, person in enumerate(people):
        kind = KINDS[index % len(KINDS)]
        given = person.given_names.split(" ")[0] if person.given_names else ""
        if kind == "family":
            text = person.birth_name
        elif kind == "given":
            text = given.lower() or person.birth_name
        elif kind == "both":
            text = f"{given} {person.birth_name}".lower().strip()
        elif kind == "prefix":
            text = person.birth_name[: rng.randint(3, 5)].lower()
        else:
            source = rng.choice(accented) if accented else person
            text = unidecode(source.given_names.split(" ")[0]).lower()
        result.append((kind, text))
    return result


def run(persons: int) -> dict[str, Any]:
    from django.test import Client

    from maillage.core import tokens

    centre = make_centre()
    load_persons(centre, persons)
    _token, secret = tokens.do_create_token(centre.member, name="bench", scopes=["read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT="application/fhir+json")

    def timed(text: str) -> tuple[float, int]:
        start = time.perf_counter()
        response = client.get("/fhir/R4/Patient", {"name": text})
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: {text!r} answered {response.status_code}")
        bundle = response.json()
        return elapsed, int(bundle["total"])

    for _kind, text in queries(WARMUP_SEED, 6):
        timed(text)
    measured = queries(QUERY_SEED, PER_KIND)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    totals: list[int] = []
    for kind, text in measured:
        elapsed, total = timed(text)
        times[kind].append(elapsed)
        totals.append(total)
        if total == 0:  # every query comes from a person of the database
            raise SystemExit(f"bench: {kind} query {text!r} found nobody")
    every = [t for kind in KINDS for t in times[kind]]
    log(f"{len(every)} requests, each found its person's name")
    return {
        "p50_ms": percentile(every, 50),
        "p95_ms": percentile(every, 95),
        "p99_ms": percentile(every, 99),
        **{f"p95_ms_{kind}": percentile(times[kind], 95) for kind in KINDS},
        "mean_total": statistics.mean(totals),
        "requests": len(every),
        "persons": persons,
        "peak_rss_mb": peak_rss_mb(),
    }
