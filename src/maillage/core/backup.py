"""Backups that restore (``maillage backup`` / ``maillage restore``).

A backup is one file, sealed with ``MAILLAGE_BACKUP_KEY`` (``lib/sealed``: AES-256-GCM in
chunks, so that any change or cut is refused), holding a tar stream:

* ``database.sqlite3`` — a copy made with SQLite's online backup API while the
  application runs; or ``database.pgdump`` — ``pg_dump`` in its custom format;
* ``documents/…`` — the uploaded documents (``MAILLAGE_DATA_DIR/documents``);
* ``manifest.json``, last — the format, the application's version, the last migration
  of each app, and for every table its number of rows and a checksum of its rows, for
  the database file and every document its size and SHA-256.

The database is copied first, then the documents: a document is stored before its row
is committed, so every document the copy refers to is already on disk. On PostgreSQL,
``pg_dump`` and the checksums read one exported snapshot, so they describe the same
state even while people work.

A restore opens the file, checks every file against the manifest, and only then writes:
into an empty database (and an empty documents folder) of the same kind. The restored
tables are checked row by row against the manifest's checksums; on SQLite before the
database file is put in place, so a backup that does not verify changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from maillage.lib.sealed import SealedError, SealedReader, SealedWriter

FORMAT = 1
MANIFEST = "manifest.json"
DOCUMENTS = "documents"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
_READ = 1024 * 1024
# Fast compression: the SQLite file shrinks by half or more already; a pg_dump file is
# compressed by pg_dump itself.
GZIP_LEVEL = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the administrator."""


@dataclass
class Summary:
    path: Path
    tables: int = 0
    rows: int = 0
    documents: int = 0
    bytes: int = 0
    seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict)


def _summary(path: Path, manifest: dict[str, Any], start: float) -> Summary:
    tables = manifest["tables"]
    return Summary(
        path=path,
        tables=len(tables),
        rows=sum(table["rows"] for table in tables.values()),
        documents=len(manifest["documents"]),
        bytes=path.stat().st_size,
        seconds=time.perf_counter() - start,
        manifest=manifest,
    )


# --- Keys and files ----------------------------------------------------------------------


def backup_key() -> bytes:
    import base64

    if not settings.BACKUP_KEY:
        raise BackupError(
            _(
                "MAILLAGE_BACKUP_KEY is not set: backups are always encrypted. "
                "“maillage backup --new-key” prints a key to keep in the settings "
                "and in a safe place away from the backups."
            )
        )
    return base64.urlsafe_b64decode(settings.BACKUP_KEY.encode("ascii"))


def new_key_text() -> str:
    import base64

    from maillage.lib.sealed import new_key

    return base64.urlsafe_b64encode(new_key()).decode("ascii")


def documents_dir() -> Path:
    return Path(settings.DATA_DIR) / DOCUMENTS


def _work_dir() -> str:
    """Temporary files go in the data directory's own tmp folder (the same disk, never the
    system's /tmp, which may be smaller or shared)."""
    work = Path(settings.DATA_DIR) / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix="backup-", dir=work)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_READ):
            digest.update(block)
    return digest.hexdigest()


class _Hashing(io.RawIOBase):
    """Reads a file through, hashing what tarfile takes from it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with open(path, "rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)
    return {"bytes": info.size, "sha256": reader.digest.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


# --- Table checksums ---------------------------------------------------------------------


def _digest(rows: Iterator[Any]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(repr(row).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def sqlite_tables(path: Path) -> dict[str, dict[str, Any]]:
    """Rows and a checksum of every table of a SQLite file, in rowid order."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {}
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            rows, checksum = _digest(iter(db.execute(f"SELECT * FROM {quoted} ORDER BY rowid")))  # noqa: S608
            tables[name] = {"rows": rows, "sha256": checksum}
        return tables
    finally:
        db.close()


def _pg_tables(cursor: Any) -> dict[str, dict[str, Any]]:
    """Rows and a checksum of every table of the current schema, each row's text form in
    primary-key order, read within the caller's transaction (its snapshot)."""
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    names = [name for (name,) in cursor.fetchall()]
    tables = {}
    for name in names:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = quote_ident(%s)::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            [name],
        )
        keys = [quote_pg(key) for (key,) in cursor.fetchall()]
        order = ", ".join(f"t.{key}" for key in keys) or "t::text"
        sql = f"SELECT md5(t::text) FROM {quote_pg(name)} AS t ORDER BY {order}"  # noqa: S608
        tables[name] = _pg_digest(cursor, sql)
    return tables


