"""Coordination meetings (C5): planning, attendees invited and present, the agenda with
situations read through the record's access policy, decisions that become tasks or
actions of the person's health project, minutes (HTML and PDF), the triangulation
report and today's meetings for the team home."""

from __future__ import annotations

import datetime
import re
import zlib

import pytest
from django.core.exceptions import PermissionDenied
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from maillage.coordination.actions import meetings as actions
from maillage.coordination.models import (
    AgendaItem,
    Attendee,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ProjectAction,
    Task,
)
from maillage.coordination.queries import meetings as queries
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_add_relation
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member

SECTION = Section.COORDINATION


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def as_coordinator(coordinator):
    return client_for(coordinator.user)


def at(days: int = 0, hour: int = 14) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def plan(member, kind=MeetingKind.CONCERTATION, days=1, title="Concertation", hour=14):
    return actions.do_plan_meeting(
        member, kind=kind, title=title, starts_at=at(days, hour), place="Salle 2"
    )


def situation(member, meeting, person):
    return actions.do_add_situation(member, meeting, person, record_access(member, person))


def url(name, *args):
    return reverse(f"coordination:{name}", args=args)


def events(person, action):
    return AccessEvent.objects.filter(person=person, section=SECTION, action=action)


def refuse_coordination_to(role, person, by):
    do_record_choice(
        person,
        kind="refuse",
        section=SECTION,
        role=role,
        user=by.user,
        on_behalf_by=by,
    )


def pdf_text(content: bytes) -> bytes:
    """The page streams of a PDF, decompressed when reportlab compressed them."""
    out = [content]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            try:
                import base64

                out.append(zlib.decompress(base64.a85decode(stream.strip(), adobe=True)))
            except (ValueError, zlib.error):
                out.append(stream)
    return b"\n".join(out)


def winansi(text: str) -> bytes:
    """How reportlab writes text in Helvetica: WinAnsi bytes, octal-escaped past ASCII."""
    return "".join(c if ord(c) < 128 else f"\\{c.encode('cp1252')[0]:03o}" for c in text).encode()


# --- Planning and lists ---------------------------------------------------------------


