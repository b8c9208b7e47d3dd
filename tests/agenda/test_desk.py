"""The reception desk's day: statuses, waiting times, a no-show's follow-up task, and
the journal entry opened prefilled from the appointment."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from maillage.agenda import actions
from maillage.agenda.models import Appointment
from maillage.coordination.models import Task
from maillage.lib import appointments as flow
from maillage.record.actions import do_add_to_care_team
from tests.agenda.conftest import at
from tests.conftest import client_for


@pytest.fixture
def today_appointment(book, doctor, social_worker, arabic_interpreter, person, room):
    # It began a minute ago (so that its encounter can be written), today.
    now = timezone.localtime()
    start = max(
        now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=1),
        now.replace(hour=0, minute=0, second=0, microsecond=0),
    )
    return book(
        [doctor, social_worker],
        start,
        kind="co_consultation",
        person=person,
        room=room,
        interpreting="phone",
        language="ar",
        interpreter=arabic_interpreter,
        reason="Douleurs et dossier CSS",
    )


def test_the_status_flow_at_the_desk(as_reception, reception, doctor, today_appointment):
    a = today_appointment
    page = as_reception.get("/agenda/accueil/").content.decode()
    assert (
        "Marie DUPONT" in page and "Douleurs et dossier CSS" not in page
    )  # reason: not in the list
    for status in (flow.ARRIVED, flow.WAITING):
        response = as_reception.post(
            f"/agenda/rdv/{a.pk}/statut/", {"status": status, "back": "desk"}
        )
        assert response.status_code == 302 and "/agenda/accueil/" in response["Location"]
    a.refresh_from_db()
    assert a.status == flow.WAITING and a.arrived_at is not None
    # The doctor calls the person in, then sees them out.
    as_doctor = client_for(doctor.user)
    as_doctor.post(f"/agenda/rdv/{a.pk}/statut/", {"status": flow.IN_CONSULTATION})
    as_doctor.post(f"/agenda/rdv/{a.pk}/statut/", {"status": flow.SEEN})
    a.refresh_from_db()
    assert a.status == flow.SEEN and a.called_at and a.seen_at
    assert a.arrived_at <= a.called_at <= a.seen_at
    # A transition that makes no sense is refused in words, nothing changes.
    response = as_reception.post(
        f"/agenda/rdv/{a.pk}/statut/", {"status": flow.NO_SHOW}, follow=True
    )
    assert "plus possible" in response.content.decode()
    a.refresh_from_db()
    assert a.status == flow.SEEN


def test_a_member_who_does_not_take_part_cannot_call_in(today_appointment, centre):
    from maillage.core.roles import Role
    from tests.conftest import make_member

    nurse = make_member(centre, "nurse", Role.NURSE, "infirmier")
    with pytest.raises(PermissionDenied):
        actions.do_set_status(nurse, today_appointment, flow.IN_CONSULTATION)


def test_a_no_show_makes_a_task_for_the_referent(reception, doctor, social_worker, person, book):
    do_add_to_care_team(doctor, person, social_worker, referent=True)
    a = book([doctor], at(0, 8), person=person, outside_hours_ok=True)
    actions.do_set_status(reception, a, flow.NO_SHOW)
    task = Task.objects.get(kind="no_show")
    assert list(task.assignees.all()) == [social_worker]
    assert task.person == person
    assert "manqué" in task.label or "missed" in task.label
    # Once only, even if the desk clicks twice (back to expected, then no-show again).
    actions.do_set_status(reception, a, flow.EXPECTED)
    actions.do_set_status(reception, a, flow.NO_SHOW)
    assert Task.objects.filter(kind="no_show").count() == 1


def test_without_referent_the_members_get_the_task(reception, doctor, person, book):
    a = book([doctor], at(0, 8), person=person)
    actions.do_set_status(reception, a, flow.NO_SHOW)
    assert list(Task.objects.get(kind="no_show").assignees.all()) == [doctor]


def test_the_journal_entry_opens_prefilled_and_is_linked(
    reception, doctor, social_worker, arabic_interpreter, today_appointment
):
    a = today_appointment
    actions.do_set_status(reception, a, flow.ARRIVED)
    as_doctor = client_for(doctor.user)
    page = as_doctor.get(f"/agenda/rdv/{a.pk}/")
    assert page.status_code == 200
    link = page.context["journal"]
    assert link == f"/personnes/{a.person_id}/dossier/rencontre/?rdv={a.pk}"
    form = as_doctor.get(link).context["form"]
    assert form["kind"].value() == "co_consultation"
    assert form["members"].value() == [social_worker.pk]
    assert form["interpreter"].value() == arabic_interpreter.pk
    assert form["interpreting_language"].value() == "ar"
    assert form["reason"].value() == "Douleurs et dossier CSS"
    assert form["duration_minutes"].value() == 30
    data = {k: v for k in form.fields if (v := form[k].value()) not in (None, "")}
    data["members"] = [str(pk) for pk in data["members"]]
    response = as_doctor.post(link, data)
    assert response.status_code == 302, response.context["form"].errors
    a.refresh_from_db()
    assert a.entry is not None and a.entry.encounter.kind == "co_consultation"


def test_another_persons_appointment_cannot_prefill(doctor, today_appointment, make_person):
    other = make_person(birth_name="AUTRE", given_names="Test")
    response = client_for(doctor.user).get(
        f"/personnes/{other.pk}/dossier/rencontre/?rdv={today_appointment.pk}"
    )
    assert response.status_code == 404


def test_cancel_and_move_from_the_appointment_page(as_reception, book, doctor, person):
    a = book([doctor], at(3, 10), person=person)
    book([doctor], at(3, 11), person=person)
    response = as_reception.post(
        f"/agenda/rdv/{a.pk}/deplacer/",
        {"date": at(3, 11).date().isoformat(), "time": "11:00", "duration": 30, "room": ""},
    )
    assert response.status_code == 400 and response.context["conflicts"]
    response = as_reception.post(
        f"/agenda/rdv/{a.pk}/deplacer/",
        {"date": at(3, 14).date().isoformat(), "time": "14:00", "duration": 45, "room": ""},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.starts_at == at(3, 14) and a.duration_minutes == 45
    assert a.participants.get().starts_at == at(3, 14)
    response = as_reception.post(f"/agenda/rdv/{a.pk}/annuler/", {"reason": ""})
    assert response.status_code == 400
    response = as_reception.post(f"/agenda/rdv/{a.pk}/annuler/", {"reason": "La personne a appelé"})
    a.refresh_from_db()
    assert a.status == "cancelled" and a.cancel_reason == "La personne a appelé"
    assert Appointment.objects.filter(status="expected").count() == 1


def test_week_and_day_views(as_doctor, doctor, room, book, person):
    book([doctor], at(1, 10), person=person, room=room, reason="Suivi diabète")
    week = as_doctor.get("/agenda/", {"date": at(1, 10).date().isoformat()})
    assert week.status_code == 200
    body = week.content.decode()
    assert "Marie DUPONT" in body and "Suivi diabète" in body  # the doctor takes part
    day = as_doctor.get("/agenda/jour/", {"salle": room.pk, "date": at(1, 10).date().isoformat()})
    assert "Marie DUPONT" in day.content.decode()
    assert as_doctor.get("/agenda/", {"date": "2026-02-31"}).status_code == 404
    assert as_doctor.get("/agenda/", {"membre": "abc"}).status_code == 404


def test_who_reads_the_reason(reception, doctor, interpreter, person, person_user, book, centre):
    from maillage.core.roles import Role, Section
    from maillage.record.actions import do_record_choice
    from tests.conftest import make_member

    a = book([doctor], at(1, 10), person=person, reason="Motif confidentiel")
    url = f"/agenda/rdv/{a.pk}/"
    assert "Motif confidentiel" in client_for(reception.user).get(url).content.decode()
    assert "Motif confidentiel" in client_for(doctor.user).get(url).content.decode()
    # An interpreter who does not take part does not read it.
    assert "Motif confidentiel" not in client_for(interpreter.user).get(url).content.decode()
    # The person refuses their coordination section to reception: the desk no longer reads it.
    do_record_choice(
        person, kind="refuse", section=Section.COORDINATION, role=Role.RECEPTION, user=person_user
    )
    assert "Motif confidentiel" not in client_for(reception.user).get(url).content.decode()
    desk = client_for(reception.user).get(
        "/agenda/", {"membre": doctor.pk, "date": at(1, 10).date()}
    )
    assert "Motif confidentiel" not in desk.content.decode()
    # A new colleague who books but does not take part and reads coordination: yes.
    nurse = make_member(centre, "nurse2", Role.NURSE, "infirmier")
    assert "Motif confidentiel" in client_for(nurse.user).get(url).content.decode()
