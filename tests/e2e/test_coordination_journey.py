"""The coordination function, end to end in a real browser: a neighbour's phone call about
an isolated elderly man becomes a request, a first contact, a registration, a synthesis
meeting with him and his daughter, a health project in his words, a referral to a home
nursing service followed until its feedback, a review point, and his own reading of the
project from his space. An axe check runs on each new page. Elements are found by URL,
field name, form action or structure, not by wording."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maillage.coordination.actions import meetings, referrals
from maillage.coordination.models import (
    CoordinationRequest,
    Goal,
    Meeting,
    ProjectAction,
    Referral,
    ReviewPoint,
    Task,
)
from maillage.core.access import record_access
from maillage.core.models import User
from maillage.core.roles import Role
from maillage.people.models import Person, Relation
from maillage.territory import actions as territory
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import make_member
from tests.e2e.conftest import login, register
from tests.territory.data import SERVICES, STRUCTURES

pytestmark = pytest.mark.e2e

NURSING = "Soins infirmiers à domicile du quartier"
HIS_WORDS = "Depuis que ma femme est partie, je ne sors plus. Mes jambes ne me portent plus."
GOAL_WALK = "Pouvoir descendre acheter mon pain tout seul."
GOAL_NURSE = "Qu'une infirmière passe pour mes pansements, chez moi."
HIS_VIEW = "Oui, le pain d'abord. Le matin, avant que la boulangerie soit pleine."


def sign_in(page, username: str) -> None:
    """Log out whoever is signed in (the header's form), then sign in as someone else."""
    logout = page.locator("form[action$='/logout/'] button[type=submit]")
    if page.url.startswith("http") and logout.count():
        with page.expect_navigation():
            logout.click()
    login(page, username, "pw-" + username)


def submit(form) -> None:
    """Submit a form and wait for the page it leads to (often the same URL again, after
    the redirect of a POST: waiting for the URL alone would not wait for the save)."""
    with form.page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def test_a_neighbours_call_becomes_a_health_project_the_man_reads(page, a11y, desk):
    # 1. Setup, through the ORM: the centre, its coordinator, a home-nursing service.
    centre = desk.structure
    coordinator = make_member(centre, "coord-e2e", Role.COORDINATOR, "coordinateur")
    rows = {
        "structures": STRUCTURES,
        "services": [{**SERVICES[0], "id": "e2e--ssiad", "nom": NURSING}],
    }
    territory.do_import_directory(centre, di.parse([("d.json", json.dumps(rows).encode())]))
    service = Service.objects.get(owner=centre, di_id="e2e--ssiad")

    # 2. The coordinator logs in: the team home. A neighbour phones.
    login(page, "coord-e2e", "pw-coord-e2e")
    expect(page.locator("main h1")).to_have_text(centre.name)
    expect(page.locator("main section[aria-labelledby=my-tasks-title]")).to_be_visible()
    a11y.check(page, "team home")
    page.locator("main a[href='/coordination/demandes/nouvelle/']").first.click()
    page.wait_for_url("**/coordination/demandes/nouvelle/")
    a11y.check(page, "take down a request")
    form = page.locator("main form[method=post]")
    form.locator("input[name=concerns][value=unregistered]").check()
    form.locator("input[name=unregistered_name]").fill("M. Petit")
    form.locator("input[name=source][value=relative]").check()
    form.locator("input[name=source_name]").fill("Mme Bernard, voisine de palier")
    form.locator("input[name=source_contact]").fill("06 00 00 00 01, plutôt le soir")
    form.locator("input[name=channel][value=phone]").check()
    form.locator("textarea[name=first_words]").fill(
        "Mon voisin ne sort plus depuis la mort de sa femme, il a des plaies aux jambes."
    )
    form.locator("input[name=urgency][value=soon]").check()
    submit(form)
    page.wait_for_url(re.compile(r"/coordination/demandes/\d+/$"))
    item = CoordinationRequest.objects.get(structure=centre)
    assert (item.concerns, item.source, item.channel, item.urgency) == (
        "unregistered",
        "relative",
        "phone",
        "soon",
    )
    assert item.status == "waiting" and item.received_by == coordinator
    a11y.check(page, "request waiting")
    request_url = f"/coordination/demandes/{item.pk}/"

    # 3. It waits for a first contact: on the team home and the requests list.
    page.goto("/")
    waiting = page.locator("main section[aria-labelledby=requests-title]")
    expect(waiting.locator(f"a[href='{request_url}']")).to_contain_text("M. Petit")
    page.goto("/coordination/demandes/")
    expect(page.locator(f"main table a[href='{request_url}']")).to_have_count(1)
    a11y.check(page, "requests waiting")
    page.locator(f"main table a[href='{request_url}']").click()
    page.wait_for_url(f"**{request_url}")
    contact = page.locator("main form:has(input[name=step][value=contact])")
    contact.locator("textarea[name=contact-listening_notes]").fill(
        "Appelé M. Petit : il accepte qu'on passe. Vit seul au 4e sans ascenseur."
    )
    contact.locator("textarea[name=contact-at_stake]").fill(
        "Isolement depuis le veuvage ; plaies des jambes non soignées."
    )
    submit(contact)
    page.wait_for_url(f"**{request_url}")
    expect(page.locator("main form:has(input[name=step][value=contact])")).to_have_count(0)
    item.refresh_from_db()
    assert item.status == "in_triage" and item.first_contact_by == coordinator
    a11y.check(page, "request in triage")
    page.goto("/")
    expect(waiting.locator(f"a[href='{request_url}']")).to_have_count(0)

    # 4. A coordinator may not register (administrative part, read only): reception
    # registers him, and adds his daughter to his entourage, in the same browser.
    sign_in(page, "accueil-e2e")
    page.locator("main a[href='/personnes/inscrire/']").first.click()
    page.wait_for_url("**/personnes/inscrire/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=birth_name]").fill("Petit")
    form.locator("input[name=given_names]").fill("Marcel")
    form.locator("input[name=birth_date]").fill("14/02/1938")
    form.locator("input[name=sex][value=M]").check()
    form.locator("input[name=languages][value=fr]").check()
    submit(form)
    page.wait_for_url(re.compile(r"/personnes/\d+/$"))
    person = Person.objects.get(birth_name="PETIT", given_names="Marcel")
    page.locator(f"main a[href='/personnes/{person.pk}/entourage/ajouter/']").click()
    page.wait_for_url("**/entourage/ajouter/")
    a11y.check(page, "entourage form")
    form = page.locator("main form[method=post]")
    form.locator("select[name=kind]").select_option("child")
    form.locator("input[name=name]").fill("Sophie Petit")
    form.locator("input[name=phone]").fill("06 00 00 00 02")
    form.locator("input[name=team_may_contact]").check()
    submit(form)
    page.wait_for_url(f"**/personnes/{person.pk}/")
    daughter = Relation.objects.get(person=person)
    assert daughter.team_may_contact

    # The coordinator links the request to his record.
    sign_in(page, "coord-e2e")
    page.goto(request_url)
    search = page.locator("main form[role=search]")
    search.locator("input[name=q]").fill("Petit")
    submit(search)
    page.locator(f"main a[href='?personne={person.pk}']").click()
    page.wait_for_url(re.compile(rf"\?personne={person.pk}$"))
    a11y.check(page, "request, linking")
    submit(page.locator("main form:has(input[name=step][value=link])"))
    page.wait_for_url(f"**{request_url}")
    expect(page.locator(f"main a[href='/personnes/{person.pk}/dossier/']")).to_be_visible()
    item.refresh_from_db()
    assert item.person == person

    # 5. A synthesis meeting, with him and his daughter.
    page.goto("/coordination/reunions/")
    a11y.check(page, "meetings")
    page.locator("main a[href='/coordination/reunions/nouvelle/']").click()
    page.wait_for_url("**/coordination/reunions/nouvelle/")
    a11y.check(page, "plan a meeting")
    form = page.locator("main form[method=post]")
    form.locator("select[name=kind]").select_option("synthesis")
    form.locator("input[name=title]").fill("Synthèse chez M. Petit")
    form.locator("input[name=date]").fill(timezone.localdate().isoformat())
    form.locator("input[name=time]").fill("10:00")
    form.locator("input[name=place]").fill("À son domicile")
    submit(form)
    page.wait_for_url(re.compile(r"/coordination/reunions/\d+/"))
    meeting = Meeting.objects.get(structure=centre)
    meeting_url = f"/coordination/reunions/{meeting.pk}/"
    search = page.locator("main form.filters:has(input[name=q])")
    search.locator("input[name=q]").fill("Petit")
    submit(search)
    add = page.locator(f"main form[action='{meeting_url}ordre-du-jour/situation/']")
    submit(add.filter(has=page.locator(f"input[name=person][value='{person.pk}']")))
    page.wait_for_url(f"**{meeting_url}#item-*")
    agenda_item = meeting.items.get(person=person)
    # A synthesis meeting without the person is flagged, with a button to invite him.
    invite = page.locator(f"main form[action='{meeting_url}invitations/personne/{person.pk}/']")
    expect(invite.first).to_be_visible()
    a11y.check(page, "meeting, the person not invited")
    submit(invite.first)
    page.wait_for_url(f"**{meeting_url}#item-*")
    expect(invite).to_have_count(0)
    relatives = page.locator(f"main form[action='{meeting_url}invitations/proches/']")
    relatives.locator(f"input[name=relatives][value='{daughter.pk}']").check()
    submit(relatives)
    page.wait_for_url(f"**{meeting_url}#attendees")
    assert meeting.attendees.filter(invited=True).count() == 2
    presence = page.locator(f"main form[action='{meeting_url}presences/']")
    for radio in presence.locator("input[type=radio][value=yes]").all():
        radio.check()
    submit(presence)
    page.wait_for_url(f"**{meeting_url}#attendees")
    assert meeting.attendees.filter(present=True).count() == 2
    status = page.locator(f"main form[action='{meeting_url}statut/']")
    status.locator("input[name=status][value=held]").check()
    submit(status)
    page.wait_for_url(f"**{meeting_url}")
    item_path = f"{meeting_url}ordre-du-jour/{agenda_item.pk}/"
    notes = page.locator(f"main form[action='{item_path}notes/']")
    notes.locator("textarea").fill(
        "M. Petit veut d'abord ressortir de chez lui. Sa fille passe le dimanche."
    )
    submit(notes)
    page.wait_for_url(f"**{meeting_url}#item-{agenda_item.pk}")
    decision = page.locator(f"main form[action='{item_path}decision/']")
    prefix = f"d{agenda_item.pk}-"
    decision.locator(f"input[name='{prefix}text']").fill("Sophie appelle le SSIAD cette semaine.")
    decision.locator(f"input[name='{prefix}outcome'][value=action]").check()
    decision.locator(f"select[name='{prefix}owner_kind']").select_option("relative")
    decision.locator(f"input[name='{prefix}owner_name']").fill("Sophie Petit")
    submit(decision)
    page.wait_for_url(f"**{meeting_url}#item-{agenda_item.pk}")
    action = ProjectAction.objects.get(meeting_item=agenda_item)
    assert (action.owner_kind, action.owner_name) == ("relative", "Sophie Petit")
    expect(page.locator(f"main #item-{agenda_item.pk}")).to_contain_text("Sophie appelle le SSIAD")
    a11y.check(page, "meeting held, with notes and a decision")

    # 6. His health project (opened by the decision): his words, two goals in his words.
    project_url = f"/personnes/{person.pk}/projet/"
    page.goto(project_url)
    expect(page.locator("main")).to_contain_text("Sophie appelle le SSIAD")
    a11y.check(page, "health project")
    page.locator(f"main a[href='{project_url}problematiques/nouvelle/']").click()
    page.wait_for_url("**/problematiques/nouvelle/")
    a11y.check(page, "problématique form")
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=person_words]").fill(HIS_WORDS)
    form.locator("input[name=title]").fill("Isolement et plaies des jambes")
    form.locator("textarea[name=understanding]").fill("Veuvage récent, 4e sans ascenseur.")
    submit(form)
    page.wait_for_url(f"**{project_url}#problematiques")
    expect(page.locator("main blockquote").first).to_contain_text("je ne sors plus")
    for number, words in enumerate((GOAL_WALK, GOAL_NURSE)):
        page.locator(f"main a[href='{project_url}objectifs/nouveau/']").click()
        page.wait_for_url("**/objectifs/nouveau/")
        if number == 0:
            a11y.check(page, "goal form")
        form = page.locator("main form[method=post]")
        form.locator("textarea[name=words]").fill(words)
        form.locator("select[name=problematique]").select_option(index=1)
        form.locator("select[name=proposed_by]").select_option("person")
        submit(form)
        page.wait_for_url(f"**{project_url}#goals")
    goals = page.locator("main section[aria-labelledby=goals] article.card")
    expect(goals).to_have_count(2)
    expect(goals.nth(0).locator("h3")).to_contain_text("pain")
    goal_walk = Goal.objects.get(words=GOAL_WALK)
    a11y.check(page, "health project with goals")

    # The request is closed: its outcome is his health project.
    page.goto(request_url)
    close = page.locator("main form:has(input[name=step][value=close])")
    close.locator("input[name=close-outcome][value=project]").check()
    close.locator("textarea[name=close-note]").fill("Projet ouvert en réunion de synthèse.")
    submit(close)
    page.wait_for_url(f"**{request_url}")
    item.refresh_from_db()
    assert item.status == "closed" and item.project == action.project
    expect(page.locator(f"main dl a[href='{project_url}']")).to_be_visible()
    expect(page.locator("main form[method=post]")).to_have_count(0)
    a11y.check(page, "request closed")

    # 7. A referral to the home-nursing service, followed until the feedback.
    page.goto(f"/personnes/{person.pk}/orientations/nouvelle/")
    search = page.locator("main form.filters")
    search.locator("input[name=q]").fill("infirmiers domicile")
    submit(search)
    page.locator(f"main a[href='?cible=service%3A{service.pk}']").click()
    page.wait_for_url(re.compile(r"\?cible=service"))
    a11y.check(page, "referral form")
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=reason]").fill("Plaies des deux jambes, pansements à domicile.")
    form.locator("textarea[name=wishes]").fill("Le matin, et que ce soit toujours la même.")
    submit(form)
    page.wait_for_url(re.compile(r"/orientations/\d+/$"))
    referral = Referral.objects.get(person=person)
    assert referral.to_service == service
    a11y.check(page, "referral proposed")
    for step in ("agreed", "sent", "received"):
        form = page.locator("main form[method=post]")
        form.locator(f"input[name=status][value={step}]").check()
        submit(form)
        page.wait_for_url(re.compile(r"/orientations/\d+/$"))
        referral.refresh_from_db()
        assert referral.status == step
    form = page.locator("main form[method=post]")
    form.locator("input[name=status][value=done]").check()
    form.locator("textarea[name=feedback]").fill("Passage tous les deux jours depuis lundi.")
    submit(form)
    page.wait_for_url(re.compile(r"/orientations/\d+/$"))
    referral.refresh_from_db()
    assert referral.status == "done" and "deux jours" in referral.feedback
    expect(page.locator("main form[method=post]")).to_have_count(0)
    expect(page.locator("main ol li")).to_have_count(5)
    a11y.check(page, "referral done")

    # His circle of care: the coordinator and his daughter, with his agreement.
    circle_url = f"/personnes/{person.pk}/cercle/"
    page.goto(circle_url)
    form = page.locator(f"main form[action='{circle_url}membre/']")
    form.locator("select[name=member-member]").select_option(str(coordinator.pk))
    form.locator("select[name=member-role]").select_option("coordinator")
    submit(form)
    page.wait_for_url(f"**{circle_url}")
    form = page.locator(f"main form[action='{circle_url}entourage/']")
    form.locator("select[name=relation-relation]").select_option(str(daughter.pk))
    form.locator("select[name=relation-role]").select_option("contributor")
    submit(form)
    page.wait_for_url(f"**{circle_url}")
    expect(page.locator("main section[aria-labelledby=entourage-title] tbody tr")).to_have_count(1)
    a11y.check(page, "circle of care")

    # 8. A review point, then the version it keeps.
    page.goto(project_url)
    page.locator(f"main a[href='{project_url}etapes/nouvelle/']").click()
    page.wait_for_url("**/etapes/nouvelle/")
    a11y.check(page, "review point form")
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=summary]").fill(
        "Les soins ont commencé ; il est ressorti deux fois."
    )
    form.locator("textarea[name=who_was_there]").fill("Sophie Petit")
    submit(form)
    page.wait_for_url(re.compile(r"/projet/etapes/\d+/$"))
    review = ReviewPoint.objects.get(project__person=person)
    expect(page.locator("main")).to_contain_text(GOAL_WALK)
    a11y.check(page, "review point version")
    page.goto(project_url)
    page.locator(f"main a[href='{project_url}etapes/{review.pk}/']").click()
    page.wait_for_url(f"**{project_url}etapes/{review.pk}/")
    expect(page.locator("main dl.facts").first).to_contain_text("Les soins ont commencé")

    # 9. He reads his project from his own space, and says what he thinks of a goal.
    user = User.objects.create_user(
        username="marcel-e2e", password="pw-marcel-e2e", first_name="Marcel", last_name="Petit"
    )
    person.user = user
    person.save(update_fields=["user"])
    sign_in(page, "marcel-e2e")
    page.wait_for_url("**/mon-espace/")
    page.locator("a[href='/mon-espace/projet/']").first.click()
    page.wait_for_url("**/mon-espace/projet/")
    a11y.check(page, "my health project")
    main = page.locator("main")
    expect(main.locator("blockquote").first).to_contain_text("je ne sors plus")
    expect(main.locator("section[aria-labelledby=referrals-title] tbody tr")).to_contain_text(
        NURSING
    )
    circle = main.locator("section[aria-labelledby=circle-title]")
    expect(circle.locator("li")).to_have_count(2)
    expect(circle).to_contain_text("Sophie Petit")
    mine = main.locator(f"article#goal-{goal_walk.pk}")
    form = mine.locator(f"form[action='/mon-espace/projet/objectifs/{goal_walk.pk}/']")
    form.locator(f"input[name='goal-{goal_walk.pk}-agreement'][value=agrees]").check()
    form.locator(f"textarea[name='goal-{goal_walk.pk}-view']").fill(HIS_VIEW)
    submit(form)
    page.wait_for_url(f"**/mon-espace/projet/#goal-{goal_walk.pk}")
    goal_walk.refresh_from_db()
    assert (goal_walk.agreement, goal_walk.person_view) == ("agrees", HIS_VIEW)
    mine = page.locator(f"main article#goal-{goal_walk.pk}")
    expect(mine.locator(f"textarea[name='goal-{goal_walk.pk}-view']")).to_have_value(HIS_VIEW)
    expect(
        mine.locator(f"input[name='goal-{goal_walk.pk}-agreement'][value=agrees]")
    ).to_be_checked()
    a11y.check(page, "my health project, my view saved")

    # 10. The coordinator reads his view on the project page.
    sign_in(page, "coord-e2e")
    page.goto(project_url)
    card = page.locator("main section[aria-labelledby=goals] article.card", has_text=GOAL_WALK)
    expect(card).to_contain_text(HIS_VIEW)