def test_planning_a_meeting_with_french_date_and_time(as_coordinator, coordinator):
    page = as_coordinator.get(url("meeting_add"))
    assert page.status_code == 200
    bad = as_coordinator.post(
        url("meeting_add"),
        {"kind": "team", "title": "Réunion d’équipe", "date": "31/02/2026", "time": "14:30"},
    )
    assert bad.status_code == 200 and bad.context["form"].errors["date"]
    assert "Réunion d’équipe" in bad.content.decode()  # what was typed stays
    assert not Meeting.objects.exists()
    far = as_coordinator.post(
        url("meeting_add"),
        {
            "kind": "team",
            "title": "x",
            "date": "01/01/0001",
            "time": "10:00",
            "duration_minutes": 60,
        },
    )
    assert far.status_code == 200 and far.context["form"].errors["date"]
    response = as_coordinator.post(
        url("meeting_add"),
        {
            "kind": "team",
            "title": "Réunion d’équipe",
            "date": "24/11/2026",
            "time": "14:30",
            "duration_minutes": "90",
            "place": "Salle du fond",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == url("meeting", meeting.pk)
    starts = timezone.localtime(meeting.starts_at)
    assert (starts.date(), starts.hour, starts.minute) == (datetime.date(2026, 11, 24), 14, 30)
    assert meeting.duration_minutes == 90 and meeting.created_by == coordinator
    assert AccessEvent.objects.filter(
        action="create", object_type="coordination.meeting", object_id=str(meeting.pk)
    ).exists()
    page = as_coordinator.get(url("meeting", meeting.pk)).content.decode()
    assert "24 novembre 2026" in page and "14:30" in page


def test_the_list_shows_today_upcoming_and_past_by_type(as_coordinator, coordinator):
    today = plan(coordinator, MeetingKind.TEAM, days=0, title="Équipe du jour")
    later = plan(coordinator, MeetingKind.SYNTHESIS, days=3, title="Synthèse à venir")
    for n in range(25):
        plan(coordinator, MeetingKind.TEAM, days=-1 - n, title=f"Passée {n}")
    response = as_coordinator.get(url("meetings"))
    lists = response.context["lists"]
    assert lists.today == [today] and lists.upcoming == [later]
    page = response.context["page"]
    assert page.paginator.count == 25 and len(page.object_list) == 20
    assert [m.title for m in page.object_list][:2] == ["Passée 0", "Passée 1"]
    second = as_coordinator.get(url("meetings"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    only = as_coordinator.get(url("meetings"), {"kind": "synthesis"}).context["lists"]
    assert only.today == [] and only.upcoming == [later] and not only.past.exists()
    nonsense = as_coordinator.get(url("meetings"), {"kind": "nope", "page": "x"})
    assert nonsense.status_code == 200 and nonsense.context["lists"].today == [today]


def test_changing_a_meeting_and_its_general_notes(as_coordinator, coordinator, person):
    meeting = plan(coordinator)
    edit = url("meeting_edit", meeting.pk)
    assert as_coordinator.get(edit).context["form"]["title"].value() == "Concertation"
    response = as_coordinator.post(
        edit,
        {"kind": "team", "title": "Équipe", "date": "02/12/2026", "time": "09:15",
         "duration_minutes": "45", "place": "Salle 3"},
    )  # fmt: skip
    meeting.refresh_from_db()
    assert response.status_code == 302 and meeting.title == "Équipe" and meeting.place == "Salle 3"
    assert timezone.localtime(meeting.starts_at).hour == 9
    # With a person's situation on the agenda, it cannot become a practice-analysis session.
    situation(coordinator, meeting, person)
    refused = as_coordinator.post(
        edit,
        {"kind": "practice", "title": "Analyse", "date": "02/12/2026", "time": "09:15",
         "duration_minutes": "45"},
    )  # fmt: skip
    assert refused.status_code == 200 and refused.context["form"].errors["kind"]
    assert Meeting.objects.get(pk=meeting.pk).kind == "team"
    as_coordinator.post(url("meeting_general_notes", meeting.pk), {"notes": "Ordre du jour tenu"})
    meeting.refresh_from_db()
    assert meeting.notes == "Ordre du jour tenu"
    assert (
        "Ordre du jour tenu"
        in as_coordinator.get(url("meeting_minutes", meeting.pk)).content.decode()
    )
    actions.do_set_status(coordinator, meeting, MeetingStatus.HELD)
    assert as_coordinator.get(edit).status_code == 302  # too late to reschedule


# --- Who may see, who may plan ----------------------------------------------------------


def test_who_may_see_and_who_may_plan(
    coordinator, centre, reception, doctor, interpreter, partner, person, as_other, as_person,
    as_outsider,
):  # fmt: skip
    meeting = plan(coordinator)
    detail = url("meeting", meeting.pk)
    as_reception = client_for(reception.user)
    # Reception sees meetings but does not plan them.
    assert as_reception.get(url("meetings")).status_code == 200
    assert as_reception.get(detail).status_code == 200
    assert as_reception.get(detail).context["can_plan"] is False
    assert as_reception.get(url("meeting_add")).status_code == 404
    assert as_reception.get(url("meeting_report")).status_code == 404
    assert (
        as_reception.post(url("meeting_add_theme", meeting.pk), {"theme": "x"}).status_code == 404
    )
    assert not AgendaItem.objects.exists()
    # The doctor plans (coordination is theirs to write).
    assert client_for(doctor.user).get(url("meeting_add")).status_code == 200
    # Interpreters and partners see no meeting; neither do outsiders, another structure,
    # nor the person through their own space.
    for client in (client_for(interpreter.user), client_for(partner.user), as_person, as_outsider):
        assert client.get(url("meetings")).status_code == 404
        assert client.get(detail).status_code == 404
        assert client.get(url("meeting_minutes_pdf", meeting.pk)).status_code == 404
    assert as_other.get(detail).status_code == 404
    assert "Concertation" not in as_other.get(url("meetings")).content.decode()


def test_another_structures_ids_are_not_found(coordinator, other_centre, person, other_person):
    mine = plan(coordinator)
    elsewhere_coordinator = make_member(other_centre, "oc", Role.COORDINATOR, "coordinateur")
    theirs = plan(elsewhere_coordinator)
    their_item = actions.do_add_theme(elsewhere_coordinator, theirs, "Leur thème")
    their_attendee = actions.do_invite_external(elsewhere_coordinator, theirs, "Quelqu’un")
    client = client_for(coordinator.user)
    assert client.get(url("meeting", theirs.pk)).status_code == 404
    assert client.get(url("meeting_minutes", theirs.pk)).status_code == 404
    assert client.post(url("meeting_status", theirs.pk), {"status": "held"}).status_code == 404
    # An item or an attendee of another meeting, through mine.
    post = client.post
    assert post(url("meeting_item_notes", mine.pk, their_item.pk), {}).status_code == 404
    assert post(url("meeting_withdraw", mine.pk, their_attendee.pk)).status_code == 404
    # A person who is not on the agenda, or of another structure.
    assert post(url("meeting_invite_person", mine.pk, person.pk)).status_code == 404
    response = post(url("meeting_add_situation", mine.pk), {"person": other_person.pk})
    assert response.status_code == 302 and not mine.items.exists()
    assert client.get(url("meeting", 10**30)).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.do_add_theme(coordinator, theirs, "x")


# --- Attendees --------------------------------------------------------------------------


def test_invitations_and_who_was_present(as_coordinator, coordinator, doctor, partner, person):
    meeting = plan(coordinator, MeetingKind.SYNTHESIS)
    item = situation(coordinator, meeting, person)
    relation = do_add_relation(
        coordinator, person, {"kind": "sibling", "name": "Paul Dupont", "team_may_contact": True}
    )
    do_add_relation(coordinator, person, {"kind": "friend", "name": "Sans accord"})
    page = as_coordinator.get(url("meeting", meeting.pk))
    offered = [
        value for value, _label in page.context["relatives_form"].fields["relatives"].choices
    ]
    assert offered == [relation.pk]  # only relatives the person agreed the team may contact
    as_coordinator.post(
        url("meeting_invite_members", meeting.pk), {"members": [doctor.pk, partner.pk]}
    )
    as_coordinator.post(url("meeting_invite_relatives", meeting.pk), {"relatives": [relation.pk]})
    as_coordinator.post(url("meeting_invite_external", meeting.pk), {"name": "Dr Roux, CMP"})
    as_coordinator.post(url("meeting_invite_person", meeting.pk, person.pk))
    as_coordinator.post(url("meeting_invite_person", meeting.pk, person.pk))  # once only
    kinds = sorted(meeting.attendees.values_list("kind", flat=True))
    assert kinds == ["member", "partner", "partner", "person", "relative"]
    assert all(a.invited and a.present is None for a in meeting.attendees.all())
    # Presence: one yes/no per attendee, "not known" allowed.
    doctor_row = meeting.attendees.get(member=doctor)
    person_row = meeting.attendees.get(person=person)
    partner_row = meeting.attendees.get(member=partner)
    response = as_coordinator.post(
        url("meeting_presence", meeting.pk),
        {f"attendee_{doctor_row.pk}": "yes", f"attendee_{person_row.pk}": "no"},
    )
    assert response.status_code == 302
    present = dict(meeting.attendees.values_list("pk", "present"))
    assert present[doctor_row.pk] is True and present[person_row.pk] is False
    assert present[partner_row.pk] is None
    bad = as_coordinator.post(
        url("meeting_presence", meeting.pk), {f"attendee_{doctor_row.pk}": "maybe"}
    )
    assert bad.status_code == 200 and bad.context["presence_form"].errors
    # The person's presence is part of their coordination record: logged.
    assert events(person, "update").filter(object_type="coordination.attendee").exists()
    # Withdrawing keeps the row, not invited any more.
    as_coordinator.post(url("meeting_withdraw", meeting.pk, partner_row.pk))
    partner_row.refresh_from_db()
    assert partner_row.invited is False
    assert item.pk  # the situation stays on the agenda


def test_once_held_no_more_invitations_and_cancelled_freezes(as_coordinator, coordinator, doctor):
    meeting = plan(coordinator)
    as_coordinator.post(url("meeting_status", meeting.pk), {"status": "held"})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    as_coordinator.post(url("meeting_invite_members", meeting.pk), {"members": [doctor.pk]})
    assert not meeting.attendees.exists()
    # Notes can still be written once held.
    theme = actions.do_add_theme(coordinator, meeting, "Locaux")
    as_coordinator.post(
        url("meeting_item_notes", meeting.pk, theme.pk), {f"n{theme.pk}-notes": "Ok"}
    )
    theme.refresh_from_db()
    assert theme.notes == "Ok"
    cancelled = plan(coordinator, title="Annulée")
    as_coordinator.post(url("meeting_status", cancelled.pk), {"status": "cancelled"})
    with pytest.raises(actions.MeetingError):
        actions.do_add_theme(coordinator, Meeting.objects.get(pk=cancelled.pk), "x")
    assert as_coordinator.get(url("meeting", cancelled.pk)).context["can_plan"] is False
    bad = as_coordinator.post(url("meeting_status", meeting.pk), {"status": "nope"})
    assert bad.status_code == 200 and bad.context["status_form"].errors


# --- Triangulation ----------------------------------------------------------------------


def test_a_synthesis_meeting_without_the_person_says_so(as_coordinator, coordinator, person):
    meeting = plan(coordinator, MeetingKind.SYNTHESIS)
    situation(coordinator, meeting, person)
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert page.context["not_invited"] == [person]
    item_view = page.context["items"][0]
    with translation.override("fr"):
        assert item_view.triangulation == gettext("%(name)s is not invited.") % {"name": person}
    invite = url("meeting_invite_person", meeting.pk, person.pk)
    assert invite in page.content.decode()
    as_coordinator.post(invite)
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert page.context["not_invited"] == []
    assert page.context["items"][0].situation.invited is True
    # Held: the words say whether the person came.
    attendee = Attendee.objects.get(meeting=meeting, person=person)
    actions.do_record_presence(coordinator, meeting, {attendee.pk: True})
    actions.do_set_status(coordinator, meeting, MeetingStatus.HELD)
    page = as_coordinator.get(url("meeting", meeting.pk))
    with translation.override("fr"):
        words = gettext("%(name)s was present.") % {"name": person}
    assert page.context["items"][0].triangulation == words


def test_a_case_meeting_has_no_notice_but_each_situation_says_it(
    as_coordinator, coordinator, person
):
    meeting = plan(coordinator, MeetingKind.CONCERTATION)
    situation(coordinator, meeting, person)
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert page.context["not_invited"] == []
    assert page.context["items"][0].situation.invited is False


def test_a_practice_analysis_session_discusses_practice_not_persons(
    as_coordinator, coordinator, person
):
    meeting = plan(coordinator, MeetingKind.PRACTICE)
    response = as_coordinator.post(url("meeting_add_situation", meeting.pk), {"person": person.pk})
    assert response.status_code == 302 and not meeting.items.exists()
    with pytest.raises(actions.MeetingError):
        situation(coordinator, meeting, person)
    page = as_coordinator.get(url("meeting", meeting.pk), {"q": "dupont"})
    assert page.context["is_practice"] is True and "candidates" not in page.context
    as_coordinator.post(url("meeting_add_theme", meeting.pk), {"theme": "Accueil des familles"})
    assert meeting.items.get().theme == "Accueil des familles"


# --- The agenda, notes and their access ---------------------------------------------------


def test_finding_and_adding_a_situation_is_logged(as_coordinator, coordinator, person, make_person):
    meeting = plan(coordinator)
    other = make_person(birth_name="DURAND", given_names="Jean")
    refuse_coordination_to(Role.COORDINATOR, other, coordinator)
    found = as_coordinator.get(url("meeting", meeting.pk), {"q": "dupont"}).context["candidates"]
    assert found == [person]
    # A person who refused their coordination part to coordinators is not found, nor added.
    assert (
        as_coordinator.get(url("meeting", meeting.pk), {"q": "durand"}).context["candidates"] == []
    )
    as_coordinator.post(url("meeting_add_situation", meeting.pk), {"person": other.pk})
    assert not meeting.items.filter(person=other).exists()
    as_coordinator.post(url("meeting_add_situation", meeting.pk), {"person": person.pk})
    item = meeting.items.get()
    assert item.person == person
    assert events(person, "create").filter(object_id=str(item.pk)).exists()
    # Twice is refused.
    as_coordinator.post(url("meeting_add_situation", meeting.pk), {"person": person.pk})
    assert meeting.items.count() == 1
    assert AccessEvent.objects.filter(action="search", actor_member=coordinator).exists()


def test_notes_are_hidden_from_whom_the_person_refused_them(
    as_coordinator, coordinator, doctor, person
):
    meeting = plan(coordinator)
    item = situation(coordinator, meeting, person)
    as_coordinator.post(
        url("meeting_item_notes", meeting.pk, item.pk),
        {f"n{item.pk}-notes": "SECRETNOTE logement insalubre"},
    )
    item.refresh_from_db()
    assert item.notes == "SECRETNOTE logement insalubre"
    assert events(person, "update").filter(object_id=str(item.pk), actor_member=coordinator)
    as_doctor = client_for(doctor.user)
    assert "SECRETNOTE" in as_doctor.get(url("meeting", meeting.pk)).content.decode()
    # The person refuses their coordination part to doctors.
    refuse_coordination_to(Role.GP, person, coordinator)
    before = events(person, "read").filter(actor_member=doctor).count()
    page = as_doctor.get(url("meeting", meeting.pk))
    body = page.content.decode()
    assert "SECRETNOTE" not in body and "DUPONT" in body  # the name only
    with translation.override("fr"):
        assert gettext("You do not have access to this situation's notes.") in body
    assert page.context["items"][0].readable is False
    assert page.context["items"][0].notes_form is None
    assert events(person, "read").filter(actor_member=doctor).count() == before
    # Nor may the doctor write them.
    response = as_doctor.post(
        url("meeting_item_notes", meeting.pk, item.pk), {f"n{item.pk}-notes": "x"}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.notes.startswith("SECRETNOTE")
    # Minutes, HTML and PDF: the name, never the notes.
    minutes = as_doctor.get(url("meeting_minutes", meeting.pk)).content.decode()
    assert "SECRETNOTE" not in minutes and "DUPONT" in minutes
    pdf = as_doctor.get(url("meeting_minutes_pdf", meeting.pk))
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    assert b"SECRETNOTE" not in pdf_text(pdf.content)
    assert b"DUPONT" in pdf_text(pdf.content)
    # The coordinator reads them, and each reading is logged for the person.
    before = events(person, "read").filter(actor_member=coordinator).count()
    own_pdf = as_coordinator.get(url("meeting_minutes_pdf", meeting.pk))
    assert b"SECRETNOTE" in pdf_text(own_pdf.content)
    assert "SECRETNOTE" in as_coordinator.get(url("meeting_minutes", meeting.pk)).content.decode()
    assert events(person, "read").filter(actor_member=coordinator).count() == before + 2


def test_reordering_and_withdrawing_items(as_coordinator, coordinator, person):
    meeting = plan(coordinator)
    first = situation(coordinator, meeting, person)
    second = actions.do_add_theme(coordinator, meeting, "Locaux")
    third = actions.do_add_theme(coordinator, meeting, "Vacances")
    as_coordinator.post(url("meeting_item_move", meeting.pk, third.pk), {"direction": "up"})
    as_coordinator.post(
        url("meeting_item_move", meeting.pk, first.pk), {"direction": "up"}
    )  # no-op
    as_coordinator.post(url("meeting_item_move", meeting.pk, first.pk), {"direction": "sideways"})
    order = list(meeting.items.order_by("position", "pk").values_list("pk", flat=True))
    assert order == [first.pk, third.pk, second.pk]
    as_coordinator.post(url("meeting_item_move", meeting.pk, first.pk), {"direction": "down"})
    order = list(meeting.items.order_by("position", "pk").values_list("pk", flat=True))
    assert order == [third.pk, first.pk, second.pk]
    assert events(person, "update").filter(object_id=str(first.pk)).exists()
    # An item with notes stays; an empty one may be withdrawn before the meeting.
    actions.do_write_notes(coordinator, second, "Devis demandé")
    as_coordinator.post(url("meeting_item_remove", meeting.pk, second.pk))
    assert AgendaItem.objects.filter(pk=second.pk).exists()
    as_coordinator.post(url("meeting_item_remove", meeting.pk, first.pk))
    assert not AgendaItem.objects.filter(pk=first.pk).exists()
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert [v.item.pk for v in page.context["items"]] == [third.pk, second.pk]


# --- Decisions ---------------------------------------------------------------------------


def test_a_decision_becomes_a_task_linked_to_the_item(as_coordinator, coordinator, doctor, person):
    meeting = plan(coordinator)
    item = situation(coordinator, meeting, person)
    post = url("meeting_item_decision", meeting.pk, item.pk)
    bad = as_coordinator.post(
        post, {f"d{item.pk}-text": "Appeler le bailleur", f"d{item.pk}-outcome": "task"}
    )
    assert bad.status_code == 200
    form = bad.context["items"][0].decision_form
    assert form.errors["assignees"] and form["text"].value() == "Appeler le bailleur"
    response = as_coordinator.post(
        post,
        {
            f"d{item.pk}-text": "Appeler le bailleur",
            f"d{item.pk}-outcome": "task",
            f"d{item.pk}-assignees": [doctor.pk, coordinator.pk],
            f"d{item.pk}-due_on": "15/12/2026",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.meeting_item == item and task.kind == "decision" and task.person == person
    assert set(task.assignees.all()) == {doctor, coordinator}
    assert task.due_on == datetime.date(2026, 12, 15)
    assert events(person, "create").filter(object_type="coordination.task").exists()
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert list(page.context["items"][0].item.tasks.all()) == [task]
    assert "Appeler le bailleur" in page.content.decode()


def test_a_decision_becomes_an_action_of_the_health_project(
    as_coordinator, coordinator, doctor, person
):
    meeting = plan(coordinator, MeetingKind.SYNTHESIS)
    item = situation(coordinator, meeting, person)
    post = url("meeting_item_decision", meeting.pk, item.pk)
    p = f"d{item.pk}-"
    as_coordinator.post(
        post,
        {
            p + "text": "Accompagner à la CPAM",
            p + "outcome": "action",
            p + "owner_kind": "member",
            p + "assignees": [doctor.pk],
        },
    )
    as_coordinator.post(
        post,
        {p + "text": "Prendre rendez-vous", p + "outcome": "action", p + "owner_kind": "person"},
    )
    bad = as_coordinator.post(
        post, {p + "text": "Voir avec l’ASE", p + "outcome": "action", p + "owner_kind": "partner"}
    )
    assert bad.context["items"][0].decision_form.errors["owner_name"]
    as_coordinator.post(
        post,
        {
            p + "text": "Voir avec l’ASE",
            p + "outcome": "action",
            p + "owner_kind": "partner",
            p + "owner_name": "ASE Nord",
        },
    )
    made = list(ProjectAction.objects.order_by("pk"))
    assert [a.owner_kind for a in made] == ["member", "person", "partner"]
    assert made[0].owner_member == doctor and made[2].owner_name == "ASE Nord"
    assert {a.meeting_item_id for a in made} == {item.pk}
    assert len({a.project_id for a in made}) == 1 and made[0].project.person == person
    assert not Task.objects.exists()


def test_a_theme_decision_is_a_task_without_a_person(as_coordinator, coordinator, reception):
    meeting = plan(coordinator, MeetingKind.TEAM)
    theme = actions.do_add_theme(coordinator, meeting, "Planning de l’accueil")
    p = f"d{theme.pk}-"
    # No project action for a theme: the choice is not even offered.
    page = as_coordinator.get(url("meeting", meeting.pk))
    assert "outcome" not in page.context["items"][0].decision_form.fields
    as_coordinator.post(
        url("meeting_item_decision", meeting.pk, theme.pk),
        {
            p + "text": "Refaire le planning",
            p + "outcome": "action",
            p + "assignees": [reception.pk],
        },
    )
    task = Task.objects.get()
    assert task.person is None and task.meeting_item == theme and not ProjectAction.objects.exists()
    with pytest.raises(actions.MeetingError):
        actions.do_record_decision(
            coordinator, theme, text="x", outcome="action", owner_kind="person"
        )


# --- Minutes ---------------------------------------------------------------------------


def test_minutes_in_html_and_pdf(as_coordinator, coordinator, doctor, person):
    meeting = actions.do_plan_meeting(
        coordinator,
        kind=MeetingKind.SYNTHESIS,
        title="Synthèse « Œuvre » d’équipe",
        starts_at=at(0),
        place="Salle n°2",
    )
    item = situation(coordinator, meeting, person)
    actions.do_invite_members(coordinator, meeting, [doctor])
    actions.do_invite_person(coordinator, meeting, person)
    actions.do_write_notes(
        coordinator,
        item,
        "VISIBLENOTE : cœur du sujet, « logement »",
        record_access(coordinator, person),
    )
    actions.do_record_decision(
        coordinator, item, text="DECISIONLINE", outcome="task", assignees=[doctor],
        access=record_access(coordinator, person),
    )  # fmt: skip
    html = as_coordinator.get(url("meeting_minutes", meeting.pk)).content.decode()
    assert (
        "VISIBLENOTE" in html and "DECISIONLINE" in html and "Synthèse « Œuvre » d’équipe" in html
    )
    assert "coordination/minutes.css" in html
    response = as_coordinator.get(url("meeting_minutes_pdf", meeting.pk))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert b"VISIBLENOTE" in text and b"DECISIONLINE" in text
    # WinAnsi: œ and « » are drawn, not replaced.
    assert winansi("cœur") in text and winansi("« logement »") in text
    assert winansi("Synthèse « Œuvre » d’équipe") in text


def test_hostile_values_never_break_a_meeting_page(as_coordinator, coordinator, person):
    meeting = plan(coordinator, MeetingKind.SYNTHESIS)
    item = situation(coordinator, meeting, person)
    theme = actions.do_add_theme(coordinator, meeting, "Thème")
    actions.do_invite_external(coordinator, meeting, "Externe")
    actions.do_write_notes(coordinator, theme, "NUL\x00 et <b>gras</b> ’")
    hostile = [
        "x" * 60_000,
        "\x00",
        "<script>alert(1)</script>",
        "99999999999999999999999",
        "-1",
        "31/02/2026",
    ]
    posts = [
        url(name, meeting.pk)
        for name in (
            "meeting_status",
            "meeting_edit",
            "meeting_general_notes",
            "meeting_invite_members",
            "meeting_invite_relatives",
            "meeting_invite_external",
            "meeting_presence",
            "meeting_add_theme",
            "meeting_add_situation",
        )
    ]
    posts += [
        url(name, meeting.pk, pk)
        for name in (
            "meeting_item_move",
            "meeting_item_notes",
            "meeting_item_decision",
            "meeting_item_remove",
        )
        for pk in (item.pk, theme.pk)
    ]
    fields = [
        "status", "members", "relatives", "name", "theme", "person", "direction", "notes",
        "kind", "title", "date", "time", "duration_minutes", "place",
        f"n{item.pk}-notes", f"d{item.pk}-text", f"d{item.pk}-outcome", f"d{item.pk}-assignees",
        f"d{item.pk}-owner_kind", f"d{item.pk}-due_on", f"d{theme.pk}-due_on",
    ]  # fmt: skip
    fields += [f"attendee_{a.pk}" for a in meeting.attendees.all()]
    for target in posts:
        for value in hostile:
            response = as_coordinator.post(target, dict.fromkeys(fields, value))
            assert response.status_code < 500, (target, value[:10])
            assert "<script>alert(1)</script>" not in response.content.decode()
    for value in [*hostile, "２０２６-１１-２４", "12/03/1985", "06 12 34 56 78", "%s%s%n{0}"]:
        page = as_coordinator.get(url("meeting", meeting.pk), {"q": value})
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.content.decode()
    for name in ("meeting_minutes", "meeting_minutes_pdf", "meeting"):
        assert as_coordinator.get(url(name, meeting.pk)).status_code == 200
    for query in ({"start": "31/02/2026"}, {"start": "01/01/0001", "end": "01/01/0001"},
                  {"start": "2026-05-01", "end": "2026-01-01"}):  # fmt: skip
        page = as_coordinator.get(url("meeting_report"), query)
        assert page.status_code == 200 and page.context["form"].errors


# --- The report ------------------------------------------------------------------------


def test_the_report_counts_whether_persons_took_part(
    as_coordinator, coordinator, person, make_person, django_assert_max_num_queries
):
    others = [make_person(birth_name=f"NOM{n}", given_names="Test") for n in range(3)]

    def held(kind, persons, invited=(), present=(), days=-10, status=MeetingStatus.HELD):
        meeting = plan(coordinator, kind, days=days)
        for p in persons:
            situation(coordinator, meeting, p)
        for p in invited:
            attendee = actions.do_invite_person(coordinator, meeting, p)
            if p in present:
                actions.do_record_presence(coordinator, meeting, {attendee.pk: True})
        if status != MeetingStatus.PLANNED:
            actions.do_set_status(coordinator, meeting, status)
        return meeting

    held(MeetingKind.SYNTHESIS, [person, others[0]], invited=[person, others[0]], present=[person])
    held(MeetingKind.SYNTHESIS, [others[1]], invited=[others[1]], present=[others[1]])
    held(MeetingKind.CONCERTATION, [person, others[1], others[2]], invited=[others[2]])
    held(MeetingKind.TEAM, [])
    held(MeetingKind.CONCERTATION, [person], invited=[person], status=MeetingStatus.CANCELLED)
    held(MeetingKind.CONCERTATION, [person], status=MeetingStatus.PLANNED)
    held(MeetingKind.CONCERTATION, [person], days=-500)  # out of the default period
    with django_assert_max_num_queries(12):
        response = as_coordinator.get(url("meeting_report"))
    rows = {row.kind: row for row in response.context["rows"]}
    synthesis, case = rows["synthesis"], rows["concertation"]
    assert (synthesis.meetings, synthesis.situations, synthesis.invited, synthesis.present) == (
        2,
        3,
        3,
        2,
    )
    assert synthesis.invited_percent == 100 and synthesis.present_percent == 67
    assert (case.meetings, case.situations, case.invited, case.present) == (1, 3, 1, 0)
    assert (rows["team"].meetings, rows["team"].situations, rows["team"].invited_percent) == (
        1,
        0,
        None,
    )
    total = response.context["total"]
    assert (total.meetings, total.situations, total.invited, total.present) == (4, 6, 4, 2)
    # A chosen period.
    since = (timezone.localdate() - datetime.timedelta(days=600)).isoformat()
    wide = as_coordinator.get(url("meeting_report"), {"start": since})
    assert wide.context["total"].meetings == 5
    # The count of queries does not grow with the data.
    for _n in range(5):
        held(MeetingKind.SYNTHESIS, [person], invited=[person], present=[person])
    with django_assert_max_num_queries(12):
        again = as_coordinator.get(url("meeting_report"))
    assert again.context["total"].meetings == 9


@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_a_network_reads_the_report_on_its_replica(
    as_coordinator, coordinator, person, reports_replica
):
    meeting = plan(coordinator, MeetingKind.SYNTHESIS, days=-3)
    situation(coordinator, meeting, person)
    actions.do_set_status(coordinator, meeting, MeetingStatus.HELD)
    with CaptureQueriesContext(reports_replica) as replica:
        response = as_coordinator.get(url("meeting_report"))
    assert response.context["total"].meetings == 1
    assert response.context["total"].situations == 1
    report_tables = ("coordination_meeting", "coordination_agendaitem")
    on_replica = [q["sql"] for q in replica.captured_queries]
    assert any(table in sql for sql in on_replica for table in report_tables)


# --- Today's meetings for the team home ------------------------------------------------------


def test_todays_meetings_invitations_first_in_a_bounded_number_of_queries(
    coordinator, doctor, reception, interpreter, django_assert_max_num_queries
):
    early = plan(coordinator, MeetingKind.TEAM, days=0, hour=9, title="Équipe")
    late = plan(coordinator, MeetingKind.CONCERTATION, days=0, hour=16, title="Concertation")
    plan(coordinator, MeetingKind.TEAM, days=1, title="Demain")
    actions.do_invite_members(coordinator, late, [doctor])
    with django_assert_max_num_queries(3):
        found = queries.todays_meetings(doctor)
    assert found == [late, early] and found[0].member_invited is True
    assert queries.todays_meetings(reception) == [early, late]
    assert queries.todays_meetings(interpreter) == []
    for hour in range(8, 18):
        plan(coordinator, MeetingKind.TEAM, days=0, hour=hour)
    with django_assert_max_num_queries(3):
        assert len(queries.todays_meetings(doctor)) == 12
