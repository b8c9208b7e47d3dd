"""Patient: INS traits and FR Core reliability, search, writes with the desk's rules."""

from __future__ import annotations

import pytest

from maillage.core.models import AccessEvent
from maillage.people.actions import do_update_identity
from maillage.people.models import Person
from tests.fhir.conftest import fhir_as
from tests.fhir.examples import example

pytestmark = pytest.mark.django_db

INS = "urn:oid:1.2.250.1.213.1.4.8"
RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def status_of(resource):
    [ext] = [e for e in resource["extension"] if e["url"] == RELIABILITY]
    return {e["url"]: e for e in ext["extension"]}["identityStatus"]["valueCoding"]["code"]


def test_read_maps_the_identity(fhir_reception, person):
    patient = fhir_reception.read(f"Patient/{person.pk}")
    assert patient["name"][0] == {
        "use": "official",
        "family": "DUPONT",
        "given": ["Marie", "Louise"],
    }
    assert patient["gender"] == "female" and patient["birthDate"] == "1985-03-12"
    assert status_of(patient) == "PROV"
    assert "identifier" not in patient  # no INS for a provisional identity
    assert patient["telecom"] == [{"system": "phone", "value": "06 12 34 56 78"}]


def test_the_ins_only_for_a_qualified_identity(fhir_reception, reception, person):
    nir = "285037512345610"
    do_update_identity(
        reception, person, {"nir": nir, "identity_status": "vali", "document_type": "passport"}
    )
    patient = fhir_reception.read(f"Patient/{person.pk}")
    assert "identifier" not in patient and status_of(patient) == "VALI"
    do_update_identity(reception, person, {"identity_status": "qual"})
    patient = fhir_reception.read(f"Patient/{person.pk}")
    assert status_of(patient) == "QUAL"
    assert patient["identifier"][0]["system"] == INS and patient["identifier"][0]["value"] == nir
    assert [p["id"] for p in fhir_reception.search("Patient", identifier=f"{INS}|{nir}")] == [
        str(person.pk)
    ]


@pytest.mark.parametrize(
    "text, found",
    [
        ("stephanie", True),
        ("STÉPHANIE", True),
        ("stéphanie bérenger", True),
        ("stephanies", False),
        ("berengere", False),
        ("stephanie-marie", False),
        ("françoise", False),
    ],
)
def test_long_names_match_without_accents(fhir_reception, make_person, text, found):
    # Words longer than the index's 8-letter beginnings are checked on the normalised
    # names, so accents do not matter there either.
    stephanie = make_person(birth_name="BÉRENGER", given_names="Stéphanie Anne")
    make_person(birth_name="MARTIN", given_names="Stéphane")
    ids = {p["id"] for p in fhir_reception.search("Patient", name=text)}
    assert (str(stephanie.pk) in ids) is found


@pytest.mark.parametrize(
    "params, found",
    [
        ({"name": "dupont"}, True),
        ({"name": "dup"}, True),
        ({"name": "DUPONT marie"}, True),
        ({"name": "Louise"}, True),
        ({"name": "durand"}, False),
        ({"family": "dup"}, True),
        ({"family": "mar"}, False),
        ({"given": "mar"}, True),
        ({"birthdate": "1985"}, True),
        ({"birthdate": "1985-03-12"}, True),
        ({"birthdate": "1985-04"}, False),
        ({"birthdate": "ge1985-03-01"}, True),
        ({"birthdate": "lt1985-03-12"}, False),
        ({"birthdate": "gt1990"}, False),
        ({"gender": "female"}, True),
        ({"gender": "http://hl7.org/fhir/administrative-gender|male"}, False),
        ({"phone": "0612345678"}, True),
        ({"phone": "0700000000"}, False),
        ({"_id": "999999"}, False),
    ],
)
def test_search_parameters(fhir_reception, person, make_person, params, found):
    make_person(birth_name="DURAND", given_names="Jean", birth_year=1992)
    ids = {p["id"] for p in fhir_reception.search("Patient", **params)}
    assert (str(person.pk) in ids) is found


def test_partial_birth_dates(fhir_reception, make_person):
    year_only = make_person(birth_name="ANNEE", birth_month=None, birth_day=None, birth_year=1960)
    assert fhir_reception.read(f"Patient/{year_only.pk}")["birthDate"] == "1960"
    assert str(year_only.pk) in {
        p["id"] for p in fhir_reception.search("Patient", birthdate="1960")
    }
    # A precise searched day does not contain a birth date known only to the year.
    assert str(year_only.pk) not in {
        p["id"] for p in fhir_reception.search("Patient", birthdate="1960-05-01")
    }


