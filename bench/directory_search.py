"""``directory_search``: searching a directory of 20,000 services with three filters and a
distance, server side.

The directory is the synthetic one of ``directory_import`` (20,000 services at full
size, 2,000 small), imported once, with what a team knows of each place
(``territory.synthetic.team_knowledge``). 200 searches with a fixed seed are timed
around ``search_services`` plus loading the first page of results, as the directory page
does: each has a theme (a category or a thématique), one of language / accepts AME /
public, a mode of reception or "open at" (a weekday or Saturday morning), and a distance
(1 to 5 km) from a point of the territory. A warm-up of 20 searches comes first (the
opening hours are parsed once per process).

Figures: ``p50_ms``, ``p95_ms``, ``services``, ``mean_results``.
"""

from __future__ import annotations

import datetime
import random
import time
import zoneinfo
from typing import Any

from bench import analyze, log, make_centre, peak_rss_mb, percentile
from bench.directory_import import SERVICES_PER_PERSONS, import_file, write_file

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
THEMES = ["sante", "sante--acces-aux-soins", "sante--sante-mentale", "equipement-et-alimentation"]


def searches(rng: random.Random, count: int) -> list[Any]:
    from maillage.territory.queries import DirectoryFilters
    from maillage.territory.synthetic import AREA_COMMUNES

    found = []
    for _ in range(count):
        _code, _postcode, _name, lat, lon = rng.choice(AREA_COMMUNES)
        second = rng.choice(["language", "ame", "public"])
        third = rng.choice(["mode", "open"])
        when = datetime.datetime(2026, 11, rng.choice([24, 28]), rng.choice([9, 10, 15]), 0)
        found.append(
            DirectoryFilters(
                theme=rng.choice(THEMES),
                language=rng.choice(["ar", "en", "tr"]) if second == "language" else "",
                accepts=("accepts_ame",) if second == "ame" else (),
                public=rng.choice(["femmes", "familles"]) if second == "public" else "",
                mode="en-presentiel" if third == "mode" else "",
                open_at=when.replace(tzinfo=PARIS) if third == "open" else None,
                near=(lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01)),
                km=rng.choice([1.0, 2.0, 3.0, 5.0]),
            )
        )
    return found


def run(persons: int) -> dict[str, Any]:
    from maillage.territory import actions
    from maillage.territory.models import Service
    from maillage.territory.queries import search_services
    from maillage.territory.synthetic import team_knowledge

    services = int(persons / SERVICES_PER_PERSONS)
    centre = make_centre()
    import_file(centre.structure, write_file(services))
    rng = random.Random(3)
    for service in Service.objects.filter(owner=centre.structure).iterator():
        actions.do_update_health_access(service, team_knowledge(rng, "|c:sante|" in service.tags))
    analyze()
    log(f"{services} services ready")
    rng = random.Random(11)
    for filters in searches(rng, 20):
        found = search_services(centre.structure, filters)
        found.page(found.pks[:20])
    times: list[float] = []
    results: list[int] = []
    for filters in searches(rng, 200):
        start = time.perf_counter()
        found = search_services(centre.structure, filters)
        found.page(found.pks[:20])
        times.append((time.perf_counter() - start) * 1000)
        results.append(len(found.pks))
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "services": Service.objects.count(),
        "mean_results": sum(results) / len(results),
        "peak_rss_mb": peak_rss_mb(),
    }
