"""FHIR RelatedPerson (the entourage), Consent (the sharing choices) and AuditEvent (the
access log): reads through the policy, search parameters, writes through the actions."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_add_relation, do_end_relation
from maillage.people.models import Relation
from maillage.record import actions as record_actions
from maillage.record.models import SharingChoice
from tests.conftest import make_member
from tests.fhir.conftest import assert_outcome, fhir_as, fhir_reads, valid

A = AccessEvent.Action
ROLE_SYSTEM = "urn:maillage:codesystem:role"
SECTION_SYSTEM = "urn:maillage:codesystem:record-section"
V3 = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


# --- RelatedPerson -----------------------------------------------------------------------


@pytest.fixture
def mother(reception, person) -> Relation:
    return do_add_relation(
        reception,
        person,
        {
            "kind": "parent",
            "name": "Jeanne DUPONT",
            "phone": "06 11 22 33 44",
            "how_to_reach": "le soir",
            "team_may_contact": True,
            "is_legal_representative": True,
        },
    )


@pytest.fixture
def friend(reception, person) -> Relation:
    relation = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé ARNAUD"})
    do_end_relation(reception, relation)
    return relation


def test_related_person_read_and_search(fhir_doctor, person, mother, friend):
    before = fhir_reads(person)
    resource = fhir_doctor.read(f"RelatedPerson/{mother.pk}")
    assert resource["patient"]["reference"] == f"Patient/{person.pk}"
    assert resource["active"] is True
    assert resource["name"] == [{"text": "Jeanne DUPONT"}]
    codes = {(c["system"], c["code"]) for r in resource["relationship"] for c in r["coding"]}
    assert (V3, "PRN") in codes
    assert ("urn:maillage:codesystem:relation", "legal_representative") in codes
    assert {"system": "other", "value": "le soir"} in resource["telecom"]
    assert resource["extension"] == [
        {"url": "urn:maillage:extension:team-may-contact", "valueBoolean": True}
    ]
    assert fhir_reads(person) == before + 1

    found = fhir_doctor.search("RelatedPerson", patient=person.pk)
    assert {r["id"] for r in found} == {str(mother.pk), str(friend.pk)}
    ended = next(r for r in found if r["id"] == str(friend.pk))
    assert ended["active"] is False and ended["period"]["end"]


def test_related_person_search_parameters(fhir_doctor, make_person, person, mother, friend):
    other = make_person()
    ids = lambda **p: {r["id"] for r in fhir_doctor.search("RelatedPerson", **p)}  # noqa: E731
    assert ids(patient=other.pk) == set()
    assert ids(name="jeanne") == {str(mother.pk)}
    assert ids(name="dupont") == {str(mother.pk)}
    assert ids(name="upont") == set()
    assert ids(**{"name:contains": "upont"}) == {str(mother.pk)}
    assert ids(name="nobody") == set()
    assert ids(relationship="PRN") == {str(mother.pk)}
    assert ids(relationship=f"{V3}|FRND") == {str(friend.pk)}
    assert ids(relationship="urn:maillage:codesystem:relation|friend") == {str(friend.pk)}
    assert ids(relationship="SIB") == set()
    assert ids(active="true") == {str(mother.pk)}
    assert ids(active="false") == {str(friend.pk)}
    bundle = fhir_doctor.read("RelatedPerson", _include="RelatedPerson:patient", _id=mother.pk)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"RelatedPerson", "Patient"}


def test_related_person_outsiders(fhir_other, fhir_anonymous, fhir_person, mother, person):
    assert_outcome(fhir_other.get(f"RelatedPerson/{mother.pk}"), 404)
    assert fhir_other.search("RelatedPerson") == []
    assert_outcome(fhir_anonymous.get(f"RelatedPerson/{mother.pk}"), 401)
    # The person reads their own entourage.
    assert [r["id"] for r in fhir_person.search("RelatedPerson")] == [str(mother.pk)]


def related_person(person, **extra):
    resource = {
        "resourceType": "RelatedPerson",
        "patient": {"reference": f"Patient/{person.pk}"},
        "relationship": [{"coding": [{"system": V3, "code": "SIS"}]}],
        "name": [{"given": ["Claire"], "family": "DUPONT"}],
        "telecom": [{"system": "phone", "value": "0611223344"}],
        "extension": [{"url": "urn:maillage:extension:team-may-contact", "valueBoolean": True}],
        "gender": "female",
    }
    resource.update(extra)
    return resource


def test_related_person_create(fhir_reception, person):
    response = fhir_reception.post("RelatedPerson", related_person(person))
    assert response.status_code == 201, response.content.decode()
    created = valid(response.json())
    relation = Relation.objects.get(pk=created["id"])
    assert (relation.kind, relation.name, relation.team_may_contact) == (
        "sibling",
        "Claire DUPONT",
        True,
    )
    assert AccessEvent.objects.filter(
        person=person, action=A.CREATE, object_type="people.relation"
    ).exists()
    again = fhir_reception.read(f"RelatedPerson/{relation.pk}")
    assert again["gender"] == "female"  # kept beside the row
    assert again["relationship"][0]["coding"][0]["code"] == "SIB"


def test_related_person_refused_and_bad(fhir_doctor, fhir_reception, fhir_other, person):
    # A GP reads the administrative section but does not write it.
    assert_outcome(fhir_doctor.post("RelatedPerson", related_person(person)), 403)
    assert_outcome(fhir_other.post("RelatedPerson", related_person(person)), 403)
    body = assert_outcome(
        fhir_reception.post("RelatedPerson", related_person(person, name=[])), 422
    )
    assert body["issue"][0]["expression"] == ["RelatedPerson.name"]
    assert_outcome(
        fhir_reception.post("RelatedPerson", related_person(person, telecom="nope")), 400
    )
    assert not Relation.objects.exists()


# --- Consent -----------------------------------------------------------------------------


@pytest.fixture
def refusal(doctor, person) -> SharingChoice:
    return record_actions.do_record_choice(
        person,
        kind="refuse",
        section=Section.SOCIAL,
        role=Role.RECEPTION,
        note="à sa demande",
        user=doctor.user,
        on_behalf_by=doctor,
    )


@pytest.fixture
def grant(person, person_user, partner) -> SharingChoice:
    return record_actions.do_record_choice(
        person, kind="grant", section=Section.CLINICAL, member=partner, user=person_user
    )


def test_consent_read_and_search(fhir_doctor, person, doctor, refusal, grant):
    before = fhir_reads(person)
    resource = fhir_doctor.read(f"Consent/{refusal.pk}")
    assert resource["status"] == "active"
    assert resource["patient"]["reference"] == f"Patient/{person.pk}"
    assert resource["scope"]["coding"][0]["code"] == "patient-privacy"
    assert resource["category"][0]["coding"][0]["code"] == "59284-0"
    provision = resource["provision"]
    assert provision["type"] == "deny"
    assert provision["securityLabel"] == [
        {"system": SECTION_SYSTEM, "code": "social", "display": "Social"}
    ]
    [actor] = provision["actor"]
    assert "reference" not in actor["reference"]  # a whole role: a display only
    assert {"system": ROLE_SYSTEM, "code": "reception"} in [
        {k: c[k] for k in ("system", "code")} for c in actor["role"]["coding"]
    ]
    assert {"reference": f"PractitionerRole/{doctor.pk}"}.items() <= resource["performer"][
        1
    ].items()
    assert fhir_reads(person) == before + 1

    granted = fhir_doctor.read(f"Consent/{grant.pk}")
    assert granted["provision"]["type"] == "permit"
    assert granted["provision"]["actor"][0]["reference"]["reference"].startswith(
        "PractitionerRole/"
    )
    assert len(granted["performer"]) == 1  # recorded by the person themself

    found = fhir_doctor.search("Consent", patient=person.pk)
    assert {r["id"] for r in found} == {str(refusal.pk), str(grant.pk)}


def test_consent_search_parameters(fhir_doctor, make_person, person, doctor, refusal, grant):
    record_actions.do_withdraw_choice(grant, user=doctor.user, on_behalf_by=doctor)
    other = make_person()
    ids = lambda **p: {r["id"] for r in fhir_doctor.search("Consent", **p)}  # noqa: E731
    assert ids(patient=other.pk) == set()
    assert ids(status="active") == {str(refusal.pk)}
    assert ids(status="inactive") == {str(grant.pk)}
    today = timezone.localdate()
    assert ids(date=today.isoformat()) == {str(refusal.pk), str(grant.pk)}
    assert ids(date=f"lt{today.isoformat()}") == set()


def test_consent_who_reads(
    fhir_other, fhir_anonymous, fhir_person, person, partner, refusal, grant
):
    assert_outcome(fhir_other.get(f"Consent/{refusal.pk}"), 404)
    assert fhir_other.search("Consent") == []
    assert_outcome(fhir_anonymous.get("Consent"), 401)
    assert {r["id"] for r in fhir_person.search("Consent")} == {str(refusal.pk), str(grant.pk)}
    # An external partner sees only the choice that names them.
    assert [r["id"] for r in fhir_as(partner).search("Consent")] == [str(grant.pk)]


def consent(person, *, kind="deny", section="coordination", actor=None, status="active"):
    return {
        "resourceType": "Consent",
        "status": status,
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{person.pk}"},
        "policy": [{"uri": "urn:maillage:policy:shared-record"}],
        "provision": {
            "type": kind,
            "actor": [
                actor
                or {
                    "role": {"coding": [{"system": ROLE_SYSTEM, "code": "reception"}]},
                    "reference": {"display": "Accueil"},
                }
            ],
            "securityLabel": [{"system": SECTION_SYSTEM, "code": section}],
        },
    }


def test_consent_create_and_withdraw(fhir_doctor, fhir_reception, doctor, social_worker, person):
    response = fhir_doctor.post("Consent", consent(person))
    assert response.status_code == 201, response.content.decode()
    created = valid(response.json())
    choice = SharingChoice.objects.get(pk=created["id"])
    assert (choice.kind, choice.section, choice.role, choice.member_id) == (
        "refuse",
        "coordination",
        "reception",
        None,
    )
    assert choice.recorded_by_member == doctor

    named = {
        "role": {"coding": [{"system": ROLE_SYSTEM, "code": "social_worker"}]},
        "reference": {"reference": f"PractitionerRole/{social_worker.pk}"},
    }
    response = fhir_doctor.post(
        "Consent", consent(person, kind="permit", section="mental_health", actor=named)
    )
    assert response.status_code == 201, response.content.decode()
    assert SharingChoice.objects.get(pk=response.json()["id"]).member == social_worker

    # Reception may not lift a refusal that keeps reception out.
    withdrawn = dict(created, status="inactive")
    assert_outcome(fhir_reception.put(f"Consent/{choice.pk}", withdrawn), 403)
    response = fhir_doctor.put(f"Consent/{choice.pk}", withdrawn)
    assert response.status_code == 200, response.content.decode()
    assert valid(response.json())["status"] == "inactive"
    choice.refresh_from_db()
    assert choice.withdrawn_at is not None and choice.withdrawn_by_member == doctor
    # A withdrawn choice is not reopened.
    assert_outcome(fhir_doctor.put(f"Consent/{choice.pk}", created), 422)


def test_consent_refused_and_bad(fhir_doctor, admin_member, fhir_other, doctor, person):
    # The structure's administrator does not record choices (as on the web page).
    assert_outcome(fhir_as(admin_member).post("Consent", consent(person)), 403)
    assert_outcome(fhir_other.post("Consent", consent(person)), 403)
    # A part of the record is granted to a named member, never to a whole role.
    assert_outcome(fhir_doctor.post("Consent", consent(person, kind="permit")), 422)
    # One may not open a part of the record to oneself.
    me = {
        "role": {"coding": [{"system": ROLE_SYSTEM, "code": "gp"}]},
        "reference": {"reference": f"PractitionerRole/{doctor.pk}"},
    }
    assert_outcome(fhir_doctor.post("Consent", consent(person, kind="permit", actor=me)), 422)
    assert_outcome(fhir_doctor.post("Consent", consent(person, section="nowhere")), 422)
    no_provision = consent(person)
    del no_provision["provision"]
    assert_outcome(fhir_doctor.post("Consent", no_provision), 422)
    assert_outcome(fhir_doctor.post("Consent", dict(consent(person), status="draft")), 422)
    assert_outcome(fhir_doctor.post("Consent", dict(consent(person), dateTime="soon")), 400)
    assert not SharingChoice.objects.exists()
    # A duplicate is refused with the form's message.
    assert fhir_doctor.post("Consent", consent(person)).status_code == 201
    assert_outcome(fhir_doctor.post("Consent", consent(person)), 422)


# --- AuditEvent --------------------------------------------------------------------------


@pytest.fixture
def events(doctor, reception, person, person_user):
    """A denial, an emergency read and a read by the person, beside the registration."""
    denied = log_event(action=A.DENY, member=reception, person=person, reason="view_identity")
    flagged = log_event(
        action=A.READ,
        member=doctor,
        person=person,
        section=Section.CLINICAL,
        obj=person,
        flagged=True,
        reason="emergency",
    )
    own = log_event(action=A.READ, user=person_user, person=person, section="administrative")
    return denied, flagged, own


def test_audit_event_admin_reads_and_is_not_logged(admin_member, person, events):
    denied, flagged, own = events
    client = fhir_as(admin_member)
    before = AccessEvent.objects.count()
    resource = client.read(f"AuditEvent/{denied.pk}")
    assert resource["outcome"] == "4" and resource["action"] == "E"
    assert resource["entity"][0]["what"]["reference"] == f"Patient/{person.pk}"
    assert resource["agent"][0]["requestor"] is True
    found = client.search("AuditEvent", patient=person.pk)
    assert {str(denied.pk), str(flagged.pk), str(own.pk)} <= {r["id"] for r in found}
    by_id = {r["id"]: r for r in found}
    assert by_id[str(flagged.pk)]["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert by_id[str(own.pk)]["agent"][0]["who"]["reference"] == f"Patient/{person.pk}"
    assert by_id[str(flagged.pk)]["agent"][0]["who"]["reference"].startswith("PractitionerRole/")
    # Reading the access log does not add to it.
    assert AccessEvent.objects.count() == before


def test_audit_event_referent_and_others(
    fhir_doctor, fhir_reception, fhir_other, fhir_anonymous, fhir_person, doctor, person, events
):
    denied = events[0]
    # Neither administrator nor referent: nothing.
    assert fhir_doctor.search("AuditEvent") == []
    assert_outcome(fhir_doctor.get(f"AuditEvent/{denied.pk}"), 404)
    record_actions.do_add_to_care_team(doctor, person, doctor, referent=True)
    assert str(denied.pk) in {r["id"] for r in fhir_doctor.search("AuditEvent")}
    assert fhir_reception.search("AuditEvent") == []
    assert_outcome(fhir_other.get(f"AuditEvent/{denied.pk}"), 404)
    assert fhir_other.search("AuditEvent", patient=person.pk) == []
    assert_outcome(fhir_anonymous.get("AuditEvent"), 401)
    # The person reads their own access log.
    assert str(denied.pk) in {r["id"] for r in fhir_person.search("AuditEvent")}
    assert_outcome(fhir_doctor.post("AuditEvent", {"resourceType": "AuditEvent"}), 405)


def test_audit_event_search_parameters(
    admin_member, make_person, doctor, reception, person, events
):
    denied, flagged, own = events
    client = fhir_as(admin_member)
    other = make_person()
    ids = lambda **p: {r["id"] for r in client.search("AuditEvent", **p)}  # noqa: E731
    assert str(denied.pk) not in ids(patient=other.pk)
    assert ids(patient=other.pk)  # its registration
    assert ids(agent=f"PractitionerRole/{doctor.pk}") == {str(flagged.pk)}
    assert str(denied.pk) in ids(agent=reception.pk)
    assert str(flagged.pk) not in ids(agent=reception.pk)
    assert str(denied.pk) in ids(action="E")
    assert str(denied.pk) not in ids(action="R")
    assert {str(flagged.pk), str(own.pk)} <= ids(action="R")
    today = timezone.localdate()
    assert str(denied.pk) in ids(date=today.isoformat())
    tomorrow = today + datetime.timedelta(days=1)
    assert ids(date=f"ge{tomorrow.isoformat()}") == set()


def test_audit_event_outside_team_member(centre, person, events):
    # An external partner (not in the team) reads no access log.
    partner = make_member(centre, "paula", Role.PARTNER, "autre")
    assert fhir_as(partner).search("AuditEvent") == []