def test_outsiders_see_nothing(fhir_other, fhir_anonymous, person):
    assert fhir_other.get(f"Patient/{person.pk}").status_code == 404
    assert fhir_other.search("Patient", name="dupont") == []
    assert fhir_anonymous.get(f"Patient/{person.pk}").status_code == 401


def test_a_partner_sees_only_who_granted_them(partner, person, make_person, doctor):
    from maillage.record.actions import do_record_choice

    fhir = fhir_as(partner, ("read",))
    assert fhir.search("Patient") == []
    do_record_choice(
        person,
        kind="grant",
        section="social",
        member=partner,
        user=doctor.user,
        on_behalf_by=doctor,
    )
    assert [p["id"] for p in fhir.search("Patient")] == [str(person.pk)]


def test_the_person_reads_themself_only(fhir_person, person, make_person):
    other = make_person(birth_name="AUTRE")
    assert fhir_person.read(f"Patient/{person.pk}")["id"] == str(person.pk)
    assert fhir_person.get(f"Patient/{other.pk}").status_code == 404
    assert [p["id"] for p in fhir_person.search("Patient")] == [str(person.pk)]
    event = AccessEvent.objects.filter(person=person, reason="fhir").latest("pk")
    assert event.actor_member is None and event.actor_user == person.user


def test_create_the_official_example_keeps_what_it_says(fhir_reception):
    resource = example("Patient-example")
    response = fhir_reception.post("Patient", resource)
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    assert response["Location"].endswith(f"/Patient/{created['id']}")
    person = Person.objects.get(pk=created["id"])
    # Windsor is the maiden (birth) name, Chalmers the name used.
    assert person.birth_name == "WINDSOR" and person.used_name == "CHALMERS"
    assert person.given_names == "Peter James" and person.used_given_name == "Jim"
    assert person.birth_date.iso() == "1974-12-25" and person.sex == "M"
    back = fhir_reception.read(f"Patient/{created['id']}")
    assert {(i.get("system"), i["value"]) for i in back["identifier"]} == {
        (i.get("system"), i["value"]) for i in resource["identifier"]
    }
    assert back["birthDate"] == "1974-12-25" and back["gender"] == "male"
    assert back["contact"] == resource["contact"]  # kept as sent
    assert back["active"] is True and back["deceasedBoolean"] is False
    phones = [t["value"] for t in back["telecom"] if t.get("system") == "phone"]
    assert sorted(phones) == sorted(
        t["value"] for t in resource["telecom"] if t.get("system") == "phone"
    )
    assert back["managingOrganization"] == resource["managingOrganization"]
    assert [
        p["id"]
        for p in fhir_reception.search("Patient", identifier="urn:oid:1.2.36.146.595.217.0.1|12345")
    ] == [created["id"]]


def test_create_keeps_the_desks_rules(fhir_reception, fhir_doctor):
    resource = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Test", "given": ["Ana"]}],
        "gender": "female",
        "birthDate": "1990-02-03",
        "extension": [
            {
                "url": RELIABILITY,
                "extension": [{"url": "identityStatus", "valueCoding": {"code": "QUAL"}}],
            }
        ],
    }
    response = fhir_reception.post("Patient", resource)
    assert response.status_code == 422
    assert "Patient.extension" in {i["expression"][0] for i in response.json()["issue"]}
    # A doctor reads identities but does not register persons.
    resource["extension"] = []
    assert fhir_doctor.post("Patient", resource).status_code == 403
    assert fhir_reception.post("Patient", resource).status_code == 201


def test_update_corrects_and_keeps_the_former_identity(fhir_reception, person):
    resource = fhir_reception.read(f"Patient/{person.pk}")
    resource["telecom"] = [{"system": "phone", "value": "07 00 00 00 01"}]
    response = fhir_reception.put(f"Patient/{person.pk}", resource)
    assert response.status_code == 200, response.content.decode()
    person.refresh_from_db()
    assert person.phone == "07 00 00 00 01"
    assert person.identity_versions.count() == 1
    resource["id"] = "999"
    assert fhir_reception.put(f"Patient/{person.pk}", resource).status_code == 400
