"""``Patient/{id}/$everything``: everything the caller may read of one person, closed over
the references a program needs to resolve, validated as one R4 Bundle — on the demo's
records, which hold every kind of data — and only that."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from maillage.core.access import record_access
from maillage.core.demo import load_demo
from maillage.core.models import AccessEvent, Member
from maillage.fhir.everything import REFERENCED
from maillage.fhir.registry import REGISTRY
from maillage.people.models import Person
from maillage.record.actions import do_add_note
from maillage.record.models import Entry
from tests.fhir.conftest import FhirClient, fhir_as

pytestmark = pytest.mark.django_db


def everything(client: FhirClient, pk: int, **params) -> dict:
    response = client.get(f"Patient/{pk}/$everything", **params)
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    get_fhir_model_class("Bundle").model_validate(bundle)
    return bundle


def resources(bundle: dict, mode: str | None = None) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", []) if mode in (None, e["search"]["mode"])]


def references(value) -> set[str]:
    found = set()
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.add(value["reference"])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


@pytest.fixture
def demo():
    load_demo(persons=25)
    gp = Member.objects.get(user__username="medecin", structure__name__contains="Tilleuls")
    # The person with the most entries in their record.
    person = (
        Person.objects.filter(structure=gp.structure)
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    return gp, person


def test_everything_of_a_demo_record_is_one_valid_closed_bundle(demo):
    gp, person = demo
    client = fhir_as(gp)
    bundle = everything(client, person.pk)
    # The read is in the person's access log, once per section shown.
    logged = AccessEvent.objects.filter(person=person, reason="fhir", actor_member=gp)
    sections = {s["code"] for r in resources(bundle) for s in r.get("meta", {}).get("security", [])}
    assert sections and sections <= set(logged.values_list("section", flat=True))
    assert logged.values("section").distinct().count() == logged.count()
    matches = resources(bundle, "match")
    assert matches[0] == client.read(f"Patient/{person.pk}")
    assert bundle["total"] == len(matches)
    kinds = {r["resourceType"] for r in matches}
    assert {"Patient", "Encounter", "Observation", "CareTeam"} <= kinds, kinds
    # Each type gives what its own search gives for this person.
    for kind in kinds - {"Patient", "CareTeam", "AuditEvent"}:
        searched = {r["id"] for r in client.search(kind, patient=person.pk, _count=1000)}
        assert {r["id"] for r in matches if r["resourceType"] == kind} == searched, kind
    # Closed: every reference to a member, the structure, a room, a service or a relation
    # is in the Bundle, and no resource is there twice.
    present = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    assert len(present) == len(resources(bundle))
    wanted = {ref for ref in references(matches) if ref.split("/")[0] in REFERENCED}
    assert wanted and wanted <= present, wanted - present
    assert {r["resourceType"] for r in resources(bundle, "include")} <= set(REFERENCED)
    # Nobody else's data.
    patients = {ref for ref in references(matches) if ref.startswith("Patient/")}
    assert patients == {f"Patient/{person.pk}"}


def test_the_type_and_since_options(demo):
    gp, person = demo
    client = fhir_as(gp)
    only = everything(client, person.pk, _type="Observation,Condition")
    assert {r["resourceType"] for r in resources(only, "match")} <= {
        "Patient",
        "Observation",
        "Condition",
    }
    assert resources(only, "match")[0]["resourceType"] == "Patient"
    later = everything(client, person.pk, _since="2999-01-01")
    # Nothing changed after 2999 but what does not record when it changes: given whole.
    undated = {
        name
        for name, rt in REGISTRY.items()
        if any(p.compartment_lookup() and not p.last_updated for p in rt.parts())
    }
    kinds = [r["resourceType"] for r in resources(later, "match")]
    assert kinds[0] == "Patient" and set(kinds[1:]) <= undated
    assert set(kinds[1:]), "the demo person has a care team, at least"
    for bad in ({"_type": "Nope"}, {"_since": "yesterday"}, {"start": "2024"}, {"_count": "5"}):
        response = client.get(f"Patient/{person.pk}/$everything", **bad)
        assert response.status_code == 400, bad
        assert response.json()["resourceType"] == "OperationOutcome"
    assert (
        client.client.post(
            f"/fhir/R4/Patient/{person.pk}/$everything", **client.headers
        ).status_code
        == 405
    )


def test_who_reads_everything(
    doctor, reception, other_member, person, person_user, make_person, fhir_anonymous
):
    someone_else = make_person()
    access = record_access(doctor, person)
    do_add_note(access, section="clinical", text="Tension à revoir")
    do_add_note(access, section="clinical", text="Parle de sa voisine", concerns_third_party=True)
    # The team member reads the medical entries; reception does not.
    by_doctor = resources(everything(fhir_as(doctor), person.pk), "match")
    assert sum(r["resourceType"] == "DocumentReference" for r in by_doctor) == 2
    by_reception = resources(everything(fhir_as(reception), person.pk), "match")
    assert not [r for r in by_reception if r["resourceType"] == "DocumentReference"]
    # Another structure, a token without the read scope, nobody: refused.
    assert fhir_as(other_member).get(f"Patient/{person.pk}/$everything").status_code == 404
    no_read = fhir_as(doctor, scopes=("write",))
    assert no_read.get(f"Patient/{person.pk}/$everything").status_code == 403
    assert fhir_anonymous.get(f"Patient/{person.pk}/$everything").status_code == 401
    # The person themself reads their own, without what concerns a third party, and only
    # their own.
    session = Client()
    session.force_login(person_user)
    own = FhirClient(session)
    notes = [
        r for r in resources(everything(own, person.pk)) if r["resourceType"] == "DocumentReference"
    ]
    assert len(notes) == 1
    assert own.get(f"Patient/{someone_else.pk}/$everything").status_code == 404
    assert Entry.objects.filter(person=person).count() == 2  # nothing written by reading