def quote_pg(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_digest(cursor: Any, sql: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    count = 0
    with cursor.connection.cursor(name=f"backup_{time.monotonic_ns()}") as rows:
        rows.itersize = 20_000
        rows.execute(sql)
        for (md5,) in rows:
            digest.update(md5.encode("ascii"))
            count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def _pg_params() -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection options and environment from the settings."""
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "--no-password"], env


def _pg_connect() -> Any:
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=False,
    )


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


# --- Backup ------------------------------------------------------------------------------


def _dump_sqlite(work: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    source_path = Path(connection.settings_dict["NAME"])
    copy = work / SQLITE_FILE
    source = sqlite3.connect(str(source_path), timeout=60)
    target = sqlite3.connect(str(copy))
    try:
        # One step: the whole copy under one read transaction, a consistent state while
        # the application goes on writing (WAL).
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    return copy, sqlite_tables(copy)


def _dump_postgres(work: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    dump = work / PG_FILE
    args, env = _pg_params()
    with _pg_connect() as pg:
        pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        (snapshot,) = pg.execute("SELECT pg_export_snapshot()").fetchone()
        command = [
            shutil.which("pg_dump") or "pg_dump",
            *args,
            "--format=custom",
            f"--snapshot={snapshot}",
            "--file",
            str(dump),
            str(connection.settings_dict["NAME"]),
        ]
        try:
            process = subprocess.Popen(  # noqa: S603 - our own command line
                command, env=env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
            )
        except OSError as exc:
            raise BackupError(_("pg_dump cannot be run: %(error)s") % {"error": exc}) from None
        try:
            # The checksums read the same snapshot while pg_dump writes (two processes).
            with pg.cursor() as cursor:
                tables = _pg_tables(cursor)
        finally:
            _out, err = process.communicate()
        if process.returncode != 0:
            raise BackupError(
                _("pg_dump failed: %(error)s")
                % {"error": err.decode("utf-8", "replace").strip()[-2000:]}
            )
    return dump, tables


def backup(output: Path | None = None, progress: Callable[[str], None] | None = None) -> Summary:
    """Write a sealed backup of the database and the documents; returns what it holds."""
    say = progress or (lambda message: None)
    key = backup_key()
    start = time.perf_counter()
    if output is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        output = Path(settings.BACKUP_DIR) / f"maillage-{stamp}.backup"
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        raise BackupError(_("%(path)s already exists: choose another name.") % {"path": output})
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(_("Backups are made of SQLite or PostgreSQL databases only."))
    work = Path(_work_dir())
    partial = output.with_name(output.name + ".partial")
    try:
        say(_("Copying the database…"))
        dump, tables = (_dump_sqlite if vendor == "sqlite" else _dump_postgres)(work)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "application": "maillage",
            "version": version("maillage"),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "file": dump.name},
            "migrations": _migrations(),
            "tables": tables,
            "documents": {},
        }
        with open(partial, "xb") as raw:
            os.chmod(partial, 0o600)
            with (
                SealedWriter(raw, key) as sealed,
                gzip.GzipFile(fileobj=sealed, mode="wb", compresslevel=GZIP_LEVEL) as packed,
                tarfile.open(fileobj=packed, mode="w|") as tar,
            ):
                manifest["database"] |= _add_file(tar, dump, dump.name)
                dump.unlink()
                say(_("Adding the documents…"))
                root = documents_dir()
                for path in sorted(root.rglob("*")) if root.is_dir() else []:
                    if path.is_file() and not path.is_symlink():
                        name = path.relative_to(root).as_posix()
                        manifest["documents"][name] = _add_file(tar, path, f"{DOCUMENTS}/{name}")
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return _summary(output, manifest, start)


def prune(folder: Path, days: int, newest: Path) -> list[Path]:
    """Remove the backups of ``folder`` (``maillage-*.backup``) older than ``days`` days,
    never ``newest`` (the one just written). Returns what was removed."""
    limit = time.time() - days * 86400
    removed = []
    for path in sorted(folder.glob("maillage-*.backup")):
        if path.resolve() != newest.resolve() and path.stat().st_mtime < limit:
            path.unlink()
            removed.append(path)
    return removed


# --- Restore -----------------------------------------------------------------------------


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(_("The backup holds an unexpected file: %(name)s") % {"name": name})
    return path


def _unpack(source: Path, work: Path) -> dict[str, Any]:
    """Open and unpack the backup into ``work``; returns its manifest once every file was
    checked against it."""
    key = backup_key()
    try:
        raw: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BackupError(_("The backup cannot be read: %(error)s") % {"error": exc}) from None
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with (
            raw,
            SealedReader(raw, key) as sealed,
            gzip.GzipFile(fileobj=sealed, mode="rb") as packed,  # type: ignore[call-overload]
            tarfile.open(fileobj=packed, mode="r|") as tar,
        ):
            for member in tar:
                name = _safe_name(member.name)
                if not member.isfile():
                    raise BackupError(
                        _("The backup holds an unexpected file: %(name)s") % {"name": member.name}
                    )
                handle = tar.extractfile(member)
                assert handle is not None
                if member.name == MANIFEST:
                    manifest = json.loads(handle.read())
                    continue
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with open(target, "xb") as out:
                    while block := handle.read(_READ):
                        digest.update(block)
                        out.write(block)
                seen[member.name] = {"bytes": member.size, "sha256": digest.hexdigest()}
    except SealedError:
        raise BackupError(
            _(
                "The backup does not open with this MAILLAGE_BACKUP_KEY: "
                "another key, or the file was altered or cut short."
            )
        ) from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(_("The backup is damaged: %(error)s") % {"error": exc}) from None
    if manifest is None or manifest.get("format") != FORMAT:
        raise BackupError(_("The backup has no manifest of a format this version reads."))
    expected = {manifest["database"]["file"]: manifest["database"]} | {
        f"{DOCUMENTS}/{name}": entry for name, entry in manifest["documents"].items()
    }
    for name, entry in expected.items():
        found = seen.pop(name, None)
        if found is None:
            raise BackupError(_("%(name)s is missing from the backup.") % {"name": name})
        if found != {"bytes": entry["bytes"], "sha256": entry["sha256"]}:
            raise BackupError(
                _("%(name)s does not match its checksum in the manifest.") % {"name": name}
            )
    if seen:
        raise BackupError(
            _("The backup holds files its manifest does not list: %(names)s")
            % {"names": ", ".join(sorted(seen)[:5])}
        )
    return manifest


def _compare(expected: dict[str, Any], found: dict[str, Any]) -> None:
    wrong = sorted(
        name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name)
    )
    if wrong:
        raise BackupError(
            _("The restored tables do not match the manifest: %(tables)s")
            % {"tables": ", ".join(wrong[:10])}
        )


def _documents_empty() -> bool:
    root = documents_dir()
    return not root.exists() or not any(root.iterdir())


def _restore_documents(work: Path) -> None:
    unpacked = work / DOCUMENTS
    if not unpacked.exists():
        return
    root = documents_dir()
    if root.exists():
        root.rmdir()  # empty: checked before
    shutil.move(str(unpacked), str(root))
    for path in root.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.chmod(root, 0o700)


def restore(
    source: Path, check_only: bool = False, progress: Callable[[str], None] | None = None
) -> Summary:
    """Restore a backup into this (empty) installation; with ``check_only``, only open it
    and check it against its manifest (and, for SQLite, every table's rows)."""
    say = progress or (lambda message: None)
    start = time.perf_counter()
    vendor = connection.vendor
    if not check_only:
        if connection.introspection.table_names():
            raise BackupError(
                _(
                    "The database is not empty: a backup is restored into a new, empty "
                    "database (create one, point the settings at it, and run restore again)."
                )
            )
        if not _documents_empty():
            raise BackupError(
                _("The documents folder %(path)s is not empty.") % {"path": documents_dir()}
            )
    work = Path(_work_dir())
    try:
        say(_("Opening and checking the backup…"))
        manifest = _unpack(source, work)
        kind = manifest["database"]["vendor"]
        if kind != vendor and not (check_only and kind in {"sqlite", "postgresql"}):
            raise BackupError(
                _(
                    "This backup is of a %(kind)s database; the settings name a %(vendor)s "
                    "database. Restore it into a database of the same kind."
                )
                % {"kind": kind, "vendor": vendor}
            )
        dump = work / manifest["database"]["file"]
        if kind == "sqlite":
            say(_("Checking every table…"))
            _compare(manifest["tables"], sqlite_tables(dump))
            if not check_only:
                target = Path(connection.settings_dict["NAME"])
                connection.close()
                for suffix in ("-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        Path(f"{target}{suffix}").unlink()
                os.chmod(dump, 0o600)
                os.replace(dump, target)
        elif not check_only:
            say(_("Restoring the database…"))
            _pg_restore(dump)
            say(_("Checking every table…"))
            with _pg_connect() as pg, pg.cursor() as cursor:
                found = _pg_tables(cursor)
            _compare(manifest["tables"], found)
        if not check_only:
            _restore_documents(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _summary(source, manifest, start)


def _pg_restore(dump: Path) -> None:
    args, env = _pg_params()
    command = [
        shutil.which("pg_restore") or "pg_restore",
        *args,
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
        "--dbname",
        str(connection.settings_dict["NAME"]),
        str(dump),
    ]
    connection.close()
    try:
        result = subprocess.run(  # noqa: S603 - our own command line
            command, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False
        )
    except OSError as exc:
        raise BackupError(_("pg_restore cannot be run: %(error)s") % {"error": exc}) from None
    if result.returncode != 0:
        raise BackupError(
            _("pg_restore failed: %(error)s")
            % {"error": result.stderr.decode("utf-8", "replace").strip()[-2000:]}
        )
