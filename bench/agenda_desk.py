"""``agenda_desk``: the reception desk's day, as reception opens it.

Dataset: see ``bench/agenda_data.py`` (at full size about 230 appointments a working day:
30 members, 20 rooms, 100,000 appointments). The page ``/agenda/accueil/?date=…`` is
requested through Django's test client as the reception member (every middleware, the
access decisions, the status buttons of each row, the access log of the persons shown),
for a random working day of the four months around today, 100 times after 20 warm-up
requests.

Figures: ``p50_ms``/``p95_ms``, ``queries`` (one page), ``appointments_per_day`` (mean of
the days requested).
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

    from maillage.agenda.queries import desk_day

    data = prepare(persons * 2)
    rng = random.Random(SEED)
    client = Client()
    member = data["centre"].member
    client.force_login(member.user)
    days = [data["today"] + datetime.timedelta(days=n) for n in range(-60, 60)]
    days = [d for d in days if d.weekday() < 5]
    rounds = 100
    asked: list[datetime.date] = []

    def fetch() -> float:
        day = rng.choice(days)
        start = time.perf_counter()
        response = client.get("/agenda/accueil/", {"date": day.isoformat()})
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: unexpected status {response.status_code}")
        asked.append(day)
        return elapsed

    times, queries = measure(fetch, rounds)
    sizes = [len(desk_day(member.structure_id, day)) for day in set(asked)]
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "queries": queries,
        "appointments_per_day": round(sum(sizes) / len(sizes), 1),
        "rounds": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
