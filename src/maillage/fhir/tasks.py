"""Background tasks of the FHIR interface (django-tasks), run by ``maillage worker``."""

from __future__ import annotations

from django_tasks import task

from maillage.fhir import export


@task()
def run_bulk_export(job_id: str) -> str:
    """Write the NDJSON files of one bulk export."""
    return export.run_export(job_id)