def test_a_task_done_and_the_meeting_minutes(page, a11y, desk):
    centre = desk.structure
    coordinator = make_member(centre, "coord-e2e", Role.COORDINATOR, "coordinateur")
    nurse = make_member(centre, "infirmiere-e2e", Role.NURSE, "infirmier")
    person = register(desk, "PETIT", "Marcel", "M", "14/02/1938")
    access = record_access(coordinator, person)
    # A synthesis meeting held this morning, with his situation, a theme and a decision.
    meeting = meetings.do_plan_meeting(
        coordinator,
        kind="synthesis",
        title="Synthèse du mardi",
        starts_at=timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0),
        place="Salle 2",
    )
    meetings.do_add_theme(coordinator, meeting, "Les visites à domicile l'hiver")
    situation = meetings.do_add_situation(coordinator, meeting, person, access)
    meetings.do_invite_person(coordinator, meeting, person)
    meetings.do_invite_members(coordinator, meeting, [coordinator, nurse])
    meetings.do_record_presence(coordinator, meeting, {a.pk: True for a in meeting.attendees.all()})
    meetings.do_write_general_notes(coordinator, meeting, "Penser au planning de janvier.")
    meetings.do_write_notes(coordinator, situation, "Il veut ressortir de chez lui.", access)
    meetings.do_record_decision(
        coordinator,
        situation,
        text="Passer le voir jeudi",
        outcome="task",
        assignees=[nurse],
        access=access,
    )
    meetings.do_set_status(coordinator, meeting, "held")
    referral = referrals.do_propose_referral(
        access, to_member=nurse, reason="Plaies des jambes, pansements."
    )
    for step in ("agreed", "sent"):
        referrals.do_advance_referral(access, referral, step)

    # A task for oneself, seen on the team home, done with a note.
    login(page, "coord-e2e", "pw-coord-e2e")
    page.goto("/coordination/taches/")
    a11y.check(page, "tasks")
    page.locator("main a[href='/coordination/taches/nouvelle/']").click()
    page.wait_for_url("**/coordination/taches/nouvelle/")
    a11y.check(page, "new task")
    form = page.locator("main form[method=post]")
    form.locator("input[name=title]").fill("Rappeler la pharmacie pour le pilulier")
    form.locator("textarea[name=details]").fill("Demander la livraison le vendredi.")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form.locator("input[name=due_on]").fill(tomorrow.isoformat())
    expect(form.locator(f"input[name=assignees][value='{coordinator.pk}']")).to_be_checked()
    submit(form)
    page.wait_for_url(re.compile(r"/coordination/taches/\d+/$"))
    task = Task.objects.get(title="Rappeler la pharmacie pour le pilulier")
    assert list(task.assignees.all()) == [coordinator]
    a11y.check(page, "task")
    page.goto("/")
    mine = page.locator("main section[aria-labelledby=my-tasks-title]")
    expect(mine.locator(f"a[href='/coordination/taches/{task.pk}/']")).to_be_visible()
    # The meeting of the day is on the team home too.
    meeting_url = f"/coordination/reunions/{meeting.pk}/"
    today = page.locator("main section[aria-labelledby=meetings-title]")
    expect(today.locator(f"a[href='{meeting_url}']")).to_be_visible()
    mine.locator(f"a[href='/coordination/taches/{task.pk}/']").click()
    page.wait_for_url(f"**/coordination/taches/{task.pk}/")
    done = page.locator("main form:has(input[name=step][value=done])")
    done.locator("textarea[name=done-note]").fill(
        "Livraison le vendredi à partir de la semaine prochaine."
    )
    submit(done)
    page.wait_for_url(f"**/coordination/taches/{task.pk}/")
    expect(page.locator("main dl")).to_contain_text("Livraison le vendredi")
    task.refresh_from_db()
    assert task.status == "done" and task.done_by == coordinator
    a11y.check(page, "task done")
    page.goto("/")
    expect(mine.locator(f"a[href='/coordination/taches/{task.pk}/']")).to_have_count(0)

    # The minutes, on screen and as a PDF.
    page.goto(meeting_url)
    a11y.check(page, "meeting held")
    page.locator(f"main a[href='{meeting_url}compte-rendu/']").click()
    page.wait_for_url(f"**{meeting_url}compte-rendu/")
    minutes = page.locator("main article.minutes")
    expect(minutes).to_contain_text("Il veut ressortir de chez lui.")
    expect(minutes).to_contain_text("Passer le voir jeudi")
    expect(minutes.locator("tbody tr")).to_have_count(3)
    a11y.check(page, "minutes")
    pdf_url = page.locator(f"main a[href='{meeting_url}compte-rendu.pdf']").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # Is the person part of the discussion about them? And the team's referrals.
    page.goto("/coordination/reunions/")
    page.locator("main a[href='/coordination/reunions/bilan/']").click()
    page.wait_for_url("**/coordination/reunions/bilan/")
    report = page.locator("main table")
    expect(report.locator("tbody tr")).to_have_count(4)  # one row per type of meeting
    total = report.locator("tfoot tr td")  # held, situations, invited, present
    expect(total.nth(0)).to_have_text("1")
    expect(total.nth(1)).to_have_text("1")
    expect(total.nth(2)).to_contain_text("100")
    expect(total.nth(3)).to_contain_text("100")
    a11y.check(page, "meeting report")
    page.goto("/coordination/orientations/")
    referral_url = f"/personnes/{person.pk}/orientations/{referral.pk}/"
    expect(page.locator(f"main table a[href='{referral_url}']")).to_be_visible()
    a11y.check(page, "team referrals")
