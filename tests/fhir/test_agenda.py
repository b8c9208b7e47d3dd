"""Appointment and Location: who reads an appointment and its reason, the participants
(the interpreter as TRANSL), search, booking with the form's rules and the conflicts,
status updates along the desk's day."""

from __future__ import annotations

import datetime

import pytest

from maillage.agenda import queries
from maillage.agenda.models import Appointment, MemberLanguage, Room
from maillage.core.models import AccessEvent
from maillage.fhir.caller import Caller
from maillage.fhir.resources.agenda import AppointmentType
from tests.agenda.conftest import at
from tests.conftest import make_member
from tests.fhir.conftest import fhir_as, valid

pytestmark = pytest.mark.django_db

KIND = "urn:maillage:codesystem:appointment-kind"
DESK = "urn:maillage:codesystem:appointment-status"
TRANSL = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


@pytest.fixture
def arabic_interpreter(interpreter):
    MemberLanguage.objects.create(member=interpreter, language="ar")
    return interpreter


@pytest.fixture
def appointment(book, doctor, arabic_interpreter, room, person):
    return book(
        [doctor],
        at(3, 10),
        person=person,
        room=room,
        reason="Douleurs au dos",
        reception_notes="Apporter les radios",
        interpreting="on_site",
        language="ar",
        interpreter=arabic_interpreter,
    )


def actors(resource):
    return [p.get("actor", {}).get("reference") for p in resource["participant"]]


def by_reference(resource, prefix):
    return [
        p
        for p in resource["participant"]
        if (p.get("actor") or {}).get("reference", "").startswith(prefix)
    ]


def ids(resources, kind="Appointment"):
    return {r["id"] for r in resources if r["resourceType"] == kind}


# --- Reading ---------------------------------------------------------------------------


def test_read_maps_the_appointment(
    fhir_doctor, doctor, appointment, person, room, arabic_interpreter
):
    resource = fhir_doctor.read(f"Appointment/{appointment.pk}")
    assert resource["status"] == "booked"
    assert resource["meta"]["tag"][0]["code"] == "expected"
    assert resource["appointmentType"]["coding"][0]["system"] == KIND
    assert resource["appointmentType"]["coding"][0]["code"] == "consultation"
    assert resource["description"] == "Douleurs au dos"
    assert resource["comment"] == "Apporter les radios"
    assert resource["minutesDuration"] == 30
    assert set(actors(resource)) == {
        f"Patient/{person.pk}",
        f"PractitionerRole/{doctor.pk}",
        f"PractitionerRole/{arabic_interpreter.pk}",
        f"Location/room-{room.pk}",
    }
    [translator] = by_reference(resource, f"PractitionerRole/{arabic_interpreter.pk}")
    assert translator["type"][0]["coding"][0] == {
        "system": TRANSL,
        "code": "TRANSL",
        "display": "Translator",
    }
    assert "arabe" in translator["type"][0]["text"].lower()
    assert all(p["required"] == "required" for p in resource["participant"])
    # Reading the appointment of a registered person is a read of their coordination section.
    assert AccessEvent.objects.filter(
        person=person, section="coordination", reason="fhir", actor_member=doctor, action="read"
    ).exists()


def test_the_reason_follows_the_agenda_rule(
    appointment, admin_member, arabic_interpreter, reception, doctor
):
    # The administrator sees the agendas, not the coordination section: no reason.
    hidden = fhir_as(admin_member).read(f"Appointment/{appointment.pk}")
    assert "description" not in hidden and "comment" not in hidden
    assert f"Patient/{appointment.person_id}" in actors(hidden)
    # The interpreter takes part: they read it.
    shown = fhir_as(arabic_interpreter).read(f"Appointment/{appointment.pk}")
    assert shown["description"] == "Douleurs au dos"
    # The same answer as the agenda's own rule, for every member.
    rt = AppointmentType()
    for member in (admin_member, arabic_interpreter, reception, doctor):
        row = rt.readable(Caller(member=member)).get(pk=appointment.pk)
        expected = appointment.pk in queries.readable_reasons(member, [appointment])
        assert row.fhir_reason_shown is expected


def test_someone_not_registered_yet(book, doctor, fhir_reception):
    booked = book(
        [doctor], at(4, 9), unregistered_name="Nouvelle Personne", reason="Premier contact"
    )
    resource = fhir_reception.read(f"Appointment/{booked.pk}")
    [who] = [p for p in resource["participant"] if p["actor"].get("type") == "Patient"]
    assert who["actor"] == {"type": "Patient", "display": "Nouvelle Personne"}
    assert resource["description"] == "Premier contact"  # who books reads what was booked
    assert not AccessEvent.objects.filter(reason="fhir").exists()  # nobody's record


