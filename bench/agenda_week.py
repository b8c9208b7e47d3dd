"""``agenda_week``: a member's week, as they open it on the agenda page.

Dataset: see ``bench/agenda_data.py`` (30 members, 20 rooms, 100,000 appointments at full
size). The page ``/agenda/?membre=…&date=…`` is requested through Django's test client
(every middleware, the access decisions, the queries, the template, the access log of the
persons shown) as the reception member, for a random member and a random week of the
year, 200 times after 20 warm-up requests.

Figures: ``p50_ms``/``p95_ms``, ``queries`` (one page), ``appointments``, ``members``.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from bench import SEED, measure, peak_rss_mb, percentile
from bench.agenda_data import prepare


def run(persons: int) -> dict[str, Any]:
    from django.test import Client

    data = prepare(persons * 2)
    rng = random.Random(SEED)
    client = Client()
    client.force_login(data["centre"].member.user)
    rounds = 200

    def fetch() -> float:
        member = rng.choice(data["team"])
        day = data["today"] + datetime.timedelta(days=rng.randint(-180, 180))
        start = time.perf_counter()
        response = client.get("/agenda/", {"membre": member.pk, "date": day.isoformat()})
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: unexpected status {response.status_code}")
        return elapsed

    times, queries = measure(fetch, rounds)
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "queries": queries,
        "appointments": data["appointments"],
        "members": data["members"],
        "rounds": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
