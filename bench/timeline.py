"""``timeline``: the record page of a person with about 2,000 entries, server side.

Dataset: N persons and about 20 × N journal entries (``maillage generate --persons N
--entries 20N``: 50,000 persons and about 1,000,000 entries at full size), written by a
scale team in a structure that is one care team; the first person's record holds about
2,000 entries. The page is requested through Django's test client (every middleware,
the access decision, the queries, the template and the audit insert), as a GP of the team.

Figures: ``p50_ms``/``p95_ms`` of the first page; ``ratio_vs_bare_view``: the page's
throughput divided by that of a minimal view (one query, a template of 25 rows) served by
the same process through the same middleware, the two measured interleaved; ``entries``
(the whole dataset) and ``heavy_entries`` (the person's record); p95 of a later page and
of a page filtered by section.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import SEED, care_team_dataset, peak_rss_mb, percentile

ENTRIES_PER_PERSON = 20


def prepare(persons: int) -> dict[str, Any]:
    """Load the dataset; return a logged-in client, the heavy person and the counts."""
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from maillage.core.models import Member
    from maillage.core.roles import Role
    from maillage.record.models import Entry

    call_command("collectstatic", interactive=False, verbosity=0)
    centre, _written = care_team_dataset(persons, ENTRIES_PER_PERSON)
    heavy = Entry.objects.order_by("person_id").values_list("person_id", flat=True).first()
    gp = Member.objects.filter(structure=centre.structure, role=Role.GP).first()
    assert heavy is not None and gp is not None
    client = Client()
    client.force_login(gp.user)
    urls = override_settings(ROOT_URLCONF="bench.timeline_urls")
    urls.enable()
    return {
        "client": client,
        "person": heavy,
        "entries": Entry.objects.count(),
        "heavy_entries": Entry.objects.filter(person_id=heavy).count(),
    }


def timed(fetch: Callable[[], Any]) -> float:
    start = time.perf_counter()
    response = fetch()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: unexpected status {response.status_code}")
    return elapsed


def run(persons: int) -> dict[str, Any]:
    data = prepare(persons)
    client, pk = data["client"], data["person"]
    page_url = f"/personnes/{pk}/dossier/"
    bare_url = f"/bench/bare/{pk}/"
    rounds = 200 if persons >= 50_000 else 100
    rng = random.Random(SEED)
    for _ in range(20):
        timed(lambda: client.get(page_url))
        timed(lambda: client.get(bare_url))
    page_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(rounds):
        page_ms.append(timed(lambda: client.get(page_url)))
        bare_ms.append(timed(lambda: client.get(bare_url)))
    later = [
        timed(lambda: client.get(page_url, {"page": str(rng.randint(2, 60))}))
        for _ in range(rounds // 2)
    ]
    filtered = [
        timed(lambda: client.get(page_url, {"section": rng.choice(["clinical", "social"])}))
        for _ in range(rounds // 2)
    ]
    return {
        "p50_ms": percentile(page_ms, 50),
        "p95_ms": percentile(page_ms, 95),
        "ratio_vs_bare_view": statistics.mean(bare_ms) / statistics.mean(page_ms),
        "bare_p50_ms": percentile(bare_ms, 50),
        "p95_ms_later_page": percentile(later, 95),
        "p95_ms_filtered": percentile(filtered, 95),
        "entries": data["entries"],
        "heavy_entries": data["heavy_entries"],
        "persons": persons,
        "requests": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
