"""FHIR DocumentReference: the record's documents and notes, read through the policy,
searched, and notes written through the note action."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.record import actions
from maillage.record.models import Entry
from tests.fhir.conftest import assert_outcome, fhir_reads, valid
from tests.record.files import add_pdf, tiny_pdf

pytestmark = pytest.mark.usefixtures("remove_stored_files")

A = AccessEvent.Action
SECTION_SYSTEM = "urn:maillage:codesystem:record-section"
LOINC = "http://loinc.org"


@pytest.fixture
def entries(doctor, social_worker, person):
    """A clinical note, an encounter with its note, a lab result, a social note and a note
    about a third party."""
    access = record_access(doctor, person)
    note = actions.do_add_note(access, section=Section.CLINICAL, text="Tension élevée.")
    encounter = actions.do_record_encounter(
        access,
        actions.EncounterInput(
            kind="consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now(),
            note="Suivi de la tension.",
        ),
    )
    in_encounter = encounter.children.get()
    document = add_pdf(access, title="Bilan sanguin")
    social = actions.do_add_note(
        record_access(social_worker, person), section=Section.SOCIAL, text="Dossier CSS."
    )
    third = actions.do_add_note(
        access, section=Section.CLINICAL, text="Sa sœur dit que…", concerns_third_party=True
    )
    return {
        "note": note,
        "encounter": encounter,
        "in_encounter": in_encounter,
        "document": document,
        "social": social,
        "third": third,
    }


def ids(client, **params):
    return {r["id"] for r in client.search("DocumentReference", **params)}


def test_note_and_document_read(fhir_doctor, doctor, person, entries):
    before = fhir_reads(person, Section.CLINICAL)
    note = fhir_doctor.read(f"DocumentReference/{entries['note'].pk}")
    attachment = note["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(attachment["data"]).decode() == "Tension élevée."
    assert note["type"]["coding"][0] == {
        "system": LOINC,
        "code": "11506-3",
        "display": "Progress note",
    }
    assert note["category"][0]["coding"][0]["code"] == "clinical"
    assert note["subject"]["reference"] == f"Patient/{person.pk}"
    assert note["author"][0]["reference"] == f"PractitionerRole/{doctor.pk}"
    assert note["status"] == "current" and note["meta"]["versionId"] == "1"
    assert fhir_reads(person, Section.CLINICAL) == before + 1

    inside = fhir_doctor.read(f"DocumentReference/{entries['in_encounter'].pk}")
    assert inside["context"]["encounter"] == [{"reference": f"Encounter/{entries['encounter'].pk}"}]

    document = fhir_doctor.read(f"DocumentReference/{entries['document'].pk}")
    attachment = document["content"][0]["attachment"]
    assert attachment["title"] == "bilan-sanguin.pdf"
    assert attachment["contentType"] == "application/pdf"
    assert attachment["size"] == len(tiny_pdf())
    assert attachment["url"] == (
        f"http://testserver/api/persons/{person.pk}/documents/{entries['document'].pk}/file"
    )
    assert document["type"]["coding"][0]["code"] == "11502-2"
    # The link is the API's authenticated download: the same token opens it.
    response = fhir_doctor.client.get(attachment["url"], **fhir_doctor.headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == tiny_pdf()


def test_corrected_note_keeps_its_version(fhir_doctor, doctor, person, entries):
    actions.do_correct_entry(
        record_access(doctor, person), entries["note"], {"text": "Tension normale."}, "erreur"
    )
    response = fhir_doctor.get(f"DocumentReference/{entries['note'].pk}")
    assert response["ETag"] == 'W/"2"'
    note = valid(response.json())
    assert note["meta"]["versionId"] == "2" and note["docStatus"] == "amended"
    data = note["content"][0]["attachment"]["data"]
    assert base64.b64decode(data).decode() == "Tension normale."


def test_search_parameters(fhir_doctor, make_person, person, entries):
    other = make_person()
    clinical = {str(entries[k].pk) for k in ("note", "in_encounter", "document", "third")}
    everything = clinical | {str(entries["social"].pk)}
    assert ids(fhir_doctor, patient=person.pk) == everything
    assert ids(fhir_doctor, subject=f"Patient/{person.pk}") == everything
    assert ids(fhir_doctor, subject=other.pk) == set()
    assert ids(fhir_doctor, category=f"{SECTION_SYSTEM}|social") == {str(entries["social"].pk)}
    assert ids(fhir_doctor, category="mental_health") == set()
    assert ids(fhir_doctor, type="11502-2") == {str(entries["document"].pk)}
    assert ids(fhir_doctor, type="urn:maillage:codesystem:document-type|prescription") == set()
    assert ids(fhir_doctor, type=f"{LOINC}|11506-3") == everything - {str(entries["document"].pk)}
    assert ids(fhir_doctor, status="current") == everything
    assert ids(fhir_doctor, status="superseded") == set()
    assert ids(fhir_doctor, encounter=entries["encounter"].pk) == {str(entries["in_encounter"].pk)}
    assert ids(fhir_doctor, encounter=entries["note"].pk) == set()
    today = timezone.localdate()
    assert ids(fhir_doctor, date=today.isoformat()) == everything
    assert ids(fhir_doctor, date=f"lt{today.isoformat()}") == set()
    bundle = fhir_doctor.read(
        "DocumentReference", _id=entries["note"].pk, _include="DocumentReference:author"
    )
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "DocumentReference",
        "PractitionerRole",
    ]


def test_who_reads(
    fhir_reception, fhir_other, fhir_anonymous, fhir_person, social_worker, person, entries
):
    # Reception reads neither the clinical nor the social section.
    assert ids(fhir_reception) == set()
    assert_outcome(fhir_reception.get(f"DocumentReference/{entries['note'].pk}"), 404)
    assert_outcome(fhir_other.get(f"DocumentReference/{entries['note'].pk}"), 404)
    assert ids(fhir_other) == set()
    assert_outcome(fhir_anonymous.get("DocumentReference"), 401)
    # The person reads everything but what concerns a third party; their own download.
    seen = fhir_person.search("DocumentReference")
    assert {r["id"] for r in seen} == {
        str(entries[k].pk) for k in ("note", "in_encounter", "document", "social")
    }
    document = next(r for r in seen if r["id"] == str(entries["document"].pk))
    url = document["content"][0]["attachment"]["url"]
    assert url == f"http://testserver/mon-espace/documents/{entries['document'].pk}/"
    assert fhir_person.client.get(url).status_code == 200


def note_resource(person, text="Revue du traitement.", section="clinical", **extra):
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "11506-3"}]},
        "category": [{"coding": [{"system": SECTION_SYSTEM, "code": section}]}],
        "subject": {"reference": f"Patient/{person.pk}"},
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
        "description": "écrit depuis un logiciel",
    }
    resource.update(extra)
    return resource


def test_create_note(fhir_doctor, doctor, person, entries):
    response = fhir_doctor.post("DocumentReference", note_resource(person))
    assert response.status_code == 201, response.content.decode()
    created = valid(response.json())
    entry = Entry.objects.get(pk=created["id"])
    assert (entry.kind, entry.section, entry.text, entry.author) == (
        "note",
        "clinical",
        "Revue du traitement.",
        doctor,
    )
    assert created["description"] == "écrit depuis un logiciel"  # kept beside the row
    assert AccessEvent.objects.filter(
        person=person, action=A.CREATE, section="clinical", object_id=str(entry.pk)
    ).exists()
    encounter = entries["encounter"]
    in_encounter = note_resource(
        person, context={"encounter": [{"reference": f"Encounter/{encounter.pk}"}]}
    )
    response = fhir_doctor.post("DocumentReference", in_encounter)
    assert response.status_code == 201, response.content.decode()
    assert Entry.objects.get(pk=response.json()["id"]).parent == encounter
    assert fhir_doctor.read(f"DocumentReference/{entry.pk}")["id"] == str(entry.pk)


def test_create_refused_and_bad(fhir_doctor, fhir_reception, fhir_other, person, entries):
    count = Entry.objects.count()
    # Reception does not write in the clinical section; nor another structure.
    assert_outcome(fhir_reception.post("DocumentReference", note_resource(person)), 403)
    assert_outcome(fhir_other.post("DocumentReference", note_resource(person)), 403)
    # A GP does not write in the social section.
    assert_outcome(
        fhir_doctor.post("DocumentReference", note_resource(person, section="social")), 403
    )
    bad_data = note_resource(person)
    bad_data["content"][0]["attachment"]["data"] = "***"
    assert_outcome(fhir_doctor.post("DocumentReference", bad_data), 400)
    document = note_resource(person)
    document["content"][0]["attachment"] = {"contentType": "application/pdf", "url": "x.pdf"}
    assert_outcome(fhir_doctor.post("DocumentReference", document), 422)
    assert_outcome(fhir_doctor.post("DocumentReference", note_resource(person, category=[])), 422)
    assert_outcome(fhir_doctor.post("DocumentReference", note_resource(person, text="   ")), 422)
    unknown = note_resource(
        person, context={"encounter": [{"reference": f"Encounter/{entries['note'].pk}"}]}
    )
    assert_outcome(fhir_doctor.post("DocumentReference", unknown), 422)
    assert_outcome(fhir_doctor.post("DocumentReference", note_resource(person, date="hier")), 400)
    assert Entry.objects.count() == count


def test_dates_are_instants(fhir_doctor, entries):
    note = fhir_doctor.read(f"DocumentReference/{entries['note'].pk}")
    assert datetime.datetime.fromisoformat(note["date"]).tzinfo is not None
