"""``audit_overhead``: the share of the timeline page's time spent writing the access log.

Same dataset and page as ``timeline``. The page is requested alternately with the audit
writes on and replaced by a no-op (``maillage.record.views.journal.log_reads``), so both
series see the same machine state. ``overhead_pct`` = (mean with − mean without) / mean
with × 100.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench import peak_rss_mb, percentile
from bench.timeline import prepare, timed


def run(persons: int) -> dict[str, Any]:
    from maillage.record.views import journal

    data = prepare(persons)
    client, url = data["client"], f"/personnes/{data['person']}/dossier/"
    real = journal.log_reads

    def without_audit(**_kwargs: Any) -> None:
        return None

    rounds = 300 if persons >= 50_000 else 150
    for _ in range(20):
        timed(lambda: client.get(url))
    on: list[float] = []
    off: list[float] = []
    for _ in range(rounds):
        journal.log_reads = real
        on.append(timed(lambda: client.get(url)))
        journal.log_reads = without_audit  # type: ignore[assignment]
        off.append(timed(lambda: client.get(url)))
    journal.log_reads = real
    mean_on, mean_off = statistics.mean(on), statistics.mean(off)
    return {
        "overhead_pct": (mean_on - mean_off) / mean_on * 100,
        "p50_ms_with_audit": percentile(on, 50),
        "p50_ms_without_audit": percentile(off, 50),
        "entries": data["entries"],
        "persons": persons,
        "requests": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
