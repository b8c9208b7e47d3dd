"""The renewal job in a process of its own, for ``bench renewals``: prints one JSON line
with its duration, the peak resident memory of the process and what it did. Uses the
settings and database the parent benchmark set up (its environment)."""

from __future__ import annotations

import json
import time

from bench import high_water_mb


def main() -> None:
    import django

    django.setup()
    from maillage.rights import renewals

    start = time.perf_counter()
    counts = renewals.run()
    seconds = time.perf_counter() - start
    peak = high_water_mb()
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "peak_mb": round(peak, 1),
                "tasks": counts["tasks"],
                "expired": counts["expired"],
            }
        )
    )


if __name__ == "__main__":
    main()
