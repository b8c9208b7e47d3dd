"""``backup``: ``maillage backup`` of the record dataset, then ``maillage restore`` into a
new empty database, and every table compared row by row.

Dataset: N persons and about 20 × N journal entries in one care team (50,000 persons and
about 1,000,000 entries at full size, as for ``timeline`` and ``fhir_export``), and one
stored file (60 kB of incompressible bytes) for each of the first N / 25 document entries
(2,000 files, 120 MB at full size).

``backup_seconds`` is the backup's own time (``core.backup.backup``, in this process);
``restore_seconds`` is the wall time of ``python -m maillage restore FILE`` run as an
administrator runs it — in a new process, with the settings of a new installation whose
database (a new SQLite file, or a new PostgreSQL database on the same server) is empty —
including its start-up and its check of every table against the manifest.
``tables_identical`` is then checked independently of the manifest: every table of both
databases read in primary-key order and compared row by row, and every document file
compared byte by byte.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import care_team_dataset, log

FILE_BYTES = 60_000
RESTORE_DB = "maillage_bench_restore"


def _store_files(count: int) -> int:
    from maillage.record.models import Document

    written = 0
    for document in Document.objects.order_by("pk")[:count].iterator():
        storage = document.file.storage
        path = Path(storage.path(document.file.name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(FILE_BYTES))
        written += 1
    return written


def _sqlite_rows(path: str, table: str) -> Iterator[tuple]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield from db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608
    finally:
        db.close()


def _sqlite_tables(path: str) -> list[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        )
    finally:
        db.close()


def _pg_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return sorted(name for (name,) in rows)


def _pg_rows(url: str, table: str) -> Iterator[tuple]:
    import psycopg

    with psycopg.connect(url) as db, db.cursor(name="compare") as cursor:
        cursor.itersize = 20_000
        # Every column's text, in the order of the whole row's text: no primary key needed.
        cursor.execute(f'SELECT t::text FROM "{table}" AS t ORDER BY t::text')  # noqa: S608
        yield from cursor


def _identical(source: Any, copy: Any, tables_of: Any, rows_of: Any) -> tuple[bool, int]:
    names = tables_of(source)
    if names != tables_of(copy):
        log("the two databases do not hold the same tables")
        return False, 0
    compared = 0
    for name in names:
        for left, right in zip_longest(rows_of(source, name), rows_of(copy, name)):
            if left != right:
                log(f"table {name} differs")
                return False, compared
            compared += 1
    return True, compared


def _same_files(source: Path, copy: Path) -> bool:
    left = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    right = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    return left == right and all(
        (source / name).read_bytes() == (copy / name).read_bytes() for name in left
    )


def run(persons: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, connections

    from maillage.core import backup
    from maillage.lib.sealed import new_key

    key = base64.urlsafe_b64encode(new_key()).decode()
    settings.BACKUP_KEY = key
    care_team_dataset(persons)
    files = _store_files(persons // 25)
    log(f"{files} document files written")
    folder = Path(tempfile.mkdtemp(prefix="backup-", dir=settings.DATA_DIR))
    connections.close_all()

    summary = backup.backup(folder / "maillage.backup")
    log(
        f"backup: {summary.bytes / 1e6:.0f} MB, {summary.rows} rows in {summary.tables} "
        f"tables, {summary.documents} documents, {summary.seconds:.1f} s"
    )

    restored = folder / "restored"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_") and k != "DATABASE_URL"
    }
    env |= {
        "MAILLAGE_DATA_DIR": str(restored),
        "MAILLAGE_SECRET_KEY": os.environ["MAILLAGE_SECRET_KEY"],
        "MAILLAGE_BACKUP_KEY": key,
        "MAILLAGE_HTTPS": "false",
        "DJANGO_SETTINGS_MODULE": "maillage.settings",
    }
    vendor = connection.vendor
    source_url = target_url = ""
    if vendor == "postgresql":
        import psycopg

        source_url = os.environ["DATABASE_URL"]
        parts = urlsplit(source_url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{RESTORE_DB}"')
        target_url = urlunsplit(parts._replace(path=f"/{RESTORE_DB}"))
        env["DATABASE_URL"] = target_url
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "maillage", "restore", str(summary.path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        restore_seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit("bench: the restore failed")
        log(f"restore: {restore_seconds:.1f} s — {done.stdout.strip()}")
        start = time.perf_counter()
        if vendor == "postgresql":
            same, rows = _identical(source_url, target_url, _pg_tables, _pg_rows)
        else:
            same, rows = _identical(
                str(settings.DATABASES["default"]["NAME"]),
                str(restored / "maillage.sqlite3"),
                _sqlite_tables,
                _sqlite_rows,
            )
        same = same and _same_files(Path(settings.DATA_DIR) / "documents", restored / "documents")
        log(f"{rows} rows compared in {time.perf_counter() - start:.1f} s: identical={same}")
    finally:
        if vendor == "postgresql" and not os.environ.get("BENCH_KEEP_DB"):
            with psycopg.connect(admin, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
    return {
        "backup_seconds": summary.seconds,
        "restore_seconds": restore_seconds,
        "tables_identical": same,
        "backup_mb": summary.bytes / 1e6,
        "tables": summary.tables,
        "rows": summary.rows,
        "documents": summary.documents,
        "persons": persons,
    }