def test_the_person_reads_their_own_appointments(
    fhir_person, appointment, book, doctor, make_person
):
    other = book([doctor], at(5, 9), person=make_person())
    resource = fhir_person.read(f"Appointment/{appointment.pk}")
    assert resource["description"] == "Douleurs au dos"
    assert "comment" not in resource  # the team's notes for reception
    assert ids(fhir_person.search("Appointment")) == {str(appointment.pk)}
    assert fhir_person.get(f"Appointment/{other.pk}").status_code == 404
    assert AccessEvent.objects.filter(
        person=appointment.person, section="coordination", reason="fhir", actor_member=None
    ).exists()
    # The person reads; booking is the team's.
    response = fhir_person.post("Appointment", booking(appointment.person, [doctor], at(2, 10)))
    assert response.status_code == 403


def test_outsiders(fhir_other, fhir_anonymous, partner, appointment):
    assert fhir_other.get(f"Appointment/{appointment.pk}").status_code == 404
    assert fhir_other.search("Appointment") == []
    assert fhir_as(partner).search("Appointment") == []
    response = fhir_anonymous.get(f"Appointment/{appointment.pk}")
    assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"
    assert fhir_anonymous.get("Appointment").status_code == 401


# --- Searching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, found",
    [
        ({"patient": "Patient/{person}"}, True),
        ({"patient": "{other}"}, False),
        ({"actor": "Patient/{person}"}, True),
        ({"actor": "Location/room-{room}"}, True),
        ({"actor": "Location/room-{room2}"}, False),
        ({"date": "{day}"}, True),
        ({"date": "gt{day}"}, False),
        ({"status": "booked"}, True),
        ({"status": "cancelled"}, False),
        ({"status": f"{DESK}|expected"}, True),
        ({"status": "http://hl7.org/fhir/appointmentstatus|fulfilled"}, False),
        ({"practitioner": "Practitioner/{doctor}"}, True),
        ({"practitioner": "PractitionerRole/{interpreter}"}, True),
        ({"practitioner": "{social}"}, False),
        ({"location": "Location/room-{room}"}, True),
        ({"location": "room-{room2}"}, False),
        ({"appointment-type": f"{KIND}|consultation"}, True),
        ({"appointment-type": "home_visit"}, False),
    ],
)
def test_search_parameters(
    fhir_reception,
    appointment,
    book,
    social_worker,
    make_person,
    doctor,
    arabic_interpreter,
    params,
    found,
):
    room2 = Room.objects.create(structure_id=appointment.structure_id, name="Salle 2")
    other = make_person(birth_name="AUTRE")
    book([social_worker], at(6, 11), person=other, room=room2, kind="home_visit")
    values = {
        "person": appointment.person_id,
        "other": other.pk,
        "room": appointment.room_id,
        "room2": room2.pk,
        "day": at(3, 0).date().isoformat(),
        "doctor": doctor.pk,
        "interpreter": arabic_interpreter.pk,
        "social": social_worker.pk,
    }
    query = {k: v.format(**values) for k, v in params.items()}
    assert (str(appointment.pk) in ids(fhir_reception.search("Appointment", **query))) is found


def test_search_refuses_what_it_cannot_do(fhir_reception, appointment):
    assert fhir_reception.get("Appointment", actor="PractitionerRole/1").status_code == 400
    assert fhir_reception.get("Appointment", reason="x").status_code == 400


def test_include_the_person_the_room_and_the_members(
    fhir_reception, appointment, person, room, doctor, arabic_interpreter
):
    found = fhir_reception.search(
        "Appointment",
        _include=["Appointment:patient", "Appointment:location", "Appointment:practitioner"],
    )
    assert ids(found) == {str(appointment.pk)}
    assert ids(found, "Patient") == {str(person.pk)}
    assert ids(found, "Location") == {f"room-{room.pk}"}
    assert ids(found, "Practitioner") == {str(doctor.pk), str(arabic_interpreter.pk)}


# --- Booking ---------------------------------------------------------------------------


def booking(person, members, start, minutes=30, **more):
    resource = {
        "resourceType": "Appointment",
        "status": "booked",
        "appointmentType": {"coding": [{"system": KIND, "code": "consultation"}]},
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(minutes=minutes)).isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{person.pk}"}, "status": "accepted"},
            *[
                {"actor": {"reference": f"PractitionerRole/{m.pk}"}, "status": "accepted"}
                for m in members
            ],
        ],
    }
    resource.update(more)
    return resource


