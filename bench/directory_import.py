"""``directory_import``: importing a data·inclusion file into a structure's directory.

A synthetic directory (``territory.synthetic.directory_rows``: invented organisations of
a territory, real reference lists) of N/2.5 services — 20,000 at full size, 2,000 small —
is written as one JSON file of structures and services. The timed part is what
``maillage directory import`` does: read the file, validate every line with the
data·inclusion package, create the organisations and services. Then the same file is
imported again (every line unchanged: nothing is written).

Figures: ``seconds`` (first import), ``peak_mb`` (the process's peak resident memory,
Django and the loaded file included), ``services``, ``structures``,
``seconds_reimport`` and ``file_mb``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import log, make_centre, peak_rss_mb

SERVICES_PER_PERSONS = 2.5  # 50,000 "persons" (the full size) → 20,000 services


def write_file(services: int) -> Path:
    from maillage.territory.synthetic import directory_rows

    rows = directory_rows(services, seed=7, source="bench")
    path = Path(tempfile.mkdtemp(prefix="maillage-bench-")) / "directory.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    log(f"{len(rows['structures'])} structures, {services} services written to {path}")
    return path


def import_file(structure: Any, path: Path) -> Any:
    from maillage.territory import actions
    from maillage.territory import datainclusion as di

    return actions.do_import_directory(structure, di.parse([(path.name, path.read_bytes())]))


def run(persons: int) -> dict[str, Any]:
    from maillage.territory.models import Organisation, Service

    services = int(persons / SERVICES_PER_PERSONS)
    path = write_file(services)
    centre = make_centre()
    start = time.perf_counter()
    report = import_file(centre.structure, path)
    seconds = time.perf_counter() - start
    if report.errors or report.created != Service.objects.count() + Organisation.objects.count():
        raise SystemExit(f"bench: the import went wrong: {report.errors[:3]}")
    log(f"imported in {seconds:.1f} s")
    start = time.perf_counter()
    again = import_file(centre.structure, path)
    seconds_again = time.perf_counter() - start
    if again.created or again.updated:
        raise SystemExit("bench: importing the same file again changed the directory")
    return {
        "seconds": seconds,
        "peak_mb": peak_rss_mb(),
        "services": Service.objects.count(),
        "structures": Organisation.objects.count(),
        "seconds_reimport": seconds_again,
        "file_mb": path.stat().st_size / 1e6,
    }
