"""``rights_estimate``: an estimate of potential rights for one household, in a warm
process (the tax-benefit system of OpenFisca-France already loaded, as in ``maillage
serve`` and ``maillage worker``).

The estimate page is posted through Django's test client as a social worker (the form,
the OpenFisca simulation, the stored estimate, the audit), for households drawn at random:
one or two adults of 20 to 65, zero to four children, wages, unemployment benefit or
nothing over some of the last 12 months, sometimes a disability rate, tenants, social
tenants, hosted or without a home, in one of five communes. 100 times after 5 warm-up
households. Its size does not change with ``--size``.

Figures: ``p50_ms``/``p95_ms``, ``load_s`` (loading the tax-benefit system, once per
process), ``rounds``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench import SEED, make_centre, measure, peak_rss_mb, percentile

COMMUNES = ["75056", "93066", "69123", "13055", "59350"]
HOUSING = ["tenant", "social_tenant", "hosted", "homeless", "furnished_tenant"]


def household(rng: random.Random) -> dict[str, str]:
    data = {
        "birth_date": f"01/{rng.randint(1, 12):02d}/{rng.randint(1961, 2006)}",
        "housing": rng.choice(HOUSING),
        "commune": rng.choice(COMMUNES),
        "stay": rng.choice(["regular", "regular", "regular", "irregular"]),
        "in_france_since": "01/01/2020",
    }
    if data["housing"] in {"tenant", "social_tenant", "furnished_tenant"}:
        data["rent"] = str(rng.randint(300, 900))
    if rng.random() < 0.4:
        data["couple"] = "on"
        data["partner_birth_date"] = f"15/06/{rng.randint(1961, 2006)}"
    for index in range(1, rng.randint(0, 4) + 1):
        data[f"child_{index}"] = f"10/03/{rng.randint(2008, 2025)}"
    source = rng.choice(["wages", "unemployment", ""])
    if source:
        data[f"p_{source}"] = str(rng.randint(300, 2000))
        data[f"p_{source}_months"] = str(rng.randint(1, 12))
    if rng.random() < 0.15:
        data["disability_rate"] = str(rng.choice([50, 80]))
    return data


def run(persons: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from maillage.core.models import Member, User
    from maillage.people.actions import do_register_person
    from maillage.rights import openfisca

    centre = make_centre()
    centre.structure.is_care_team = True
    centre.structure.save(update_fields=["is_care_team"])
    social = Member.objects.create(
        user=User.objects.create_user(username="bench-social", password=None),
        structure=centre.structure,
        role="social_worker",
        profession="assistant_social",
    )
    person = do_register_person(
        centre.member,
        {"birth_name": "BENCH", "given_names": "Alex", "sex": "F", "birth_year": 1980},
    )
    start = time.perf_counter()
    openfisca.tax_benefit_system()
    load_s = time.perf_counter() - start
    client = Client()
    client.force_login(social.user)
    url = reverse("rights:estimate", args=[person.pk])
    rng = random.Random(SEED)
    rounds = 100

    def fetch() -> float:
        data = household(rng)
        begin = time.perf_counter()
        response = client.post(url, data)
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code != 302:
            raise SystemExit(f"bench: unexpected status {response.status_code}")
        return elapsed

    times, _queries = measure(fetch, rounds, warmup=5)
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "load_s": round(load_s, 2),
        "rounds": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
