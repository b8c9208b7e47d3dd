"""``/sante/``: 200 when the database answers and the worker came back in time, 503
otherwise; open without signing in, and it tells nothing about anyone."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from maillage.core import health
from maillage.core.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_without_a_worker_it_says_so(client):
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "worker": "never seen"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_fine_after_the_worker_came_back(client):
    call_command("worker", "--once", stdout=io.StringIO())
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok"}


def test_a_late_worker(client):
    Heartbeat.objects.create(
        name="worker", at=timezone.now() - datetime.timedelta(seconds=200), every_seconds=60
    )
    assert client.get("/sante/").json()["worker"] == "late"
    Heartbeat.beat("worker", 60)
    assert client.get("/sante/").status_code == 200


def test_the_database_away(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda alias="default": "unavailable")
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["worker"] == "unknown"


def test_the_database_check_catches_errors(monkeypatch):
    class Cursor:
        def __enter__(self):
            raise DatabaseError("gone")

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(health.connections["default"], "cursor", lambda: Cursor())
    assert health.check_database() == "unavailable"


@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_the_replica_of_reports_is_checked_when_there_is_one(client, reports_replica, monkeypatch):
    call_command("worker", "--once", stdout=io.StringIO())
    fine = {"status": "ok", "database": "ok", "worker": "ok", "reports": "ok"}
    assert client.get("/sante/").json() == fine
    real = health.check_database
    monkeypatch.setattr(
        health,
        "check_database",
        lambda alias="default": "unavailable" if alias == "reports" else real(alias),
    )
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json() == {**fine, "status": "degraded", "reports": "unavailable"}


def test_only_get(client):
    assert client.post("/sante/").status_code == 405
