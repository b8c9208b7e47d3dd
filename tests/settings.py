"""Test overlay: fast hasher, in-memory e-mail and SMS, no MFA unless a test turns it on."""

import os
import tempfile

os.environ.setdefault("MAILLAGE_DATA_DIR", os.path.join(tempfile.gettempdir(), "maillage-tests"))
os.environ.setdefault("MAILLAGE_SECRET_KEY", "t" * 64)
os.environ.setdefault("MAILLAGE_HTTPS", "false")
os.environ.setdefault("MAILLAGE_REQUIRE_MFA", "false")
os.environ.setdefault("MAILLAGE_EMAIL_BACKEND", "memory")
os.environ.setdefault("MAILLAGE_SMS_BACKEND", "memory")

from maillage.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
LANGUAGE_CODE = "fr"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Tasks are stored, never run by themselves: a test runs what it enqueued (and sees that a
# reminder is planned for its time, which the immediate backend cannot defer).
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

# SQLite tests run on a file, as Maillage does in production: an in-memory database
# shared between threads locks whole tables instead of waiting, which would hide how
# two simultaneous bookings really behave. One file per process, so that two test runs
# (or xdist workers) never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"tests-{os.getpid()}.sqlite3")}  # noqa: F405

# The replica reports may read (MAILLAGE_REPORTS_DATABASE_URL): here the test database
# itself. Reports read "default" unless a test turns the replica on (the reports_replica
# fixture, in a transactional test: the replica's connection sees committed rows only).
DATABASES.pop("reports", None)  # noqa: F405
DATABASES["reports"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
REPORTS_DATABASE = "default"
