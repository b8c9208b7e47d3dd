"""Backups that restore: ``maillage backup`` of a database with records, documents and
coordination, ``maillage restore`` into a new empty database by the command itself (a
separate process, as an administrator runs it), then every table compared row by row,
and every document byte by byte. Also: what a restore refuses."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection

from maillage.core import backup
from maillage.core.access import record_access
from maillage.core.roles import Section
from maillage.lib.sealed import SealedReader
from maillage.people.actions import do_add_relation
from maillage.record import actions as record_actions
from maillage.record.models import Document
from tests.record.files import add_pdf, tiny_pdf

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.urlsafe_b64encode(bytes(32)).decode()


@pytest.fixture
def place(tmp_path, settings, monkeypatch):
    """A data directory of the test's own, where documents are stored and backups go."""
    data = tmp_path / "data"
    (data / "tmp").mkdir(parents=True)
    settings.DATA_DIR = data
    settings.BACKUP_KEY = KEY
    settings.BACKUP_DIR = tmp_path / "backups"
    field = Document._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=data / "documents"))
    return data


@pytest.fixture
def records(transactional_db, place, doctor, reception, person):
    access = record_access(doctor, person)
    record_actions.do_add_note(access, section=Section.CLINICAL, text="Note : « tension » ✓")
    add_pdf(access)
    do_add_relation(reception, person, {"kind": "friend", "name": "Ami", "team_may_contact": True})
    return person


# --- Reading both databases directly ---------------------------------------------------


def _rows_sqlite(path: str) -> dict[str, list[tuple]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            n
            for (n,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: db.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}  # noqa: S608
    finally:
        db.close()


def _rows_postgres(url: str) -> dict[str, list[tuple]]:
    import psycopg

    with psycopg.connect(url) as db:
        names = [
            n
            for (n,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return {
            n: sorted(db.execute(f'SELECT t::text FROM "{n}" AS t').fetchall())  # noqa: S608
            for n in names
        }


def _url_of_test_database() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def empty_target(tmp_path):
    """Settings (environment) of a new installation with an empty database."""
    data = tmp_path / "restored"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAILLAGE_") and key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "MAILLAGE_DATA_DIR": str(data),
        "MAILLAGE_SECRET_KEY": "r" * 64,
        "MAILLAGE_BACKUP_KEY": KEY,
        "MAILLAGE_HTTPS": "false",
    }
    if connection.vendor != "postgresql":
        yield env, None
        return
    import psycopg

    name = f"maillage_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    parts = urlsplit(_url_of_test_database())
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    env["DATABASE_URL"] = url
    try:
        yield env, url
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _maillage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "maillage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- The round trip ----------------------------------------------------------------------


def test_a_backup_restores_into_an_empty_database_table_for_table(records, place, empty_target):
    env, target_url = empty_target
    out = io.StringIO()
    call_command("backup", str(place.parent / "b.backup"), stdout=out, verbosity=0)
    assert "Sauvegarde écrite" in out.getvalue() or "Backup written" in out.getvalue()
    archive = place.parent / "b.backup"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert b"tension" not in archive.read_bytes()

    result = _maillage(env, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    restored = Path(env["MAILLAGE_DATA_DIR"])

    if connection.vendor == "postgresql":
        source, copy = _rows_postgres(_url_of_test_database()), _rows_postgres(target_url)
    else:
        source = _rows_sqlite(connection.settings_dict["NAME"])
        copy = _rows_sqlite(str(restored / "maillage.sqlite3"))
    assert source.keys() == copy.keys()
    assert len(source) > 50
    for table in source:
        assert source[table] == copy[table], table
    assert sum(len(rows) for rows in copy.values()) > 100

    document = Document.objects.get()
    stored = restored / "documents" / document.file.name
    assert stored.read_bytes() == tiny_pdf()
    assert oct(stored.stat().st_mode & 0o777) == "0o600"

    # The restored installation works: its own check and migrate have nothing to do.
    migrate = _maillage(env, "migrate", "--check")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr


def test_the_manifest_lists_every_table_and_document(records, place):
    summary = backup.backup(place.parent / "m.backup")
    manifest = summary.manifest
    assert manifest["database"]["vendor"] == connection.vendor
    assert set(manifest["tables"]) == set(connection.introspection.table_names())
    assert manifest["tables"]["record_entry"]["rows"] >= 2
    assert list(manifest["documents"]) == [Document.objects.get().file.name]
    assert manifest["migrations"]["core"].startswith("00")
    # Its copy inside the sealed file is the one returned.
    with open(summary.path, "rb") as raw:
        import tarfile

        sealed = SealedReader(raw, base64.urlsafe_b64decode(KEY))
        with tarfile.open(fileobj=gzip.GzipFile(fileobj=sealed), mode="r|") as tar:  # type: ignore[arg-type]
            names = [member.name for member in tar]
    assert names[-1] == "manifest.json"
    assert names[0] == manifest["database"]["file"]


def test_check_opens_and_verifies_without_changing_anything(records, place):
    summary = backup.backup(place.parent / "c.backup")
    out = io.StringIO()
    call_command("restore", str(summary.path), "--check", stdout=out, verbosity=0)
    assert str(summary.tables) in out.getvalue()


# --- What a restore refuses --------------------------------------------------------------


def test_restore_refuses_a_database_that_is_not_empty(records, place):
    summary = backup.backup(place.parent / "n.backup")
    with pytest.raises(CommandError, match=r"vide|empty"):
        call_command("restore", str(summary.path), verbosity=0)


def test_a_wrong_key_an_altered_or_cut_file_is_refused(records, place, settings):
    path = backup.backup(place.parent / "k.backup").path
    settings.BACKUP_KEY = OTHER_KEY
    with pytest.raises(backup.BackupError):
        backup.restore(path, check_only=True)
    settings.BACKUP_KEY = KEY
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    altered = place.parent / "altered.backup"
    altered.write_bytes(bytes(blob))
    with pytest.raises(backup.BackupError):
        backup.restore(altered, check_only=True)
    cut = place.parent / "cut.backup"
    cut.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(backup.BackupError):
        backup.restore(cut, check_only=True)


def test_a_backup_needs_the_key_and_never_overwrites(records, place, settings):
    first = backup.backup(place.parent / "o.backup").path
    with pytest.raises(backup.BackupError):
        backup.backup(first)
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="MAILLAGE_BACKUP_KEY"):
        call_command("backup", verbosity=0)


def test_a_manifest_that_does_not_match_is_refused(records, place, monkeypatch):
    """A table whose rows differ from the manifest stops the restore before anything is
    written (on SQLite the file is checked before it is put in place)."""
    path = backup.backup(place.parent / "t.backup").path
    real = backup._unpack

    def tampered(source, work):
        manifest = real(source, work)
        manifest["tables"]["record_entry"]["rows"] += 1
        return manifest

    monkeypatch.setattr(backup, "_unpack", tampered)
    if connection.vendor == "sqlite":
        with pytest.raises(backup.BackupError, match="record_entry"):
            backup.restore(path, check_only=True)
    else:
        with pytest.raises(backup.BackupError):
            backup.restore(path)  # refused: the database is not empty


def test_new_key_prints_a_key_the_settings_accept():
    out = io.StringIO()
    call_command("backup", "--new-key", stdout=out)
    key = out.getvalue().strip()
    assert len(base64.urlsafe_b64decode(key)) == 32


def test_the_manifest_is_json_with_no_personal_data(records, place):
    manifest = backup.backup(place.parent / "j.backup").manifest
    text = json.dumps(manifest)
    assert records.birth_name not in text
    assert "bilan.pdf" not in text
