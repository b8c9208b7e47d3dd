"""``free_slots``: the booking page's search for a co-consultation of three members, in
a room, with an Arabic interpreter (any of the three), over two weeks.

Dataset: see ``bench/agenda_data.py`` (30 members, 20 rooms, 100,000 appointments at full
size). The page ``/agenda/nouveau/?…`` is requested through Django's test client as the
reception member, for three random members, a random room and a random fortnight of the
coming months, 200 times after 20 warm-up requests; each answer lists the best 30 slots.

Figures: ``p50_ms``/``p95_ms``, ``queries`` (one search), ``appointments``, ``members``,
``slots`` (the mean number of free slots offered).
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
    offered: list[int] = []

    def fetch() -> float:
        members = rng.sample(data["team"], 3)
        first = data["today"] + datetime.timedelta(days=rng.randint(1, 150))
        params = {
            "kind": "co_consultation",
            "members": [m.pk for m in members],
            "duration": 30,
            "room": rng.choice(data["rooms"]).pk,
            "interpreting": "on_site",
            "language": "ar",
            "first_day": first.isoformat(),
            "days": 14,
        }
        start = time.perf_counter()
        response = client.get("/agenda/nouveau/", params)
        elapsed = (time.perf_counter() - start) * 1000
        page = response.content.decode()
        if response.status_code != 200 or 'id="slots-title"' not in page:
            raise SystemExit(f"bench: unexpected answer {response.status_code}")
        offered.append(page.count('<a class="button secondary" href="/agenda/nouveau/confirmer/'))
        return elapsed

    times, queries = measure(fetch, rounds)
    offered[:] = offered[-rounds:]
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "queries": queries,
        "appointments": data["appointments"],
        "members": data["members"],
        "slots": round(sum(offered) / len(offered), 1),
        "rounds": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
