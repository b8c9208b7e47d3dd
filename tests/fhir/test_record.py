"""Encounter, Observation, Condition, MedicationStatement: the record's entries, read by
section, written with the record's rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record import actions
from maillage.record.models import Entry
from tests.conftest import make_member
from tests.fhir.conftest import fhir_as
from tests.fhir.examples import example, pointing_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(centre):
    return make_member(centre, "nina", Role.NURSE, "infirmier")


@pytest.fixture
def co_consultation(doctor, nurse, interpreter, person):
    return actions.do_record_encounter(
        record_access(doctor, person),
        actions.EncounterInput(
            kind="co_consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now() - datetime.timedelta(days=1),
            place="centre",
            place_detail="",
            duration_minutes=30,
            reason="Douleurs",
            reason_codes=["L03"],
            members=[nurse],
            interpreter=interpreter,
            interpreter_name="",
            interpreting_language="ar",
            note="",
            note_section=Section.CLINICAL,
            concerns_third_party=False,
            observations=[actions.ObservationInput("weight", Decimal("72.5"), None)],
        ),
    )


def test_a_co_consultation_has_several_participants(
    fhir_doctor, co_consultation, nurse, interpreter, person
):
    encounter = fhir_doctor.read(f"Encounter/{co_consultation.pk}")
    individuals = {
        p["individual"].get("reference"): p["type"][0]["coding"][0]["code"]
        for p in encounter["participant"]
    }
    assert individuals[f"PractitionerRole/{nurse.pk}"] == "SPRF"
    assert individuals[f"PractitionerRole/{interpreter.pk}"] == "TRANSL"
    assert encounter["subject"]["reference"] == f"Patient/{person.pk}"
    assert encounter["length"]["value"] == 30
    assert encounter["reasonCode"][0]["coding"][0]["code"] == "L03"
    [weight] = fhir_doctor.search("Observation", encounter=co_consultation.pk)
    assert weight["valueQuantity"]["value"] == 72.5 and weight["valueQuantity"]["code"] == "kg"
    assert weight["code"]["coding"][0]["code"] == "29463-7"


def test_search_and_include(fhir_doctor, co_consultation, nurse, person):
    found = fhir_doctor.search("Encounter", patient=person.pk, _include="Encounter:patient")
    assert [r["resourceType"] for r in found] == ["Encounter", "Patient"]
    assert fhir_doctor.search("Encounter", participant=f"PractitionerRole/{nurse.pk}")
    assert fhir_doctor.search("Encounter", type="co_consultation")
    assert not fhir_doctor.search("Encounter", type="home_visit")
    assert fhir_doctor.search(
        "Encounter", date=f"ge{timezone.localdate() - datetime.timedelta(days=2)}"
    )
    assert not fhir_doctor.search("Encounter", date=f"gt{timezone.localdate()}")
    assert fhir_doctor.search("Encounter", **{"reason-code": "L03"})
    assert fhir_doctor.search(
        "Observation", code="http://loinc.org|29463-7", category="vital-signs"
    )
    assert not fhir_doctor.search("Observation", code="8302-2")


def test_sections_and_refusals_apply(co_consultation, reception, social_worker, doctor, person):
    # Reception does not read the clinical section; neither does a social worker.
    assert fhir_as(reception).get(f"Encounter/{co_consultation.pk}").status_code == 404
    assert fhir_as(social_worker).search("Observation", patient=person.pk) == []
    # The person refuses the clinical section to general practitioners.
    actions.do_record_choice(
        person,
        kind="refuse",
        section=Section.CLINICAL,
        role=Role.GP,
        user=person.user or doctor.user,
        on_behalf_by=doctor,
    )
    assert fhir_as(doctor).get(f"Encounter/{co_consultation.pk}").status_code == 404


def test_outsiders_and_the_person(fhir_other, fhir_person, co_consultation, person, doctor):
    assert fhir_other.get(f"Encounter/{co_consultation.pk}").status_code == 404
    assert fhir_other.search("Encounter") == []
    assert fhir_person.read(f"Encounter/{co_consultation.pk}")["id"] == str(co_consultation.pk)
    secret = actions.do_add_problem(record_access(doctor, person), title="Confidence d'un tiers")
    Entry.objects.filter(pk=secret.pk).update(concerns_third_party=True)
    assert fhir_person.get(f"Condition/{secret.pk}").status_code == 404


def test_reads_are_logged_per_section(fhir_doctor, co_consultation, person, doctor):
    fhir_doctor.read(f"Encounter/{co_consultation.pk}")
    event = AccessEvent.objects.filter(person=person, reason="fhir").latest("pk")
    assert event.section == Section.CLINICAL and event.actor_member == doctor


def test_create_an_encounter(fhir_doctor, nurse, person):
    resource = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{person.pk}"},
        "participant": [{"individual": {"reference": f"PractitionerRole/{nurse.pk}"}}],
        "period": {"start": "2025-03-12T10:30:00+01:00", "end": "2025-03-12T11:00:00+01:00"},
        "reasonCode": [{"text": "Suivi"}],
    }
    response = fhir_doctor.post("Encounter", resource)
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    assert created["type"][0]["coding"][0]["code"] == "co_consultation"
    assert created["length"]["value"] == 30
    resource["period"]["start"] = "2099-01-01T10:00:00+01:00"
    assert fhir_doctor.post("Encounter", resource).status_code == 422


def test_create_the_official_vital_signs(fhir_doctor, person):
    for name in (
        "Observation-example",  # a weight in pounds: kept in kilograms
        "Observation-blood-pressure",
        "Observation-body-height",  # in inches: kept in centimetres
        "Observation-body-temperature",
        "Observation-heart-rate",
        "Observation-bmi",
    ):
        resource = pointing_to(example(name), person.pk, "subject")
        resource.pop("encounter", None)
        response = fhir_doctor.post("Observation", resource)
        assert response.status_code == 201, (name, response.content.decode())
        back = response.json()
        assert back["effectiveDateTime"][:10] == resource["effectiveDateTime"][:10]
        assert back.get("identifier") == resource.get("identifier")
    weight = pointing_to(example("Observation-example"), person.pk, "subject")
    weight["valueQuantity"] = {
        "value": 700,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert fhir_doctor.post("Observation", weight).status_code == 422
    weight["valueQuantity"] = {"value": 150, "unit": "stone", "code": "[stone_av]"}
    assert fhir_doctor.post("Observation", weight).status_code == 422


def test_reception_may_not_write_clinical(reception, person):
    resource = pointing_to(example("Observation-example"), person.pk, "subject")
    assert fhir_as(reception).post("Observation", resource).status_code == 403


def test_conditions_round_trip_and_correction(fhir_doctor, person):
    resource = pointing_to(example("Condition-example"), person.pk, "subject")
    resource.pop("encounter", None)
    response = fhir_doctor.post("Condition", resource)
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    assert created["code"]["text"] == "Burnt Ear"
    # The example is coded in SNOMED CT only: the code is kept and read back.
    assert {"system": "http://snomed.info/sct", "code": "39065001", "display": "Burn of ear"} in (
        created["code"]["coding"]
    )
    assert created["onsetDateTime"] == "2012-05-24"
    assert created["clinicalStatus"]["coding"][0]["code"] == "active"
    created["clinicalStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "resolved",
            }
        ]
    }
    created["code"] = {
        "coding": [{"system": "http://hl7.org/fhir/sid/icpc-2", "code": "H01"}],
        "text": "Douleur d'oreille",
    }
    response = fhir_doctor.put(f"Condition/{created['id']}", created)
    assert response.status_code == 200, response.content.decode()
    entry = Entry.objects.get(pk=created["id"])
    assert entry.status == "resolved" and entry.code == "H01" and entry.version == 2
    assert entry.versions.count() == 1  # the former text stays readable
    assert fhir_doctor.search("Condition", **{"clinical-status": "resolved", "code": "H01"})
    bad = dict(
        created, code={"coding": [{"system": "http://hl7.org/fhir/sid/icpc-2", "code": "ZZZ"}]}
    )
    assert fhir_doctor.put(f"Condition/{created['id']}", bad).status_code == 422


def test_other_codings_come_back_while_the_problem_reads_the_same(fhir_doctor, doctor, person):
    snomed = {"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}
    icpc = {"system": "http://hl7.org/fhir/sid/icpc-2", "code": "T90"}
    resource = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{person.pk}"},
        "code": {"coding": [snomed, icpc], "text": "Diabète de type 2"},
    }
    response = fhir_doctor.post("Condition", resource)
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    assert created["code"]["coding"] == [icpc, snomed]  # the record's code first, once
    entry = Entry.objects.get(pk=created["id"])
    access = record_access(doctor, person)

    # Resolved in the web page: still the same problem, the SNOMED CT coding stays.
    entry = actions.do_correct_entry(access, entry, {"status": "resolved"}, reason="guérison")
    read = fhir_doctor.read(f"Condition/{entry.pk}")
    assert snomed in read["code"]["coding"]

    # Recoded in the web page: the SNOMED CT coding no longer describes it.
    actions.do_correct_entry(access, entry, {"code": "T89"}, reason="type 1")
    read = fhir_doctor.read(f"Condition/{entry.pk}")
    assert read["code"]["coding"] == [{"system": icpc["system"], "code": "T89"}]


def test_treatments_are_medication_statements(fhir_doctor, doctor, person):
    actions.do_add_treatment(record_access(doctor, person), text="Metformine 500 mg matin et soir")
    [statement] = fhir_doctor.search("MedicationStatement", patient=person.pk, status="active")
    assert statement["medicationCodeableConcept"]["text"].startswith("Metformine")
