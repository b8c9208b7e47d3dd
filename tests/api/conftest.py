"""The JSON API's tests: a client that sends a token, and a record with every kind of entry."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from maillage.core import tokens
from maillage.core.access import record_access
from maillage.core.roles import Section
from maillage.record import actions
from tests.record.files import add_pdf


@pytest.fixture(autouse=True)
def _remove_stored_files(remove_stored_files):
    """Every API test may store a document."""


def token_for(member, scopes=("read", "write")):
    _token, text = tokens.do_create_token(member, name="Tests", scopes=scopes)
    return text


class Api:
    """A test client that sends a token."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path, data, raw=False):
        body = data if raw else json.dumps(data)
        return self.client.post(
            f"/api{path}", body, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_doctor(doctor):
    return Api(token_for(doctor))


@pytest.fixture
def record(doctor, reception, interpreter, person):
    """An encounter with a note and a measure, a document, an administrative note."""
    access = record_access(doctor, person)
    encounter = actions.do_record_encounter(
        access,
        actions.EncounterInput(
            kind="consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now() - datetime.timedelta(days=2),
            reason="Toux",
            reason_codes=["R05"],
            interpreter=interpreter,
            interpreting_language="ar",
            note="Auscultation normale.",
            observations=[actions.ObservationInput("weight", Decimal("72.5"))],
        ),
    )
    document = add_pdf(access, occurred_at=timezone.now() - datetime.timedelta(days=1))
    admin_note = actions.do_add_note(
        record_access(reception, person), section=Section.ADMINISTRATIVE, text="Carte Vitale vue."
    )
    return {"encounter": encounter, "document": document, "admin_note": admin_note}
