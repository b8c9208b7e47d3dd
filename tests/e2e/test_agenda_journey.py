"""The agenda, end to end in a real browser: reception books a co-consultation for next
week — a GP and a social worker together, an Arabic interpreter by phone, a room — from
the person's page through the free-slot search; on the day, the desk marks the person
arrived then in the waiting room, the GP calls her in and writes the encounter prefilled
from the appointment; another person does not come, and a follow-up task reaches his
referent. The week of a member and of a room, the rooms and the working hours are checked
too. An appointment booked by name and phone only is attached to a record when the
person arrives: registered there and then, prefilled from the booking, or found among the
registered persons. An axe check runs on each new page. Elements are found by URL, field
name, form action or structure, not by wording."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from maillage.agenda import actions
from maillage.agenda.models import Appointment, MemberLanguage, Room, WorkingHours
from maillage.agenda.queries import monday_of
from maillage.coordination.models import Task
from maillage.core.roles import Role
from maillage.people.actions import do_register_person
from maillage.people.models import Person
from maillage.record.actions import do_add_to_care_team
from tests.conftest import make_member
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

REASON = "Douleurs lombaires et dossier de complémentaire santé"
NOTE = "Vue avec l'assistante sociale et l'interprète : demande de CSS déposée ensemble."
HOURS = [(datetime.time(9), datetime.time(12, 30)), (datetime.time(14), datetime.time(18))]


@pytest.fixture(autouse=True)
def ten_in_the_morning():
    """The clock reads 10:00 (Paris) today, then runs on: the day's appointments are
    booked around "now", so the journey must not depend on the hour the tests run (just
    after midnight there is no room for an appointment that began 45 minutes ago)."""
    ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(ten, tick=True):
        yield


def sign_in(page, username: str) -> None:
    """Log out whoever is signed in (the header's form), then sign in as someone else."""
    logout = page.locator("form[action$='/logout/'] button[type=submit]")
    if page.url.startswith("http") and logout.count():
        with page.expect_navigation():
            logout.click()
    login(page, username, "pw-" + username)


def submit(form) -> None:
    """Submit a form and wait for the page it leads to."""
    with form.page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def status_button(scope, status: str):
    """The desk's (or the appointment page's) button that moves an appointment to
    ``status``."""
    return scope.locator(f"form[action$='/statut/'] button[name=status][value={status}]")


def press(button) -> None:
    """Press a button and wait for the page it leads to."""
    with button.page.expect_navigation():
        button.click()


def register(member, birth_name: str, given_names: str, sex: str, year: int, **extra):
    return do_register_person(
        member,
        {
            "birth_name": birth_name,
            "given_names": given_names,
            "sex": sex,
            "birth_year": year,
            "birth_month": 5,
            "birth_day": 12,
            **extra,
        },
    )


def test_a_co_consultation_booked_held_written_and_a_no_show_followed(page, a11y, desk):
    # 1. Set-up, through the ORM and the actions: the team, a room, their working hours,
    # two registered persons.
    centre = desk.structure
    gp = make_member(centre, "medecin-e2e", Role.GP, "medecin_generaliste")
    social = make_member(centre, "social-e2e", Role.SOCIAL_WORKER, "assistant_social")
    interpreter = make_member(centre, "interprete-e2e", Role.INTERPRETER, "interprete")
    MemberLanguage.objects.create(member=interpreter, language="ar")
    room = Room.objects.create(structure=centre, name="Salle 2", equipment=["speakerphone"])
    WorkingHours.objects.bulk_create(
        WorkingHours(member=m, weekday=day, starts=start, ends=end)
        for m in (desk, gp, social, interpreter)
        for day in range(5)
        for start, end in HOURS
    )
    mme_a = register(
        desk,
        "AMRANI",
        "Aïcha",
        "F",
        1979,
        languages=["ar"],
        interpreter_needed=True,
        interpreting_language="ar",
    )
    m_b = register(desk, "BERNARD", "Paul", "M", 1961, languages=["fr"])
    do_add_to_care_team(gp, m_b, gp, referent=True)
    today = timezone.localdate()
    # The Monday of next week (1 to 7 days ahead): never today, so that every time of that
    # week is still to come and free.
    next_monday = monday_of(today) + datetime.timedelta(days=7)

    # 2. Reception signs in and opens the desk from the menu.
    login(page, "accueil-e2e", "pw-accueil-e2e", a11y)
    page.locator("header nav a[href='/agenda/accueil/']").click()
    page.wait_for_url("**/agenda/accueil/")
    a11y.check(page, "desk, an empty day")

    # Mme A's page: book an appointment for her.
    page.goto(f"/personnes/{mme_a.pk}/")
    a11y.check(page, "person page")
    page.locator("main a[href^='/agenda/nouveau/?personne=']").click()
    page.wait_for_url(f"**/agenda/nouveau/?personne={mme_a.pk}")
    a11y.check(page, "book an appointment")
    search = page.locator("main form[method=get]")
    search.locator("select[name=kind]").select_option("co_consultation")
    search.locator(f"input[name=members][value='{gp.pk}']").check()
    search.locator(f"input[name=members][value='{social.pk}']").check()
    search.locator("select[name=duration]").select_option("45")
    search.locator("select[name=room]").select_option(str(room.pk))
    search.locator("select[name=interpreting]").select_option("phone")
    search.locator("select[name=language]").select_option("ar")
    search.locator("input[name=first_day]").fill(next_monday.isoformat())
    search.locator("input[name=days]").fill("5")
    submit(search)
    page.wait_for_url(re.compile(r"/agenda/nouveau/\?.*members="))
    slots = page.locator("main ul.slots a[href^='/agenda/nouveau/confirmer/']")
    expect(slots.first).to_be_visible()
    a11y.check(page, "free times found")
    offered = parse_qs(urlsplit(slots.first.get_attribute("href")).query)
    assert offered["interpreter"] == [str(interpreter.pk)]
    assert offered["room"] == [str(room.pk)]
    slots.first.click()
    page.wait_for_url("**/agenda/nouveau/confirmer/?*")
    a11y.check(page, "confirm the booking")
    form = page.locator("main form[method=post]")
    expect(form.locator("select[name=kind]")).to_have_value("co_consultation")
    expect(form.locator("select[name=interpreter]")).to_have_value(str(interpreter.pk))
    form.locator("textarea[name=reason]").fill(REASON)
    submit(form)
    page.wait_for_url(re.compile(r"/agenda/rdv/\d+/$"))
    a11y.check(page, "appointment booked")

    # 3. In the database: one appointment next week, both members and the interpreter held.
    booked = Appointment.objects.get()
    assert page.url.endswith(f"/agenda/rdv/{booked.pk}/")
    assert (booked.kind, booked.person, booked.room) == ("co_consultation", mme_a, room)
    assert booked.interpreting == "phone" and booked.language == "ar"
    assert booked.interpreter == interpreter
    assert booked.reason == REASON and booked.status == "expected"
    held = {(p.member, p.as_interpreter, p.holding) for p in booked.participants.all()}
    assert held == {(gp, False, True), (social, False, True), (interpreter, True, True)}
    starts = timezone.localtime(booked.starts_at)
    assert next_monday <= starts.date() < next_monday + datetime.timedelta(days=5)
    assert starts.date().isoformat() == offered["date"][0]
    assert starts.strftime("%H:%M") == offered["time"][0]
    assert booked.duration_minutes == 45

    # 4. Today. Mme A also has an appointment today, booked earlier (through the actions)
    # like the one above; the appointment of next week stays as booked. Before it, M. B's
    # appointment with the GP began 45 minutes ago and he is not there. Both may fall
    # outside the working hours (on a weekend): the members agreed.
    now = timezone.localtime().replace(second=0, microsecond=0)
    b_start = now - datetime.timedelta(minutes=45)
    b_booking = actions.Booking(
        kind="consultation",
        members=[gp],
        starts_at=b_start,
        duration=datetime.timedelta(minutes=30),
        person=m_b,
        reason="Renouvellement",
        outside_hours_ok=True,
    )
    missed = actions.do_book_appointment(desk, b_booking)
    today_booking = actions.Booking(
        kind="co_consultation",
        members=[gp, social],
        starts_at=max(now - datetime.timedelta(minutes=1), missed.ends_at),
        duration=datetime.timedelta(minutes=45),
        person=mme_a,
        room=room,
        reason=REASON,
        interpreting="phone",
        language="ar",
        interpreter=interpreter,
        outside_hours_ok=True,
    )
    todays = actions.do_book_appointment(desk, today_booking)

    # Reception: Mme A arrives, then goes to the waiting room.
    page.goto("/agenda/accueil/")
    row = page.locator(f"main table.desk tr#rdv-{todays.pk}")
    expect(row).to_be_visible()
    expect(page.locator(f"main table.desk tr#rdv-{missed.pk}")).to_be_visible()
    a11y.check(page, "desk, the day")
    press(status_button(row, "arrived"))
    page.wait_for_url(re.compile(rf"/agenda/accueil/\?date={today.isoformat()}#rdv-{todays.pk}$"))
    todays.refresh_from_db()
    assert todays.status == "arrived" and todays.arrived_at is not None
    a11y.check(page, "desk, a person arrived")
    press(status_button(row, "waiting"))
    todays.refresh_from_db()
    assert todays.status == "waiting"
    waiting_cell = row.locator("td").nth(4)  # time, who, with, status, waiting, actions
    expect(waiting_cell).to_have_text(re.compile(r"\d+\s*min"))
    a11y.check(page, "desk, a person in the waiting room")

    # 5. The GP calls her in, and writes the encounter from the appointment.
    sign_in(page, "medecin-e2e")
    page.locator("header nav a[href='/agenda/accueil/']").click()
    page.wait_for_url("**/agenda/accueil/")
    page.locator(f"main table.desk a[href='/agenda/rdv/{todays.pk}/']").click()
    page.wait_for_url(f"**/agenda/rdv/{todays.pk}/")
    a11y.check(page, "appointment, waiting")
    press(status_button(page.locator("main"), "in_consultation"))
    page.wait_for_url(f"**/agenda/rdv/{todays.pk}/")
    todays.refresh_from_db()
    assert todays.status == "in_consultation" and todays.called_at is not None
    a11y.check(page, "appointment, in consultation")
    page.locator("main a[href*='/dossier/rencontre/?rdv=']").click()
    page.wait_for_url(f"**/personnes/{mme_a.pk}/dossier/rencontre/?rdv={todays.pk}")
    a11y.check(page, "encounter from the appointment")
    form = page.locator("main form[method=post]")
    expect(form.locator("select[name=kind]")).to_have_value("co_consultation")
    expect(form.locator(f"input[name=members][value='{social.pk}']")).to_be_checked()
    expect(form.locator(f"input[name=members][value='{desk.pk}']")).not_to_be_checked()
    expect(form.locator("select[name=interpreter]")).to_have_value(str(interpreter.pk))
    expect(form.locator("select[name=interpreting_language]")).to_have_value("ar")
    expect(form.locator("textarea[name=reason]")).to_have_value(REASON)
    form.locator("textarea[name=note]").fill(NOTE)
    submit(form)
    page.wait_for_url(f"**/personnes/{mme_a.pk}/dossier/")
    todays.refresh_from_db()
    assert todays.entry is not None
    assert todays.entry.encounter.kind == "co_consultation"
    encounter = todays.entry.encounter
    assert encounter.interpreting_language == "ar" and encounter.reason == REASON
    present = {(p.kind, p.member) for p in todays.entry.participants.all()}
    assert {("member", social), ("interpreter", interpreter)} <= present
    a11y.check(page, "journal with the encounter")
    page.goto(f"/agenda/rdv/{todays.pk}/")
    expect(page.locator(f"main a[href$='#entry-{todays.entry_id}']")).to_be_visible()
    expect(page.locator("main a[href*='/dossier/rencontre/?rdv=']")).to_have_count(0)
    a11y.check(page, "appointment with its journal entry")

    # 6. M. B did not come: reception says so; a task reaches his referent, the GP.
    sign_in(page, "accueil-e2e")
    page.goto("/agenda/accueil/")
    row = page.locator(f"main table.desk tr#rdv-{missed.pk}")
    press(status_button(row, "no_show"))
    missed.refresh_from_db()
    assert missed.status == "no_show"
    task = Task.objects.get(kind="no_show")
    assert task.person == m_b and list(task.assignees.all()) == [gp]
    assert missed.follow_up_task == task
    expect(status_button(row, "no_show")).to_have_count(0)
    a11y.check(page, "desk, a no-show")
    sign_in(page, "medecin-e2e")
    page.locator("header nav a[href='/coordination/taches/']").click()
    page.wait_for_url("**/coordination/taches/")
    expect(page.locator(f"main a[href='/coordination/taches/{task.pk}/']")).to_be_visible()
    a11y.check(page, "the GP's tasks")

    # 7. The GP's week, the room's week (this one, then next week with the co-consultation
    # booked in the browser), the rooms, the GP's working hours: through the agenda's menu.
    page.locator("header nav a[href='/agenda/accueil/']").click()
    page.wait_for_url("**/agenda/accueil/")
    agenda_nav = page.locator("main nav", has=page.locator("a[href='/agenda/salles/']"))
    agenda_nav.locator("a[href='/agenda/']").click()
    page.wait_for_url("**/agenda/")
    expect(page.locator(f"main a[href='/agenda/rdv/{todays.pk}/']")).to_be_visible()
    expect(page.locator(f"main a[href='/agenda/rdv/{missed.pk}/']")).to_be_visible()
    a11y.check(page, "the GP's week")
    agenda_nav.locator("a[href='/agenda/salles/']").click()
    page.wait_for_url("**/agenda/salles/")
    a11y.check(page, "rooms")
    page.locator(f"main a[href='/agenda/?salle={room.pk}']").click()
    page.wait_for_url(f"**/agenda/?salle={room.pk}")
    expect(page.locator(f"main a[href='/agenda/rdv/{todays.pk}/']")).to_be_visible()
    expect(page.locator(f"main a[href='/agenda/rdv/{missed.pk}/']")).to_have_count(0)
    a11y.check(page, "the room's week")
    next_week = f"?salle={room.pk}&date={next_monday.isoformat()}"
    page.locator(f"main nav a[href='{next_week}']").click()
    page.wait_for_url(f"**/agenda/{next_week}")
    expect(page.locator(f"main a[href='/agenda/rdv/{booked.pk}/']")).to_be_visible()
    agenda_nav.locator(f"a[href='/agenda/horaires/{gp.pk}/']").click()
    page.wait_for_url(f"**/agenda/horaires/{gp.pk}/")
    expect(page.locator("main input[name=d0_1_from]")).to_have_value("09:00")
    expect(page.locator("main input[name=d4_2_to]")).to_have_value("18:00")
    expect(page.locator("main input[name=d5_1_from]")).to_have_value("")
    a11y.check(page, "the GP's working hours")


def test_an_appointment_booked_by_name_is_attached_to_a_record_at_arrival(page, a11y, desk):
    # 1. Set-up, through the ORM and the actions: a social worker and her working hours,
    # one registered person whose name is not the booked one, and a social interview
    # booked today by name and phone only. It may fall outside the working hours (on a
    # weekend): the member agreed.
    centre = desk.structure
    social = make_member(centre, "social-e2e", Role.SOCIAL_WORKER, "assistant_social")
    WorkingHours.objects.bulk_create(
        WorkingHours(member=m, weekday=day, starts=start, ends=end)
        for m in (desk, social)
        for day in range(5)
        for start, end in HOURS
    )
    register(desk, "DUPONT", "Marc", "M", 1958, languages=["fr"])
    now = timezone.localtime().replace(second=0, microsecond=0)
    by_name = actions.do_book_appointment(
        desk,
        actions.Booking(
            kind="social_interview",
            members=[social],
            starts_at=now - datetime.timedelta(minutes=1),
            duration=datetime.timedelta(minutes=30),
            person=None,
            unregistered_name="Samira KHELIFI",
            unregistered_phone="06 98 00 12 34",
            outside_hours_ok=True,
        ),
    )

    # 2. Reception: she arrives; the desk leads to the appointment, to attach it.
    sign_in(page, "accueil-e2e")
    page.goto("/agenda/accueil/")
    row = page.locator(f"main table.desk tr#rdv-{by_name.pk}")
    expect(row).to_be_visible()
    press(status_button(row, "arrived"))
    page.wait_for_url(re.compile(rf"/agenda/rdv/{by_name.pk}/#attach-title$"))
    assert page.url.endswith(f"/agenda/rdv/{by_name.pk}/#attach-title")
    by_name.refresh_from_db()
    assert by_name.status == "arrived" and by_name.person is None
    section = page.locator("section[aria-labelledby=attach-title]")
    expect(section).to_be_visible()
    # Nobody registered matches by name or phone: nobody to attach, only to register.
    expect(section.locator("form[action$='/rattacher/']")).to_have_count(0)
    a11y.check(page, "appointment by name, to attach")

    # 3. She is registered from there: the form is prefilled from the booking.
    section.locator("a[href^='/personnes/'][href*='rdv=']").click()
    page.wait_for_url(re.compile(rf"/personnes/[^?]+\?(.*&)?rdv={by_name.pk}(&|$)"))
    a11y.check(page, "registration from an appointment")
    form = page.locator("main form[method=post]:has(input[name=rdv])")
    expect(form.locator("input[name=birth_name]")).to_have_value("KHELIFI")
    expect(form.locator("input[name=given_names]")).to_have_value("Samira")
    expect(form.locator("input[name=phone]")).to_have_value("06 98 00 12 34")
    expect(form.locator("input[type=hidden][name=rdv]")).to_have_value(str(by_name.pk))
    form.locator("input[name=sex][value=F]").check()
    form.locator("input[name=birth_date]").fill("14/09/1990")
    form.locator("select[name=document_type]").select_option("none")
    form.locator("select[name=identity_status]").select_option("prov")
    form.locator("input[name=languages][value=fr]").check()
    submit(form)
    page.wait_for_url(re.compile(rf"/agenda/rdv/{by_name.pk}/$"))
    samira = Person.objects.get(birth_name="KHELIFI")
    assert (samira.given_names, samira.phone) == ("Samira", "06 98 00 12 34")
    by_name.refresh_from_db()
    assert by_name.person == samira
    expect(page.locator(f"main a[href='/personnes/{samira.pk}/']")).to_be_visible()
    expect(page.locator("section[aria-labelledby=attach-title]")).to_have_count(0)
    a11y.check(page, "appointment attached to a new record")

    # 4. Another appointment by name, for someone registered already (same phone): he
    # is proposed on the appointment's page, and reception attaches it to his record.
    sylla = register(desk, "SYLLA", "Oumar", "M", 1984, languages=["fr"], phone="07 61 00 45 67")
    known = actions.do_book_appointment(
        desk,
        actions.Booking(
            kind="social_interview",
            members=[social],
            starts_at=by_name.ends_at,
            duration=datetime.timedelta(minutes=30),
            person=None,
            unregistered_name="Oumar SYLLA",
            unregistered_phone="07 61 00 45 67",
            outside_hours_ok=True,
        ),
    )
    page.goto(f"/agenda/rdv/{known.pk}/")
    section = page.locator("section[aria-labelledby=attach-title]")
    expect(section).to_be_visible()
    a11y.check(page, "appointment by name, a registered person proposed")
    candidate = section.locator("form[action$='/rattacher/']")
    expect(candidate).to_have_count(1)
    expect(candidate.locator("input[name=personne]")).to_have_value(str(sylla.pk))
    submit(candidate)
    page.wait_for_url(re.compile(rf"/agenda/rdv/{known.pk}/$"))
    known.refresh_from_db()
    assert known.person == sylla
    assert Person.objects.filter(birth_name="SYLLA").count() == 1
    expect(page.locator(f"main a[href='/personnes/{sylla.pk}/']")).to_be_visible()
    expect(page.locator("section[aria-labelledby=attach-title]")).to_have_count(0)
