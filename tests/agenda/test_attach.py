"""An appointment booked by name and phone is attached to the person's record when they
arrive: found among the registered persons, or registered there and then. And what
became of an appointment's reminders, on its page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.agenda import actions, reminders
from maillage.agenda.models import Appointment
from maillage.coordination.models import Task
from maillage.core import sms
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.lib import appointments as flow
from maillage.people.models import Person
from maillage.record import actions as record_actions
from tests.agenda.conftest import at
from tests.conftest import client_for
from tests.people.helpers import input_value


@pytest.fixture
def by_name(book, doctor):
    return book(
        [doctor],
        at(1, 9),
        unregistered_name="Fatima BENALI",
        unregistered_phone="06 11 22 33 44",
        reason="Première venue",
    )


@pytest.fixture
def fatima(make_person):
    return make_person(
        birth_name="BENALI",
        given_names="Fatima",
        sex="F",
        birth_year=1985,
        phone="06 11 22 33 44",
    )


def page(client, appointment, **query):
    url = reverse("agenda:appointment", args=[appointment.pk])
    return client.get(url, query)


def attach(client, appointment, person):
    return client.post(reverse("agenda:attach", args=[appointment.pk]), {"personne": person.pk})


def test_reception_finds_the_person_and_attaches_the_appointment(
    as_reception, reception, by_name, fatima, make_person
):
    make_person(birth_name="DURAND", given_names="Luc")  # not proposed
    response = page(as_reception, by_name)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Rattacher au dossier de la personne" in text
    assert "C&#x27;est Fatima BENALI" in text or "C'est Fatima BENALI" in text
    assert "DURAND" not in text
    # Looking for persons is a search of the register, logged as such.
    assert AccessEvent.objects.filter(action="search", actor_member=reception).exists()

    response = attach(as_reception, by_name, fatima)
    assert response.status_code == 302
    by_name.refresh_from_db()
    assert by_name.person == fatima
    # How it was booked stays on it.
    assert (by_name.unregistered_name, by_name.unregistered_phone) == (
        "Fatima BENALI",
        "06 11 22 33 44",
    )
    event = AccessEvent.objects.get(person=fatima, reason="appointment_attached")
    assert (event.action, event.section, event.actor_member) == (
        "update",
        "coordination",
        reception,
    )
    text = page(as_reception, by_name).content.decode()
    assert "Rattacher au dossier" not in text
    assert reverse("people:detail", args=[fatima.pk]) in text


def test_the_search_finds_someone_booked_under_another_name(as_reception, by_name, make_person):
    aicha = make_person(birth_name="HADDAD", given_names="Aïcha", sex="F")
    text = page(as_reception, by_name, cherche="haddad aicha").content.decode()
    assert "HADDAD" in text
    attach(as_reception, by_name, aicha)
    by_name.refresh_from_db()
    assert by_name.person == aicha


def test_arrival_at_the_desk_leads_to_the_record_to_attach(as_reception, by_name):
    response = as_reception.post(
        reverse("agenda:status", args=[by_name.pk]), {"status": flow.ARRIVED, "back": "desk"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("agenda:appointment", args=[by_name.pk]) + "#attach-title"
    )
    by_name.refresh_from_db()
    assert by_name.status == flow.ARRIVED


def test_a_new_person_is_registered_from_the_appointment(as_reception, by_name):
    text = page(as_reception, by_name).content.decode()
    assert "Aucune personne enregistrée ne correspond." in text
    register = reverse("people:register")
    start = text.index(register + "?")
    link = text[start : text.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["nom"] == ["BENALI"] and query["prenoms"] == ["Fatima"]
    assert query["rdv"] == [str(by_name.pk)]

    form = as_reception.get(link)
    assert input_value(form, "birth_name") == "BENALI"
    assert input_value(form, "given_names") == "Fatima"
    assert input_value(form, "phone") == "06 11 22 33 44"
    assert "sera rattaché" in form.content.decode() or "est rattaché" in form.content.decode()

    response = as_reception.post(
        register,
        {
            "rdv": by_name.pk,
            "birth_name": "Benali",
            "given_names": "Fatima",
            "sex": "F",
            "birth_date": "03/04/1985",
            "identity_status": "prov",
            "document_type": "none",
            "phone": "06 11 22 33 44",
            "languages": ["fr", "ar"],
        },
    )
    person = Person.objects.get(birth_name="BENALI")
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda:appointment", args=[by_name.pk])
    by_name.refresh_from_db()
    assert by_name.person == person


def test_a_registration_that_is_refused_keeps_the_appointment_to_attach(as_reception, by_name):
    response = as_reception.post(
        reverse("people:register"),
        {"rdv": by_name.pk, "birth_name": "", "given_names": "Fatima", "sex": "F"},
    )
    assert response.status_code == 200
    assert f'name="rdv" value="{by_name.pk}"' in response.content.decode()
    by_name.refresh_from_db()
    assert by_name.person is None


def test_attached_once_only(as_reception, by_name, fatima, make_person):
    attach(as_reception, by_name, fatima)
    someone_else = make_person(birth_name="DIALLO", given_names="Awa", sex="F")
    response = attach(as_reception, by_name, someone_else)
    assert response.status_code == 302
    by_name.refresh_from_db()
    assert by_name.person == fatima
    # And registering from it once attached is not offered any more.
    assert as_reception.get(reverse("people:register"), {"rdv": by_name.pk}).status_code == 404


def test_a_missed_appointment_follow_up_task_follows_the_person(reception, doctor, book, fatima):
    past = book([doctor], at(-1, 9), unregistered_name="Fatima BENALI")
    actions.do_set_status(reception, past, flow.NO_SHOW)
    past.refresh_from_db()
    assert past.follow_up_task.person_id is None
    actions.do_attach_person(reception, past, fatima)
    assert Task.objects.get(pk=past.follow_up_task_id).person == fatima


def test_once_attached_its_reminder_is_planned(book, doctor, reception, fatima, settings):
    start = at(2, 10)
    later = book([doctor], start, unregistered_name="Fatima BENALI")
    assert reminders.sweep(start - timezone.timedelta(hours=20)) == {}
    actions.do_attach_person(reception, later, fatima)
    sms.outbox.clear()
    assert reminders.sweep(start - timezone.timedelta(hours=20)) == {"sent": 1}
    assert sms.outbox[0].to == "+33611223344"


def test_only_the_team_attaches_and_only_to_its_own_persons(
    as_other, as_outsider, as_person, interpreter, by_name, fatima, other_person, as_reception
):
    for client in (as_other, as_outsider, as_person):
        response = attach(client, by_name, fatima)
        assert response.status_code in {302, 404}
        assert "/connexion" in response.get("Location", "/connexion") or response.status_code == 404
        assert page(client, by_name).status_code in {302, 404}
    # An interpreter sees the agenda but does not book: no attaching.
    as_interpreter = client_for(interpreter.user)
    assert attach(as_interpreter, by_name, fatima).status_code == 404
    assert "Rattacher au dossier" not in page(as_interpreter, by_name).content.decode()
    # A person of another centre cannot be attached.
    assert attach(as_reception, by_name, other_person).status_code == 404
    by_name.refresh_from_db()
    assert by_name.person is None


@pytest.mark.parametrize("raw", ["", "abc", "-1", "9" * 30, "１２"])
def test_bad_input_is_a_404_not_an_error(as_reception, by_name, raw):
    url = reverse("agenda:attach", args=[by_name.pk])
    assert as_reception.post(url, {"personne": raw}).status_code == 404
    assert as_reception.get(reverse("people:register"), {"rdv": raw}).status_code in {200, 404}


# --- Reminders, on the appointment's page -------------------------------------------------


def test_the_page_says_what_became_of_the_reminders(as_reception, book, doctor, person, reception):
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    text = page(as_reception, appointment).content.decode()
    assert "Pas encore envoyé" in text

    assert reminders.sweep(start - timezone.timedelta(hours=20)) == {"sent": 1}
    text = page(as_reception, appointment).content.decode()
    assert "— envoyé (SMS)" in text

    # Moved, and the person does not want reminders any more.
    moved = actions.do_move_appointment(
        reception,
        Appointment.objects.get(pk=appointment.pk),
        starts_at=at(1, 15),
        duration=timezone.timedelta(minutes=30),
        room=None,
    )
    actions.do_record_reminder_choice(person, actions.NO_REMINDERS, member=reception)
    reminders.sweep(moved.starts_at - timezone.timedelta(hours=20))
    text = page(as_reception, appointment).content.decode()
    assert "la personne ne souhaite pas de rappel" in text
    assert "pour l&#x27;horaire précédent" in text or "pour l'horaire précédent" in text


def test_the_first_entry_written_from_an_appointment_stays_linked(book, doctor, person):
    """Two encounters written at once from one appointment: each request holds its own
    copy of the appointment, read before either wrote; the first link is kept."""
    appointment = book([doctor], at(1, 9), person=person)
    access = record_access(doctor, person)
    first, second = (
        record_actions.do_add_note(access, section=Section.CLINICAL, text=text)
        for text in ("Première", "Seconde")
    )
    mine, theirs = (Appointment.objects.get(pk=appointment.pk) for _ in range(2))
    actions.do_link_entry(mine, first.pk)
    actions.do_link_entry(theirs, second.pk)
    assert theirs.entry_id == first.pk
    assert Appointment.objects.get(pk=appointment.pk).entry_id == first.pk
