"""Helpers for the FHIR tests: a client that sends a member's token, and validation of
every resource read with the fhir.resources R4B models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from maillage.core import tokens
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section

BASE = "/fhir/R4"


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after checking it against its R4B model (a Bundle's entries too)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


class FhirClient:
    """Calls the FHIR interface as one member (a token) or with a session."""

    def __init__(self, client: Client, token: str = "") -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{BASE}/{path}", params, **self.headers)

    def post(self, path: str, resource: dict[str, Any]) -> Any:
        return self.client.post(
            f"{BASE}/{path}",
            json.dumps(resource),
            content_type="application/fhir+json",
            **self.headers,
        )

    def put(self, path: str, resource: dict[str, Any]) -> Any:
        return self.client.put(
            f"{BASE}/{path}",
            json.dumps(resource),
            content_type="application/fhir+json",
            **self.headers,
        )

    def read(self, path: str, **params: Any) -> dict[str, Any]:
        """GET that must succeed; the answer is validated."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.content.decode()
        assert response["Content-Type"].startswith("application/fhir+json")
        return valid(response.json())

    def search(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """The resources a search matched (validated), included ones after them."""
        bundle = self.read(path, **params)
        return [e["resource"] for e in bundle.get("entry", [])]


def assert_outcome(response: Any, status: int) -> dict[str, Any]:
    """The response is an OperationOutcome (valid R4B) with that status."""
    assert response.status_code == status, response.content.decode()
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    valid(body)
    return body


def fhir_reads(person: Any, section: str = Section.ADMINISTRATIVE) -> int:
    """How many FHIR reads of that section of the person's record are logged."""
    return AccessEvent.objects.filter(person=person, reason="fhir", section=section).count()


def fhir_as(member: Member, scopes: tuple[str, ...] = ("read", "write")) -> FhirClient:
    _token, raw = tokens.do_create_token(member, name="fhir test", scopes=list(scopes))
    return FhirClient(Client(), raw)


@pytest.fixture
def fhir_doctor(doctor) -> FhirClient:
    return fhir_as(doctor)


@pytest.fixture
def fhir_reception(reception) -> FhirClient:
    return fhir_as(reception)


@pytest.fixture
def fhir_other(other_member) -> FhirClient:
    """A member of another structure."""
    return fhir_as(other_member)


@pytest.fixture
def fhir_person(person_user) -> FhirClient:
    """The person themself, signed in to their own space (session)."""
    client = Client()
    client.force_login(person_user)
    return FhirClient(client)


@pytest.fixture
def fhir_anonymous() -> FhirClient:
    return FhirClient(Client())
