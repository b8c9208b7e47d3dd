"""The person's appointments in their space: they see what is coming and what happened
(never someone else's, never the notes for reception), cancel an appointment still to
come (the members' time is free again) or ask for another time (reception gets a task),
and cannot act on anyone else's appointment nor on one that is over."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from maillage.agenda import actions
from maillage.agenda.models import Appointment, AppointmentMember
from maillage.coordination.models import Task, TaskKind
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.lib import appointments as flow
from maillage.people.actions import do_merge_persons
from tests.agenda.conftest import at

URL = reverse("portal:appointments")


def cancel_url(appointment):
    return reverse("portal:appointment_cancel", args=[appointment.pk])


def move_url(appointment):
    return reverse("portal:appointment_move", args=[appointment.pk])


@pytest.fixture
def coming(book, doctor, person, room):
    return book(
        [doctor],
        at(3, 10),
        person=person,
        room=room,
        reason="Renouvellement d'ordonnance",
        reception_notes="NOTE-INTERNE apporter la carte",
        interpreting="on_site",
        language="ar",
    )


@pytest.fixture
def seen(book, doctor, person):
    appointment = book(
        [doctor], at(-10, 9), person=person, reception_notes="NOTE-ANCIENNE pour l'accueil"
    )
    Appointment.objects.filter(pk=appointment.pk).update(status=flow.SEEN)
    return appointment


@pytest.fixture
def someone_elses(book, doctor, make_person):
    other = make_person(birth_name="DURAND", given_names="Jean")
    return book([doctor], at(4, 11), person=other, reason="Motif-d-autrui")


def french_day(moment):
    with translation.override("fr"):
        return date_format(timezone.localtime(moment), "l j F Y")


def levels(response):
    return [m.level for m in response.context["messages"]]


def test_the_person_sees_their_upcoming_and_past_appointments(
    as_person, person, coming, seen, someone_elses, doctor
):
    response = as_person.get(URL)
    assert response.status_code == 200
    assert [row["a"] for row in response.context["upcoming"]] == [coming]
    assert response.context["past"] == [seen]
    body = response.content.decode()
    # Date and time in French, the kind, who (name and profession), where, interpreting.
    assert french_day(coming.starts_at) in body
    assert french_day(seen.starts_at) in body
    assert timezone.localtime(coming.starts_at).strftime("%H:%M") in body
    assert "Consultation individuelle" in body
    assert doctor.display_name in body and "Médecin généraliste" in body
    assert "Salle 1" in body
    assert "Arabe" in body
    # Their own reason is theirs to read; the notes for reception are not.
    assert "Renouvellement d&#x27;ordonnance" in body
    assert "NOTE-INTERNE" not in body and "NOTE-ANCIENNE" not in body
    # Nothing of another person.
    assert "DURAND" not in body and "Motif-d-autrui" not in body
    assert f'id="rdv-{someone_elses.pk}"' not in body
    # Forms only for the appointment still to come.
    assert cancel_url(coming) in body and move_url(coming) in body
    assert cancel_url(seen) not in body and move_url(seen) not in body
    # The read is in the person's access log, as a read of the coordination section.
    assert AccessEvent.objects.filter(
        person=person,
        actor_user=person.user,
        action=AccessEvent.Action.READ,
        section=Section.COORDINATION,
    ).exists()


def test_statuses_and_what_is_upcoming(as_person, person, person_user, book, doctor):
    arrived = book([doctor], at(0, 0, 5), minutes=15, person=person)
    Appointment.objects.filter(pk=arrived.pk).update(status=flow.ARRIVED)
    forgotten = book([doctor], at(-2, 10), person=person)  # never marked at the desk
    no_show = book([doctor], at(-3, 10), person=person)
    Appointment.objects.filter(pk=no_show.pk).update(status=flow.NO_SHOW)
    called_off = book([doctor], at(5, 10), person=person)
    actions.do_cancel_appointment(
        called_off, reason="Médecin absent", author=None, by_person=person_user
    )
    response = as_person.get(URL)
    upcoming = response.context["upcoming"]
    # In progress today: listed as coming, but no longer changeable from the space.
    assert [row["a"].pk for row in upcoming] == [arrived.pk]
    assert upcoming[0]["may_change"] is False
    assert [a.pk for a in response.context["past"]] == [called_off.pk, forgotten.pk, no_show.pk]
    body = response.content.decode()
    assert f'data-status="{flow.CANCELLED}"' in body
    assert f'data-status="{flow.NO_SHOW}"' in body
    assert "Médecin absent" in body
    assert cancel_url(arrived) not in body


def test_only_the_last_twenty_past_appointments(as_person, person, book, doctor):
    for day in range(1, 24):
        book([doctor], at(-day, 9), person=person)
    response = as_person.get(URL)
    past = response.context["past"]
    assert len(past) == 20
    assert past[0].starts_at == at(-1, 9) and past[-1].starts_at == at(-20, 9)


def test_the_appointments_of_a_merged_record_are_shown(
    as_person, person, book, doctor, reception, make_person
):
    duplicate = make_person(birth_name="DUPONT", given_names="Marie")
    earlier = book([doctor], at(6, 9), person=duplicate)
    do_merge_persons(reception, person, duplicate, reason="Doublon")
    response = as_person.get(URL)
    assert [row["a"].pk for row in response.context["upcoming"]] == [earlier.pk]


def test_the_person_cancels(as_person, person, coming, doctor, book):
    response = as_person.post(cancel_url(coming), {f"cancel-{coming.pk}-reason": ""})
    assert response.status_code == 302
    assert response["Location"].endswith(f"{URL}#rdv-{coming.pk}")
    coming.refresh_from_db()
    assert coming.status == flow.CANCELLED
    assert coming.cancelled_by_person is True
    assert coming.cancel_reason == ""
    assert not AppointmentMember.objects.filter(appointment=coming, holding=True).exists()
    # The member's slot (and the room) are free again: the same booking succeeds.
    again = book([doctor], coming.starts_at, person=person, room=coming.room)
    assert again.status == flow.EXPECTED
    # The person's write is in their access log.
    event = AccessEvent.objects.get(
        person=person, action=AccessEvent.Action.UPDATE, object_id=str(coming.pk)
    )
    assert event.actor_user == person.user and event.actor_member is None
    assert event.section == Section.COORDINATION
    assert event.object_type == "agenda.appointment"


def test_the_person_says_why_they_cancel(as_person, coming):
    response = as_person.post(
        cancel_url(coming), {f"cancel-{coming.pk}-reason": "Je travaille ce jour-là"}, follow=True
    )
    assert levels(response) == [message_levels.SUCCESS]
    coming.refresh_from_db()
    assert coming.status == flow.CANCELLED
    assert coming.cancel_reason == "Je travaille ce jour-là"


def test_the_person_asks_for_another_time(as_person, person, coming, reception):
    response = as_person.post(
        move_url(coming), {f"move-{coming.pk}-wish": "Plutôt le mardi matin"}, follow=True
    )
    assert response.status_code == 200
    assert levels(response) == [message_levels.SUCCESS]
    task = Task.objects.get(kind=TaskKind.MOVE_REQUEST, person=person)
    assert task.details == "Plutôt le mardi matin"
    assert list(task.assignees.all()) == [reception]
    coming.refresh_from_db()
    assert coming.status == flow.EXPECTED  # reception moves it after calling back
    assert AccessEvent.objects.filter(
        person=person,
        action=AccessEvent.Action.CREATE,
        object_type="coordination.task",
        object_id=str(task.pk),
        actor_user=person.user,
    ).exists()


def test_a_request_needs_words(as_person, person, coming):
    response = as_person.post(move_url(coming), {f"move-{coming.pk}-wish": "  "})
    assert response.status_code == 400
    assert response.context["upcoming"][0]["move"].errors
    assert not Task.objects.filter(kind=TaskKind.MOVE_REQUEST).exists()


def test_no_one_acts_on_someone_elses_appointment(as_person, someone_elses, book, doctor):
    unregistered = book([doctor], at(2, 15), unregistered_name="Jeanne Inconnue")
    for appointment in (someone_elses, unregistered):
        assert as_person.post(cancel_url(appointment), {}).status_code == 404
        assert as_person.post(move_url(appointment), {}).status_code == 404
        appointment.refresh_from_db()
        assert appointment.status == flow.EXPECTED
    assert as_person.post(reverse("portal:appointment_cancel", args=[999999])).status_code == 404
    assert not Task.objects.filter(kind=TaskKind.MOVE_REQUEST).exists()


def test_members_and_strangers_have_no_appointments_space(
    client, as_doctor, as_outsider, coming, as_other
):
    assert client.get(URL).status_code == 302
    for other in (as_doctor, as_outsider, as_other):
        assert other.get(URL).status_code == 404
        assert other.post(cancel_url(coming)).status_code == 404
    coming.refresh_from_db()
    assert coming.status == flow.EXPECTED


def test_a_past_or_cancelled_appointment_cannot_be_changed(
    as_person, person, person_user, book, doctor
):
    over = book([doctor], at(-1, 10), person=person)  # still "expected": the desk forgot
    cancelled = book([doctor], at(2, 10), person=person)
    actions.do_cancel_appointment(cancelled, reason="", author=None, by_person=person_user)
    before = AccessEvent.objects.filter(action=AccessEvent.Action.UPDATE).count()
    for appointment in (over, cancelled):
        for url, data in (
            (cancel_url(appointment), {f"cancel-{appointment.pk}-reason": "x"}),
            (move_url(appointment), {f"move-{appointment.pk}-wish": "Le matin"}),
        ):
            response = as_person.post(url, data, follow=True)
            assert response.status_code == 200
            assert levels(response) == [message_levels.ERROR]
    over.refresh_from_db()
    assert over.status == flow.EXPECTED and over.cancelled_at is None
    assert not Task.objects.filter(kind=TaskKind.MOVE_REQUEST).exists()
    assert AccessEvent.objects.filter(action=AccessEvent.Action.UPDATE).count() == before


def test_the_menu_and_the_home_page_lead_to_the_appointments(as_person):
    response = as_person.get(reverse("portal:home"))
    assert response.content.decode().count(f'href="{URL}"') == 2
