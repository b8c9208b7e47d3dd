"""The FHIR interface as a whole: metadata, authentication, errors as OperationOutcome,
paging, and no 5xx on any input."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from maillage.core.models import AccessEvent
from maillage.fhir.registry import REGISTRY
from tests.fhir.conftest import BASE, fhir_as, valid

pytestmark = pytest.mark.django_db


def test_metadata_lists_exactly_the_registered_types():
    response = Client().get(f"{BASE}/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = valid(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(listed) == set(REGISTRY)
    for name, entry in listed.items():
        params = {p["name"] for p in entry["searchParam"]}
        assert params == set(REGISTRY[name].params()), name
        codes = {i["code"] for i in entry["interaction"]}
        assert codes == {"read", "search-type", *REGISTRY[name].writable}, name
    assert "create" in {i["code"] for i in listed["Patient"]["interaction"]}


def test_no_token_is_401_with_an_operation_outcome(person):
    response = Client().get(f"{BASE}/Patient/{person.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    body = valid(response.json())
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "login"


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer mlg_12345678_" + "x" * 40])
def test_bad_tokens_are_401(header, person):
    response = Client().get(f"{BASE}/Patient", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_a_member_session_is_not_enough(as_doctor, person):
    assert as_doctor.get(f"{BASE}/Patient/{person.pk}").status_code == 401


def test_unknown_type_and_bad_id(fhir_doctor):
    response = fhir_doctor.get("Spaceship")
    assert response.status_code == 404
    assert valid(response.json())["issue"][0]["code"] == "not-supported"
    assert fhir_doctor.get("Patient/not*an*id").status_code == 400
    assert fhir_doctor.get("Patient/999999").status_code == 404


def test_unknown_parameter_modifier_and_prefix_are_refused(fhir_doctor):
    for params in (
        {"nonsense": "1"},
        {"name:fuzzy": "x"},
        {"birthdate": "zz2020"},
        {"birthdate": "2020-13-45"},
        {"_count": "-1"},
        {"_count": "100000"},
        {"_summary": "data"},
        {"_include": "Patient:nothing"},
    ):
        response = fhir_doctor.get("Patient", **params)
        assert response.status_code == 400, params
        outcome = valid(response.json())
        assert outcome["issue"][0]["diagnostics"]


def test_paging_links_walk_every_result(fhir_doctor, make_person):
    for i in range(5):
        make_person(birth_name=f"PAGE{i}", given_names="Lou")
    bundle = fhir_doctor.read("Patient", given="Lou", _count=2)
    assert bundle["total"] == 5
    seen = [e["resource"]["id"] for e in bundle["entry"]]
    while next_link := next((x["url"] for x in bundle["link"] if x["relation"] == "next"), None):
        bundle = valid(fhir_doctor.client.get(next_link, **fhir_doctor.headers).json())
        seen += [e["resource"]["id"] for e in bundle["entry"]]
    assert len(seen) == len(set(seen)) == 5
    assert fhir_doctor.read("Patient", given="Lou", _summary="count")["total"] == 5


def test_json_only(fhir_doctor, person):
    assert fhir_doctor.get(f"Patient/{person.pk}", _format="xml").status_code == 406
    response = fhir_doctor.client.get(
        f"{BASE}/Patient/{person.pk}", HTTP_ACCEPT="application/fhir+xml", **fhir_doctor.headers
    )
    assert response.status_code == 406


def test_nothing_is_deleted(fhir_doctor, person):
    response = fhir_doctor.client.delete(f"{BASE}/Patient/{person.pk}", **fhir_doctor.headers)
    assert response.status_code == 405
    assert person.__class__.objects.filter(pk=person.pk).exists()


def test_writes_need_the_write_scope(doctor, person):
    reader = fhir_as(doctor, ("read",))
    response = reader.post("Patient", {"resourceType": "Patient"})
    assert response.status_code == 403
    assert "write" in valid(response.json())["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"{not json", "application/fhir+json", 400),
        (b"[]", "application/fhir+json", 400),
        (b'{"resourceType": "Observation"}', "application/fhir+json", 400),
        (b'{"resourceType": "Patient", "gender": 12}', "application/fhir+json", 400),
        (b'{"resourceType": "Patient", "unknownElement": 1}', "application/fhir+json", 400),
        (b'{"resourceType": "Patient"}', "text/plain", 415),
        (b'{"resourceType": "Patient", "name": [{"family": "X"}]}', "application/fhir+json", 422),
    ],
)
def test_bad_bodies_are_4xx(fhir_reception, body, content_type, status):
    response = fhir_reception.client.post(
        f"{BASE}/Patient", body, content_type=content_type, **fhir_reception.headers
    )
    assert response.status_code == status, response.content
    assert valid(response.json())["resourceType"] == "OperationOutcome"


HOSTILE = [
    "",
    "'",
    '"',
    "\x00",
    "%00",
    "a" * 5000,
    "Patient/",
    "Patient/abc",
    "ge",
    "eq2020-02-30",
    "0001",
    "9999",
    "0001-01-01T00:00:00+14:00",  # no UTC time (year 0)
    "9999-12-31T23:59:00-12:00",  # no UTC time (year 10000)
    "2020-01-01T25:00",
    "|",
    "||",
    "http://x|",
    "1,2,,3",
    "ÉÈ€😀",
    "-1",
    "9" * 30,
    "null",
    "{}",
    "[]",
    "_",
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() reads them
    "Patient/²",
    "room-²",
]


def test_no_input_makes_a_5xx(fhir_doctor, person):
    """Schema-driven: every declared search parameter of every type, with hostile values."""
    failures = []
    for name, rt in REGISTRY.items():
        params = [*rt.params(), "_count", "_offset", "_include", "_summary", "_sort"]
        for param in params:
            for value in HOSTILE:
                response = fhir_doctor.get(name, **{param: value})
                if response.status_code >= 500:
                    failures.append((name, param, value[:20], response.status_code))
                else:
                    json.loads(response.content)
        for value in HOSTILE[:12]:
            response = fhir_doctor.client.get(f"{BASE}/{name}/{value}", **fhir_doctor.headers)
            if response.status_code >= 500:
                failures.append((name, "read", value[:20], response.status_code))
    assert failures == []


def test_no_body_makes_a_5xx(fhir_doctor, person):
    failures = []
    bodies = [
        {"resourceType": name, **extra}
        for name in REGISTRY
        for extra in (
            {},
            {"subject": {"reference": "Patient/abc"}},
            {"subject": {"reference": "Patient/²"}, "encounter": {"reference": "Encounter/²"}},
            {"subject": {"reference": f"Patient/{person.pk}"}},
            {"patient": {"reference": f"Patient/{person.pk}"}},
            {"status": "nonsense", "id": "1"},
            {"extension": [{"url": "http://x"}]},
            {"_status": "3", "_gender": "[1]"},  # fhir.resources raised AttributeError
        )
    ]
    for body in bodies:
        for method, path in (("post", body["resourceType"]), ("put", f"{body['resourceType']}/1")):
            response = getattr(fhir_doctor, method)(path, body)
            if response.status_code >= 500:
                failures.append((method, path, body, response.status_code))
    assert failures == []


def test_reads_are_in_the_access_log(fhir_doctor, person):
    before = AccessEvent.objects.filter(person=person, reason="fhir").count()
    fhir_doctor.read(f"Patient/{person.pk}")
    fhir_doctor.search("Patient", name="dupont")
    assert (
        AccessEvent.objects.filter(person=person, reason="fhir", action="read").count()
        == before + 2
    )
