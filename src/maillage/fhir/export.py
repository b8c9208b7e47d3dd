"""Bulk export (FHIR Bulk Data Access, ``$export``): every resource a member reads, one
NDJSON file per type, written by the worker in pages of a thousand rows so that memory
stays flat whatever the size of the structure.

The export carries exactly what the member reads through the interface — the same
policy, type by type — and writes the access log as it goes: one ``export`` event per
person and section, the first time the job writes something of that section (the job
remembers which pairs it logged: a few bytes per person, not per resource).
``Patient/$export`` keeps the types of the persons' compartments; ``$export`` adds the
rest (team, rooms, directory). Files expire after
``MAILLAGE_FHIR_EXPORT_DAYS`` days (the worker removes them).
"""

from __future__ import annotations

import datetime
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from maillage.core.access import can
from maillage.core.audit import log_person_reads
from maillage.core.models import AccessEvent
from maillage.fhir.caller import READ, Caller
from maillage.fhir.kept import render_rows
from maillage.fhir.models import BulkExport
from maillage.fhir.registry import REGISTRY, Context, ResourceType, audit_rows

logger = logging.getLogger(__name__)

PAGE = 1000
AUDIT_REASON = "fhir_export"
Status = BulkExport.Status


def export_folder(job: BulkExport) -> Path:
    return Path(settings.DATA_DIR) / "exports" / str(job.pk)


def types_of(job: BulkExport) -> list[str]:
    """The types the job exports, in order: those asked for, else every type of its
    level (the compartment's types for ``Patient/$export``)."""
    names = sorted(job.types) if job.types else sorted(REGISTRY)
    if job.level == BulkExport.Level.PATIENT:
        names = [n for n in names if any(p.compartment_lookup() for p in REGISTRY[n].parts())]
    return names


def _pages(part: ResourceType, rows: Any) -> Any:
    """The rows in pages of at most ``PAGE``, by increasing primary key. Each page is a
    stretch of ``PAGE`` stored rows, read by primary key (``part.stored()``), of which
    those the caller reads (``rows``, checked row by row with EXISTS) are kept. Joining
    the access rules into the page's query instead lets a database without statistics
    (SQLite, which never runs ANALYZE by itself) go through every person of the
    structure at each page: minutes instead of seconds at 50,000 persons."""
    stored = part.stored().order_by("pk")
    ids_of = stored.values_list("pk", flat=True)
    last = None
    while True:
        ids = list((ids_of if last is None else ids_of.filter(pk__gt=last))[:PAGE])
        if not ids:
            return
        readable = Exists(rows.filter(pk=OuterRef("pk")))
        page = list(part.prepare(stored.filter(pk__in=ids).filter(readable)))
        if page:
            yield page
        last = ids[-1]


def _write_type(
    job: BulkExport,
    caller: Caller,
    ctx: Context,
    name: str,
    path: Path,
    cancelled: Callable[[], bool],
    logged: set[tuple[int, str]],
) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for part in REGISTRY[name].parts():
            if job.level == BulkExport.Level.PATIENT and not part.compartment_lookup():
                continue
            rows = part.readable(caller)
            if job.since is not None and part.last_updated:
                rows = rows.filter(**{f"{part.last_updated}__gte": job.since})
            for page in _pages(part, rows):
                for resource in render_rows(part, page, ctx):
                    out.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
                count += len(page)
                reads = audit_rows(part, page) - logged
                logged |= reads
                log_person_reads(
                    reads=reads,
                    member=job.member,
                    action=AccessEvent.Action.EXPORT,
                    reason=AUDIT_REASON,
                )
                if cancelled():
                    return count
    return count


def run_export(job_id: str) -> str:
    """Run one queued export to its end; returns its final status."""
    job = BulkExport.objects.select_related("member__user", "member__structure").get(pk=job_id)
    if job.status != Status.QUEUED:
        return str(job.status)
    job.status = Status.RUNNING
    job.save(update_fields=["status"])
    member = job.member
    if not can(member, "bulk_export", member.structure) or (
        job.token is not None and not job.token.is_usable
    ):
        # Rights withdrawn, or the token revoked, since the request: nothing is exported.
        return _finish(job, Status.FAILED, error="the member may no longer export")
    caller = Caller(member=member, user=member.user, scopes=frozenset({READ}), token=job.token)
    ctx = Context(job.base_url, caller)
    folder = export_folder(job)
    folder.mkdir(parents=True, exist_ok=True)

    def cancelled() -> bool:
        return BulkExport.objects.filter(pk=job.pk, status=Status.CANCELLED).exists()

    output = []
    logged: set[tuple[int, str]] = set()
    try:
        names = types_of(job)
        for number, name in enumerate(names, start=1):
            BulkExport.objects.filter(pk=job.pk).update(progress=f"{name} ({number}/{len(names)})")
            file_name = f"{name}.ndjson"
            count = _write_type(job, caller, ctx, name, folder / file_name, cancelled, logged)
            if cancelled():
                shutil.rmtree(folder, ignore_errors=True)
                return str(Status.CANCELLED)
            if count:
                output.append({"type": name, "file": file_name, "count": count})
            else:
                (folder / file_name).unlink(missing_ok=True)
    except Exception as exc:
        # Only the exception's type: its message could quote someone's data.
        logger.error("bulk export %s failed: %s", job.pk, type(exc).__name__)
        shutil.rmtree(folder, ignore_errors=True)
        return _finish(job, Status.FAILED, error=type(exc).__name__)
    job.output = output
    return _finish(job, Status.DONE)


def _finish(job: BulkExport, status: str, error: str = "") -> str:
    job.status = status
    job.error = error[:200]
    job.finished_at = timezone.now()
    job.progress = ""
    job.save(update_fields=["status", "error", "finished_at", "progress", "output"])
    return status


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Remove the files of exports older than ``FHIR_EXPORT_DAYS``; returns how many."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.FHIR_EXPORT_DAYS)
    count = 0
    for job in BulkExport.objects.filter(requested_at__lt=limit).exclude(status=Status.EXPIRED):
        shutil.rmtree(export_folder(job), ignore_errors=True)
        job.output = []
        job.status = Status.EXPIRED
        job.save(update_fields=["output", "status"])
        count += 1
    return count