def test_create_round_trip(fhir_reception, reception, doctor, person, room, arabic_interpreter):
    resource = booking(person, [doctor], at(2, 14), 45, description="Suivi", comment="Fauteuil")
    resource["participant"] += [
        {"actor": {"reference": f"Location/room-{room.pk}"}, "status": "accepted"},
        {
            "type": [
                {
                    "coding": [
                        {"system": TRANSL, "code": "TRANSL"},
                        {"system": "urn:maillage:codesystem:interpreting", "code": "phone"},
                    ]
                },
                {"coding": [{"system": "urn:ietf:bcp:47", "code": "ar"}]},
            ],
            "actor": {"reference": f"PractitionerRole/{arabic_interpreter.pk}"},
            "status": "accepted",
        },
    ]
    resource["identifier"] = [{"system": "urn:example:booking", "value": "B-12"}]
    response = fhir_reception.post("Appointment", resource)
    assert response.status_code == 201, response.content.decode()
    created = valid(response.json())
    booked = Appointment.objects.get(pk=created["id"])
    assert (booked.person_id, booked.room_id, booked.kind) == (person.pk, room.pk, "consultation")
    assert (booked.interpreting, booked.language, booked.interpreter_id) == (
        "phone",
        "ar",
        arabic_interpreter.pk,
    )
    assert (booked.reason, booked.reception_notes, booked.duration_minutes) == (
        "Suivi",
        "Fauteuil",
        45,
    )
    assert created["description"] == "Suivi" and created["start"] == resource["start"]
    assert {"system": "urn:example:booking", "value": "B-12"} in created["identifier"]
    assert AccessEvent.objects.filter(
        person=person, section="coordination", action="create", object_id=str(booked.pk)
    ).exists()


def test_create_for_someone_not_registered_at_a_place(fhir_reception, social_worker):
    resource = {
        "resourceType": "Appointment",
        "status": "booked",
        "appointmentType": {"coding": [{"system": KIND, "code": "home_visit"}]},
        "start": at(2, 9).isoformat(),
        "minutesDuration": 60,
        "participant": [
            {"actor": {"type": "Patient", "display": "Nouvelle Personne"}, "status": "accepted"},
            {"actor": {"reference": f"PractitionerRole/{social_worker.pk}"}, "status": "accepted"},
            {"actor": {"type": "Location", "display": "12 rue des Lilas"}, "status": "accepted"},
        ],
    }
    response = fhir_reception.post("Appointment", resource)
    assert response.status_code == 201, response.content.decode()
    booked = Appointment.objects.get(pk=response.json()["id"])
    assert (booked.unregistered_name, booked.place, booked.person_id) == (
        "Nouvelle Personne",
        "12 rue des Lilas",
        None,
    )


def test_a_slot_taken_is_a_conflict(fhir_reception, appointment, doctor, make_person):
    response = fhir_reception.post("Appointment", booking(make_person(), [doctor], at(3, 10, 15)))
    assert response.status_code == 409
    outcome = response.json()
    assert (
        outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "conflict"
    )
    assert doctor.display_name in outcome["issue"][0]["diagnostics"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    "change, status, where",
    [
        ({"appointmentType": {"text": "?"}}, 422, "Appointment.appointmentType"),
        ({"minutes": 25}, 422, "Appointment.end"),
        ({"status": "proposed"}, 422, "Appointment.status"),
        ({"kind": "co_consultation"}, 422, "Appointment.participant"),
        ({"no_person": True}, 422, "Appointment.participant"),
        ({"start": "demain"}, 400, ""),
    ],
)
def test_bad_bookings(fhir_reception, doctor, person, change, status, where):
    resource = booking(person, [doctor], at(2, 10), change.pop("minutes", 30))
    if change.pop("no_person", False):
        resource["participant"] = resource["participant"][1:]
    if "kind" in change:
        resource["appointmentType"]["coding"][0]["code"] = change.pop("kind")
    resource.update(change)
    response = fhir_reception.post("Appointment", resource)
    assert response.status_code == status, response.content.decode()
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    if where:
        assert outcome["issue"][0]["expression"] == [where]
    assert Appointment.objects.count() == 0


