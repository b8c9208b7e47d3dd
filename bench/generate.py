"""``generate``: time ``maillage generate --persons N`` on a migrated, empty database.

The management command itself is called (``call_command("generate", persons=N)``), so the
time includes everything the command does (structure, synthetic identities, search keys).
"""

from __future__ import annotations

import io
import time
from typing import Any

from bench import SEED, database_size_mb, log, peak_rss_mb


def run(persons: int) -> dict[str, Any]:
    from django.core.management import call_command

    from maillage.people.models import Person, PersonSearchKey

    start = time.perf_counter()
    call_command("generate", persons=persons, seed=SEED, stdout=io.StringIO())
    seconds = time.perf_counter() - start
    made = Person.objects.count()
    keys = PersonSearchKey.objects.count()
    log(f"generate: {made} persons, {keys} search keys in {seconds:.1f} s")
    return {
        "seconds": seconds,
        "persons": made,
        "persons_per_s": made / seconds,
        "search_keys": keys,
        "database_mb": database_size_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }
