"""Bulk export (``$export``, ``Patient/$export``): asked by a program with the export
scope of the structure's administrator or of a member given the right (docs/adr/0010),
written by the worker as NDJSON, followed and fetched with the same token; exactly what
the member reads, logged as an export."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks import default_task_backend
from fhir.resources.R4B import get_fhir_model_class

from maillage.core import tokens
from maillage.core.access import persons_for_member, record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.fhir import export
from maillage.fhir.models import BulkExport
from maillage.record import actions
from tests.conftest import client_for, make_member
from tests.fhir.conftest import FhirClient, fhir_as

pytestmark = pytest.mark.django_db

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def exporter(admin_member) -> FhirClient:
    return fhir_as(admin_member, scopes=("read", "export"))


@pytest.fixture
def record(doctor, person, make_person):
    make_person(birth_name="MARTIN", given_names="Luc")
    access = record_access(doctor, person)
    actions.do_add_note(access, section=Section.CLINICAL, text="Tension à revoir")
    return person


def kickoff(client: FhirClient, path: str = "$export", capture=None, **params):
    headers = {**client.headers, **ASYNC}
    if capture is None:
        return client.client.get(f"/fhir/R4/{path}", params, **headers)
    with capture(execute=True):
        return client.client.get(f"/fhir/R4/{path}", params, **headers)


def status(client: FhirClient, location: str):
    return client.client.get(location, **client.headers)


@pytest.fixture(autouse=True)
def empty_queue():
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def run_worker() -> None:
    """What ``maillage worker`` does with the queue (the tests' backend only records what
    is queued): run each queued task, once."""
    queued = list(default_task_backend.results)
    default_task_backend.clear()
    for result in queued:
        result.task.call(*result.args)


def fetch(client: FhirClient, url: str) -> list[dict]:
    response = client.client.get(url, **client.headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    resources = [json.loads(line) for line in lines]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resources


def test_a_system_export_end_to_end(
    exporter, admin_member, record, django_capture_on_commit_callbacks
):
    response = kickoff(exporter, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content.decode()
    location = response["Content-Location"]
    assert "/fhir/R4/$export-status/" in location
    waiting = status(exporter, location)
    assert waiting.status_code == 202 and waiting["Retry-After"] and waiting["X-Progress"]

    run_worker()
    done = status(exporter, location)
    assert done.status_code == 200, done.content.decode()
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    files = {item["type"]: item for item in manifest["output"]}
    patients = fetch(exporter, files["Patient"]["url"])
    expected = {str(pk) for pk in persons_for_member(admin_member).values_list("pk", flat=True)}
    assert {p["id"] for p in patients} == expected
    assert files["Patient"]["count"] == len(patients)
    assert "Organization" in files and "PractitionerRole" in files
    # The administrator does not read the clinical part: no note is exported.
    assert "DocumentReference" not in files
    logged = AccessEvent.objects.filter(
        action="export", reason="fhir_export", actor_member=admin_member
    )
    assert set(logged.values_list("person_id", flat=True)) == set(map(int, expected))


def test_a_patient_export_keeps_the_compartments_types(
    exporter, record, django_capture_on_commit_callbacks
):
    response = kickoff(
        exporter, "Patient/$export", django_capture_on_commit_callbacks, _type="Patient,Consent"
    )
    assert response.status_code == 202
    run_worker()
    manifest = status(exporter, response["Content-Location"]).json()
    assert {item["type"] for item in manifest["output"]} == {"Patient"}
    refused = kickoff(exporter, "Patient/$export", _type="Organization")
    assert refused.status_code == 400
    assert refused.json()["resourceType"] == "OperationOutcome"


def test_since_keeps_what_changed(exporter, record, django_capture_on_commit_callbacks):
    later = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = kickoff(exporter, "$export", django_capture_on_commit_callbacks, _since=later)
    run_worker()
    manifest = status(exporter, response["Content-Location"]).json()
    assert "Patient" not in {item["type"] for item in manifest["output"]}


def test_bad_requests_are_refused_precisely(exporter):
    no_async = exporter.client.get("/fhir/R4/$export", **exporter.headers)
    assert no_async.status_code == 400
    for params in (
        {"_outputFormat": "application/fhir+json"},
        {"_type": "Nope"},
        {"_since": "hier"},
        {"_typeFilter": "Patient?active=true"},
    ):
        response = kickoff(exporter, **params)
        assert response.status_code == 400, params
        assert response.json()["issue"][0]["diagnostics"]
    assert exporter.client.post("/fhir/R4/$export", **exporter.headers).status_code == 405


def test_who_may_export(admin_member, doctor, fhir_anonymous, fhir_person, record):
    # Only the administrator may hold the export scope; a read token is not enough.
    with pytest.raises(PermissionDenied):
        tokens.do_create_token(doctor, name="x", scopes=["read", "export"])
    assert "export" not in tokens.scopes_for(doctor)
    page = client_for(doctor.user).get("/compte/jetons/").content.decode()
    assert 'value="export"' not in page
    assert 'value="export"' in client_for(admin_member.user).get("/compte/jetons/").content.decode()
    assert kickoff(fhir_as(admin_member, scopes=("read",))).status_code == 403
    assert kickoff(fhir_anonymous).status_code == 401
    # A person's session cannot export either.
    assert fhir_person.client.get("/fhir/R4/$export", **ASYNC).status_code == 403


def test_a_member_given_the_right_exports_what_they_read(
    admin_member, doctor, record, django_capture_on_commit_callbacks
):
    from maillage.core.actions import do_set_export_right

    do_set_export_right(admin_member, doctor, may_export=True)
    assert "export" in tokens.scopes_for(doctor)
    # A second clinical resource of the same person, of another type (a Condition).
    actions.do_add_problem(
        record_access(doctor, record),
        title="Asthme",
        section=Section.CLINICAL,
        code="R96",
        code_system="icpc2",
        onset=None,
        text="",
    )
    gp = fhir_as(doctor, scopes=("read", "export"))
    response = kickoff(gp, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content.decode()
    run_worker()
    manifest = status(gp, response["Content-Location"]).json()
    files = {item["type"]: item for item in manifest["output"]}
    # The GP reads the clinical part: the note is in the export.
    notes = fetch(gp, files["DocumentReference"]["url"])
    assert any(str(record.pk) in n["subject"]["reference"] for n in notes)
    # One export event per person and section, however many resources of it left.
    events = AccessEvent.objects.filter(action="export", actor_member=doctor)
    pairs = list(events.values_list("person_id", "section"))
    assert "Condition" in files
    assert (record.pk, Section.CLINICAL) in pairs and len(pairs) == len(set(pairs))

    # Withdrawn: the token's export scope no longer works, and a queued export stops.
    queued = kickoff(gp, capture=django_capture_on_commit_callbacks)
    assert queued.status_code == 202
    do_set_export_right(admin_member, doctor, may_export=False)
    run_worker()
    assert BulkExport.objects.get(pk=queued["Content-Location"].rsplit("/", 1)[1]).status == (
        BulkExport.Status.FAILED
    )
    assert kickoff(gp).status_code == 403
    assert "export" not in tokens.scopes_for(doctor)


def test_one_export_at_a_time_cancel_and_other_teams(
    exporter, other_centre, record, django_capture_on_commit_callbacks
):
    first = kickoff(exporter, capture=django_capture_on_commit_callbacks)
    assert first.status_code == 202
    busy = kickoff(exporter)
    assert busy.status_code == 429 and busy["Retry-After"]
    location = first["Content-Location"]
    # Another structure's administrator does not see this export.
    other_admin = make_member(other_centre, "autre-admin", Role.ADMIN, "directeur")
    assert status(fhir_as(other_admin, scopes=("read", "export")), location).status_code == 404
    cancelled = exporter.client.delete(location, **exporter.headers)
    assert cancelled.status_code == 202
    assert status(exporter, location).status_code == 404
    run_worker()  # the queued task finds it cancelled and writes nothing
    job = BulkExport.objects.get()
    assert job.status == BulkExport.Status.CANCELLED
    assert not export.export_folder(job).exists()


def test_files_expire(exporter, record, django_capture_on_commit_callbacks, settings):
    response = kickoff(exporter, capture=django_capture_on_commit_callbacks)
    run_worker()
    job = BulkExport.objects.get()
    assert export.export_folder(job).is_dir()
    later = timezone.now() + datetime.timedelta(days=settings.FHIR_EXPORT_DAYS, hours=1)
    assert export.purge_expired(later) == 1
    assert not export.export_folder(job).exists()
    assert status(exporter, response["Content-Location"]).status_code == 404
    assert export.purge_expired(later) == 0