def test_who_may_not_book(arabic_interpreter, doctor, person, other_member):
    response = fhir_as(arabic_interpreter).post("Appointment", booking(person, [doctor], at(2, 10)))
    assert response.status_code == 403 and response.json()["issue"][0]["code"] == "forbidden"
    response = fhir_as(doctor, scopes=("read",)).post(
        "Appointment", booking(person, [doctor], at(2, 10))
    )
    assert response.status_code == 403
    # A person of another structure cannot be booked.
    response = fhir_as(other_member).post("Appointment", booking(person, [doctor], at(2, 10)))
    assert response.status_code in {403, 422}
    assert Appointment.objects.count() == 0


@pytest.fixture
def interpreting_services(centre, other_centre):
    from maillage.territory import actions as territory
    from maillage.territory import datainclusion as di
    from maillage.territory.models import Service
    from tests.territory.data import as_json

    for owner in (centre, other_centre):
        territory.do_import_directory(owner, di.parse([("d.json", as_json())]))
    Service.objects.filter(di_id="essai--psy").update(interpreting=True)
    return {s.owner_id: s for s in Service.objects.filter(di_id="essai--psy")}


def test_book_an_interpreting_service_of_the_directory(
    fhir_reception, doctor, person, centre, other_centre, interpreting_services
):
    def with_service(service):
        resource = booking(person, [doctor], at(2, 15))
        resource["participant"].append(
            {
                "type": [{"coding": [{"system": TRANSL, "code": "TRANSL"}]}],
                "actor": {"reference": f"HealthcareService/{service.pk}"},
                "status": "accepted",
            }
        )
        return resource

    # Another structure's directory is not this one's.
    response = fhir_reception.post(
        "Appointment", with_service(interpreting_services[other_centre.pk])
    )
    assert response.status_code == 422 and response.json()["issue"][0]["code"] == "not-found"
    # No language given, none known for the person: the form asks for it.
    response = fhir_reception.post("Appointment", with_service(interpreting_services[centre.pk]))
    assert response.status_code == 422, response.content.decode()
    person.interpreter_needed, person.interpreting_language = True, "ps"
    person.save()
    response = fhir_reception.post("Appointment", with_service(interpreting_services[centre.pk]))
    assert response.status_code == 201, response.content.decode()
    booked = Appointment.objects.get(pk=response.json()["id"])
    assert (booked.interpreter_service_id, booked.language, booked.interpreting) == (
        interpreting_services[centre.pk].pk,
        "ps",
        "on_site",
    )
    [service] = by_reference(response.json(), "HealthcareService/")
    assert service["type"][0]["coding"][0]["code"] == "TRANSL" and service["status"] == "accepted"


# --- Updating the status -------------------------------------------------------------------


def test_the_desk_moves_the_day_along(fhir_reception, fhir_doctor, appointment):
    path = f"Appointment/{appointment.pk}"
    resource = fhir_reception.read(path)
    resource["status"] = "arrived"
    response = fhir_reception.put(path, resource)
    assert response.status_code == 200, response.content.decode()
    assert valid(response.json())["status"] == "arrived"
    appointment.refresh_from_db()
    assert appointment.status == "arrived" and appointment.arrived_at is not None
    # checked-in: to the waiting room; the tag names the desk's status.
    resource = fhir_reception.read(path)
    resource["status"] = "checked-in"
    assert fhir_reception.put(path, resource).json()["meta"]["tag"][0]["code"] == "waiting"
    # The doctor takes part: calls the person in (the tag tells in consultation apart).
    resource = fhir_doctor.read(path)
    resource["meta"]["tag"] = [{"system": DESK, "code": "in_consultation"}]
    response = fhir_doctor.put(path, resource)
    assert (
        response.status_code == 200
        and response.json()["meta"]["tag"][0]["code"] == "in_consultation"
    )
    resource = fhir_doctor.read(path)
    resource["status"] = "fulfilled"
    assert fhir_doctor.put(path, resource).json()["status"] == "fulfilled"
    appointment.refresh_from_db()
    assert appointment.status == "seen"


def test_status_updates_refused(fhir_reception, fhir_doctor, appointment, admin_member):
    path = f"Appointment/{appointment.pk}"
    resource = fhir_doctor.read(path)
    # A member who takes part does not mark the arrival: the desk does.
    resource["status"] = "arrived"
    response = fhir_doctor.put(path, resource)
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    # Expected → seen is not a step of the desk's day.
    resource["status"] = "fulfilled"
    response = fhir_reception.put(path, resource)
    assert response.status_code == 422 and response.json()["issue"][0]["expression"] == [
        "Appointment.status"
    ]
    # Moving is done on the appointment's page.
    resource = fhir_reception.read(path)
    resource["start"] = at(3, 11).isoformat()
    resource["end"] = at(3, 11, 30).isoformat()
    assert fhir_reception.put(path, resource).status_code == 422
    # A status FHIR has and the desk has not.
    resource = fhir_reception.read(path)
    resource["status"] = "waitlist"
    assert fhir_reception.put(path, resource).status_code == 422
    # The administrator sees the agenda, and changes nothing.
    resource = fhir_as(admin_member).read(path)
    assert fhir_as(admin_member).put(path, resource).status_code == 403
    # The other structure does not find it.
    appointment.refresh_from_db()
    assert appointment.status == "expected"


def test_cancel_with_a_reason(fhir_reception, appointment):
    path = f"Appointment/{appointment.pk}"
    resource = fhir_reception.read(path)
    resource["status"] = "cancelled"
    response = fhir_reception.put(path, resource)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Appointment.cancelationReason"]
    resource["cancelationReason"] = {"text": "La personne est hospitalisée"}
    response = fhir_reception.put(path, resource)
    assert response.status_code == 200, response.content.decode()
    cancelled = valid(response.json())
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelationReason"]["text"] == "La personne est hospitalisée"
    appointment.refresh_from_db()
    assert (
        appointment.status == "cancelled"
        and not appointment.participants.filter(holding=True).exists()
    )


def test_update_by_another_structure_is_not_found(fhir_other, fhir_reception, appointment):
    resource = fhir_reception.read(f"Appointment/{appointment.pk}")
    resource["status"] = "arrived"
    assert fhir_other.put(f"Appointment/{appointment.pk}", resource).status_code == 404


# --- Location ----------------------------------------------------------------------------


def test_read_a_room(fhir_reception, room, centre):
    room.details = "Lavabo"
    room.equipment = ["computer", "wheelchair"]
    room.save()
    location = fhir_reception.read(f"Location/room-{room.pk}")
    assert location["name"] == "Salle 1" and location["status"] == "active"
    assert location["physicalType"]["coding"][0]["code"] == "ro"
    assert location["managingOrganization"] == {"reference": f"Organization/{centre.pk}"}
    assert (
        room.equipment_labels[0] in location["description"] and "Lavabo" in location["description"]
    )
    assert fhir_reception.get(f"Location/{room.pk}").status_code == 404  # ids are room-…
    assert not AccessEvent.objects.filter(reason="fhir").exists()  # nobody's record


@pytest.mark.parametrize(
    "params, found",
    [
        ({"name": "sal"}, True),
        ({"name": "bureau"}, False),
        ({"organization": "Organization/{centre}"}, True),
        ({"organization": "{other}"}, False),
        ({"status": "active"}, True),
        ({"status": "inactive"}, False),
        ({"_id": "room-{room}"}, True),
    ],
)
def test_search_rooms(fhir_reception, room, centre, other_centre, params, found):
    Room.objects.create(structure=centre, name="Bureau fermé", is_active=False)
    query = {
        k: v.format(centre=centre.pk, other=other_centre.pk, room=room.pk)
        for k, v in params.items()
    }
    assert (
        f"room-{room.pk}" in ids(fhir_reception.search("Location", **query), "Location")
    ) is found


def test_rooms_are_the_team_s(fhir_other, fhir_person, fhir_anonymous, partner, room):
    assert fhir_other.get(f"Location/room-{room.pk}").status_code == 404
    assert fhir_other.search("Location") == []
    assert fhir_person.get(f"Location/room-{room.pk}").status_code == 404
    assert fhir_as(partner).search("Location") == []
    assert fhir_anonymous.get("Location").status_code == 401


def test_a_member_of_another_structure_books_nothing_here(other_centre, person, doctor):
    other_reception = make_member(other_centre, "claire")
    response = fhir_as(other_reception).post("Appointment", booking(person, [doctor], at(2, 10)))
    assert response.status_code == 422
    assert response.json()["issue"][0]["code"] == "not-found"


def test_a_page_costs_the_same_whatever_its_length(
    fhir_reception, book, doctor, social_worker, make_person
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost():
        with CaptureQueriesContext(connection) as queries_run:
            fhir_reception.search("Appointment", _include="Appointment:patient")
        return len(queries_run)

    book([doctor], at(2, 9), person=make_person(birth_name="UN"), reason="a")
    cost()  # what is read once (and cached) for any page
    first = cost()
    for hour, name in ((10, "DEUX"), (11, "TROIS"), (12, "QUATRE")):
        book(
            [doctor, social_worker],
            at(2, hour),
            person=make_person(birth_name=name),
            kind="co_consultation",
        )
    assert cost() == first
