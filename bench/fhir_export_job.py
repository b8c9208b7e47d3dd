"""The bulk export job in a process of its own, for ``bench fhir_export``, as ``maillage
worker`` runs it: prints one JSON line with its status, its duration and the process's
resident memory before and at the peak. Uses the settings and database the parent
benchmark set up (its environment)."""

from __future__ import annotations

import json
import sys
import time

from bench import high_water_mb


def main(job_id: str) -> None:
    import django

    django.setup()
    from maillage.fhir.export import run_export

    start_mb = high_water_mb()
    start = time.perf_counter()
    status = run_export(job_id)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "status": status,
                "seconds": seconds,
                "start_mb": start_mb,
                "peak_mb": high_water_mb(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
