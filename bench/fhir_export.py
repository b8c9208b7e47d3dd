"""``fhir_export``: a FHIR bulk export (``$export``, every type) of the record dataset.

Dataset: N persons and about 20 × N journal entries in a structure that is one care team
(50,000 persons and about 1,000,000 entries at full size, as for ``timeline``). The
exporter is a GP of that team given the export right (docs/adr/0010): they read the whole
clinical record, so the export carries every person, encounter, note, measure, problem,
treatment and document, the team and the directory.

The export is the worker's job (``maillage.fhir.export.run_export``), queued as the view
queues it and run in a separate Python process, as ``maillage worker`` runs it: that
process's peak resident memory is the export's own, not the dataset generator's. Files are
written to the benchmark's temporary data folder; every line is then counted and a sample
of each file is validated against the FHIR R4B models (outside the timing).

Figures: ``resources`` (lines written), ``resources_per_s`` (resources over the job's
wall time, access-log writes included), ``peak_mb`` (the worker process's peak RSS,
``VmHWM``), ``peak_mb_start`` (the same once Django is set up, before the export: the
difference is what the export itself holds), ``seconds``, ``access_events`` (export
events written), ``files``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import care_team_dataset, log

SAMPLE = 200  # resources validated per file


def queue_export(persons: int) -> str:
    from maillage.core.actions import do_set_export_right
    from maillage.core.models import Member, User
    from maillage.core.roles import Role
    from maillage.fhir.models import BulkExport

    centre, _written = care_team_dataset(persons)
    admin = Member.objects.create(
        user=User.objects.create_user(username="bench-admin"),
        structure=centre.structure,
        role=Role.ADMIN,
        profession="directeur",
    )
    gp = Member.objects.filter(structure=centre.structure, role=Role.GP).first()
    assert gp is not None
    do_set_export_right(admin, gp, may_export=True)
    job = BulkExport.objects.create(
        member=gp,
        level=BulkExport.Level.SYSTEM,
        types=[],
        base_url="http://127.0.0.1/fhir/R4",
        request_url="http://127.0.0.1/fhir/R4/$export",
    )
    return str(job.pk)


def check_files(folder: Path, output: list[dict[str, Any]]) -> int:
    """Count every line and validate a sample of each file; returns the lines."""
    from fhir.resources.R4B import get_fhir_model_class

    total = 0
    for item in output:
        lines = 0
        with (folder / item["file"]).open(encoding="utf-8") as stream:
            for line in stream:
                if lines < SAMPLE:
                    resource = json.loads(line)
                    assert resource["resourceType"] == item["type"], item
                    get_fhir_model_class(item["type"]).model_validate(resource)
                lines += 1
        if lines != item["count"]:
            raise SystemExit(f"bench: {item['file']} has {lines} lines, manifest says {item}")
        total += lines
    return total


def run(persons: int) -> dict[str, Any]:
    from maillage.core.models import AccessEvent
    from maillage.fhir.export import export_folder
    from maillage.fhir.models import BulkExport

    job_id = queue_export(persons)
    from django.db import connections

    connections.close_all()  # SQLite: let the worker process write
    log("export running in a worker process")
    done = subprocess.run(
        [sys.executable, "-m", "bench.fhir_export_job", job_id],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("bench: the export process failed")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    job = BulkExport.objects.get(pk=job_id)
    if report["status"] != BulkExport.Status.DONE:
        raise SystemExit(f"bench: export ended {report['status']}: {job.error}")
    resources = check_files(export_folder(job), job.output)
    log(f"{resources} resources in {report['seconds']:.1f} s, files checked")
    log("by type: " + ", ".join(f"{i['type']} {i['count']}" for i in job.output))
    return {
        "resources": resources,
        "resources_per_s": resources / report["seconds"],
        "peak_mb": report["peak_mb"],
        "peak_mb_start": report["start_mb"],
        "seconds": report["seconds"],
        "files": len(job.output),
        "access_events": AccessEvent.objects.filter(
            action=AccessEvent.Action.EXPORT, actor_member=job.member
        ).count(),
        "persons": persons,
    }
