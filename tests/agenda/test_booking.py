"""Booking: no double booking of a member, a room or an interpreter; working hours and
absences; the free-slot search through the booking page; who may book."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from maillage.agenda import actions, queries
from maillage.agenda.models import Appointment, AppointmentMember, WorkingHours
from maillage.core.models import AccessEvent
from tests.agenda.conftest import at
from tests.conftest import client_for


def test_a_co_consultation_with_an_interpreter_holds_everyone(
    book, doctor, social_worker, arabic_interpreter, room, person
):
    appointment = book(
        [doctor, social_worker],
        at(3, 10),
        kind="co_consultation",
        person=person,
        room=room,
        interpreting="phone",
        language="ar",
        interpreter=arabic_interpreter,
    )
    held = AppointmentMember.objects.filter(appointment=appointment)
    assert {(h.member_id, h.as_interpreter) for h in held} == {
        (doctor.pk, False),
        (social_worker.pk, False),
        (arabic_interpreter.pk, True),
    }
    assert AccessEvent.objects.filter(
        person=person, section="coordination", action="create", object_id=str(appointment.pk)
    ).exists()


@pytest.mark.parametrize("who", ["member", "room", "interpreter"])
def test_no_double_booking(book, doctor, social_worker, arabic_interpreter, room, person, who):
    book([doctor], at(3, 10), person=person, room=room, interpreting="on_site", language="ar",
         interpreter=arabic_interpreter)  # fmt: skip
    other = {
        "member": {"members": [doctor]},
        "room": {"members": [social_worker], "room": room},
        "interpreter": {
            "members": [social_worker],
            "interpreting": "on_site",
            "language": "ar",
            "interpreter": arabic_interpreter,
        },
    }[who]
    members = other.pop("members")
    with pytest.raises(actions.Conflict) as refused:
        book(members, at(3, 10, 15), unregistered_name="Nouvelle Personne", **other)
    assert refused.value.reasons
    assert Appointment.objects.count() == 1
    # Right after is free.
    book(members, at(3, 10, 30), unregistered_name="Nouvelle Personne", **other)


def test_a_cancelled_appointment_frees_its_time(book, reception, doctor, person):
    first = book([doctor], at(2, 9), person=person)
    actions.do_cancel_appointment(first, reason="Empêchement", author=reception)
    book([doctor], at(2, 9), person=person)


def test_working_hours_and_absences(book, reception, doctor, person):
    WorkingHours.objects.create(member=doctor, weekday=at(4, 9).weekday(),
                                starts=datetime.time(9), ends=datetime.time(12))  # fmt: skip
    with pytest.raises(actions.Conflict, match="ne travaille pas"):
        book([doctor], at(4, 14), person=person)
    book([doctor], at(4, 14), person=person, outside_hours_ok=True)
    actions.do_add_absence(reception, doctor, starts_at=at(4, 0), ends_at=at(5, 0), kind="leave")
    with pytest.raises(actions.Conflict, match="absence"):
        book([doctor], at(4, 9), person=person)


def test_who_may_book(doctor, interpreter, admin_member, other_member, person):
    for author in (interpreter, admin_member, other_member):
        booking = actions.Booking(
            kind="consultation",
            members=[doctor],
            starts_at=at(1, 9),
            duration=datetime.timedelta(minutes=30),
            person=person,
        )
        with pytest.raises(PermissionDenied):
            actions.do_book_appointment(author, booking)


def test_the_booking_page_finds_common_free_times_and_books(
    as_reception, doctor, social_worker, arabic_interpreter, room, person, book
):
    day = at(7, 0).date()
    for member in (doctor, social_worker, arabic_interpreter):
        WorkingHours.objects.create(member=member, weekday=day.weekday(),
                                    starts=datetime.time(9), ends=datetime.time(12))  # fmt: skip
    book([doctor], at(7, 9), person=person)  # the doctor is busy 9:00–9:30
    response = as_reception.get(
        "/agenda/nouveau/",
        {
            "personne": person.pk,
            "kind": "co_consultation",
            "members": [doctor.pk, social_worker.pk],
            "duration": 45,
            "room": room.pk,
            "interpreting": "phone",
            "language": "ar",
            "first_day": day.isoformat(),
            "days": 1,
        },
    )
    assert response.status_code == 200
    found = response.context["found"]
    assert found, "free times are offered"
    first = found[0]["slot"]
    assert first.start == at(7, 9, 30) and first.interpreter == arabic_interpreter
    # The chosen time opens the booking form prefilled; booking it works.
    confirm = as_reception.get(found[0]["url"])
    assert confirm.status_code == 200
    form = confirm.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"reason": "Bilan social et médical", "personne": person.pk}
    data["members"] = [str(m) for m in data["members"]]
    response = as_reception.post("/agenda/nouveau/confirmer/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    appointment = Appointment.objects.latest("pk")
    assert appointment.starts_at == at(7, 9, 30)
    assert appointment.interpreter == arabic_interpreter and appointment.room == room
    # The same time again: refused in words, nothing lost.
    response = as_reception.post("/agenda/nouveau/confirmer/", data)
    assert response.status_code == 200
    assert response.context["conflicts"]
    assert "Bilan social et médical" in response.content.decode()
    assert Appointment.objects.count() == 2


def test_free_slots_query_count_is_bounded(
    doctor, social_worker, arabic_interpreter, room, person, book, django_assert_max_num_queries
):
    for i in range(10):
        book([doctor], at(1 + i % 5, 9 + i // 5), person=person)
    with django_assert_max_num_queries(6):
        queries.free_slots(
            members=[doctor, social_worker],
            period=(at(1, 0), at(8, 0)),
            duration=datetime.timedelta(minutes=30),
            room=room,
            interpreters=[arabic_interpreter],
        )


def test_another_structure_cannot_book_my_members(other_member, doctor):
    booking = actions.Booking(
        kind="consultation",
        members=[doctor],
        starts_at=at(1, 9),
        duration=datetime.timedelta(minutes=30),
        unregistered_name="X",
    )
    with pytest.raises(PermissionDenied):
        actions.do_book_appointment(other_member, booking)


def test_pages_for_an_outsider_of_the_structure(as_other, book, doctor, person):
    appointment = book([doctor], at(1, 9), person=person)
    assert as_other.get(f"/agenda/rdv/{appointment.pk}/").status_code == 404
    assert as_other.get("/agenda/accueil/").status_code in {200, 404}
    page = as_other.get("/agenda/accueil/")
    if page.status_code == 200:
        assert str(person) not in page.content.decode()


def test_the_person_cannot_open_the_agenda(person_user, book, doctor, person):
    book([doctor], at(1, 9), person=person)
    client = client_for(person_user)
    for url in ("/agenda/", "/agenda/accueil/", "/agenda/nouveau/"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"members": "abc"},
        {"members": "99999999999999999999999"},
        {"duration": "99999"},
        {"first_day": "31/02/2026"},
        {"first_day": "9999-01-01"},
        {"days": "99999"},
        {"days": "-1"},
        {"room": "99999999"},
        {"language": "xx"},
        {"interpreting": "phone", "language": ""},
        {"kind": "\x00"},
        {"personne": "abc"},
    ],
)
def test_the_search_keeps_what_was_typed_and_says_what_is_wrong(as_reception, doctor, bad):
    params = {"kind": "consultation", "members": doctor.pk, "duration": 30,
              "interpreting": "none", "first_day": "2026-12-01", "days": 7} | bad  # fmt: skip
    response = as_reception.get("/agenda/nouveau/", params)
    if "personne" in bad:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors and not response.context["found"]


def test_the_confirmation_refuses_bad_values_without_losing_the_rest(as_reception, doctor):
    response = as_reception.post(
        "/agenda/nouveau/confirmer/",
        {
            "kind": "consultation",
            "members": [doctor.pk],
            "duration": 30,
            "interpreting": "none",
            "date": "2026-02-31",
            "time": "25:00",
            "unregistered_name": "",
            "reason": "Garder ce motif",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"date", "time", "unregistered_name"} <= set(errors)
    assert "Garder ce motif" in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_and_moving_queue_the_reminder_once_committed(
    book, reception, doctor, person, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book([doctor], at(3, 10), person=person)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_move_appointment(
            reception,
            appointment,
            starts_at=at(4, 10),
            duration=datetime.timedelta(minutes=30),
            room=None,
        )
    assert [r.args for r in default_task_backend.results] == [
        [appointment.pk, at(3, 10).isoformat()],
        [appointment.pk, at(4, 10).isoformat()],
    ]


def test_an_appointment_lasts_at_most_twelve_hours(book, doctor, person, reception):
    # The agendas read overlapping appointments from a bounded range of starts.
    with pytest.raises(ValueError):
        book([doctor], at(1, 8), minutes=13 * 60, person=person)
    appointment = book([doctor], at(1, 8), minutes=12 * 60, person=person, outside_hours_ok=True)
    with pytest.raises(ValueError):
        actions.do_move_appointment(
            reception,
            appointment,
            starts_at=at(2, 8),
            duration=datetime.timedelta(hours=13),
            room=None,
        )
    # The longest one is seen by a week that begins just before it ends.
    week = queries.member_agenda(doctor, (at(1, 19, 59), at(8, 0)))
    assert week == [appointment]


def test_the_booking_form_offers_the_interpreting_services_of_its_own_directory(
    reception, centre, other_centre
):
    from maillage.agenda.forms import BookingForm
    from maillage.territory import actions as territory
    from maillage.territory import datainclusion as di
    from maillage.territory.models import Service
    from tests.territory.data import as_json

    for owner in (centre, other_centre):
        territory.do_import_directory(owner, di.parse([("d.json", as_json())]))
    Service.objects.filter(di_id="essai--psy").update(interpreting=True)
    form = BookingForm(member=reception, rooms=[], registered=True)
    offered = form.fields["interpreter_service"].queryset
    assert {s.owner_id for s in offered} == {centre.pk}
