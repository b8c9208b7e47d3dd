"""Tasks: mine, the team's, the overdue ones; about a person through their record's access;
done with a note; follow-up tasks of referrals without news, made once and closed by news."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions import tasks as actions
from maillage.coordination.actions.projects import do_open_project
from maillage.coordination.models import Referral, Task
from maillage.coordination.queries import tasks as queries
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.lib import coordination as flow
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member

LIST = reverse("coordination:tasks")
ADD = reverse("coordination:task_add")
TODAY = timezone.localdate


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def as_coordinator(coordinator):
    return client_for(coordinator.user)


@pytest.fixture
def mediator(centre):
    return make_member(centre, "awa", Role.MEDIATOR, "mediateur_sante")


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


def task_for(author, assignees, person=None, due_on=None, **fields):
    access = access_of(author, person) if person is not None else None
    return actions.do_create_task(
        author,
        title=fields.pop("title", "Rappeler la CPAM"),
        assignees=assignees,
        due_on=due_on,
        access=access,
        **fields,
    )


def url_of(task):
    return reverse("coordination:task", args=[task.pk])


def overdue(referral, settings, days=1):
    Referral.objects.filter(pk=referral.pk).update(
        last_news_at=timezone.now() - datetime.timedelta(days=settings.REFERRAL_OVERDUE_DAYS + days)
    )


@pytest.fixture
def sent_referral(mediator, person):
    access = access_of(mediator, person)
    referral = referral_actions.do_propose_referral(
        access, to_member=mediator, reason="Ouverture de droits"
    )
    referral_actions.do_advance_referral(access, referral, "agreed")
    referral_actions.do_advance_referral(access, referral, "sent")
    return referral


# --- Creating -----------------------------------------------------------------------------


def test_a_task_about_a_persons_referral_through_the_pages(
    as_coordinator, coordinator, mediator, person, partner, observer, sent_referral
):
    url = f"{ADD}?personne={person.pk}&orientation={sent_referral.pk}"
    page = as_coordinator.get(url)
    choices = list(page.context["form"].fields["assignees"].queryset)
    assert coordinator in choices and mediator in choices
    assert partner not in choices and observer not in choices
    assert page.context["referral"] == sent_referral
    posted = {
        "title": "Appeler la CPAM",
        "details": "Dossier AME",
        "due_on": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        "assignees": [coordinator.pk, mediator.pk],
    }
    response = as_coordinator.post(url, posted)
    assert response.context["form"].errors["due_on"]
    assert "Dossier AME" in response.content.decode()
    posted["due_on"] = (TODAY() + datetime.timedelta(days=3)).isoformat()
    response = as_coordinator.post(url, posted)
    task = Task.objects.get()
    assert response.url == url_of(task)
    assert task.person == person and task.referral == sent_referral
    assert set(task.assignees.all()) == {coordinator, mediator}
    assert AccessEvent.objects.filter(
        action="create", person=person, section=Section.COORDINATION, object_id=str(task.pk)
    ).exists()
    detail = as_coordinator.get(url_of(task)).content.decode()
    assert reverse("record:timeline", args=[person.pk]) in detail
    assert reverse("coordination:referral", args=[person.pk, sent_referral.pk]) in detail


def test_a_task_about_the_persons_project(as_coordinator, coordinator, person):
    project = do_open_project(access_of(coordinator, person))
    url = f"{ADD}?personne={person.pk}&projet={project.pk}"
    as_coordinator.post(url, {"title": "Préparer le point d'étape", "assignees": [coordinator.pk]})
    assert Task.objects.get().project == project


def test_what_a_new_task_may_be_linked_to(
    as_coordinator, as_reception, coordinator, person, other_person, make_person, sent_referral
):
    assert as_coordinator.get(ADD, {"personne": "abc"}).status_code == 404
    assert as_coordinator.get(ADD, {"personne": "9" * 40}).status_code == 404
    assert as_coordinator.get(ADD, {"personne": other_person.pk}).status_code == 404
    assert as_coordinator.get(ADD, {"orientation": sent_referral.pk}).status_code == 404
    someone = make_person(birth_name="DURAND", given_names="Jean")
    linked = {"personne": someone.pk, "orientation": sent_referral.pk}
    assert as_coordinator.get(ADD, linked).status_code == 404
    assert as_coordinator.get(ADD, {"personne": person.pk, "projet": "1"}).status_code == 404
    # Reception reads the coordination part but does not write in it.
    assert as_reception.get(ADD, {"personne": person.pk}).status_code == 404
    # Without a person, anyone of the team has tasks.
    assert as_reception.get(ADD).status_code == 200


def test_assignees_must_be_chosen_among_the_team(as_coordinator, other_member):
    response = as_coordinator.post(ADD, {"title": "x", "assignees": [other_member.pk]})
    assert response.context["form"].errors["assignees"]
    response = as_coordinator.post(ADD, {"title": "x"})
    assert response.context["form"].errors["assignees"]
    assert not Task.objects.exists()


# --- Lists --------------------------------------------------------------------------------


def test_my_tasks_the_teams_and_the_overdue_ones(
    as_coordinator, as_admin, coordinator, admin_member, mediator
):
    mine = task_for(coordinator, [coordinator], due_on=TODAY() + datetime.timedelta(days=1))
    theirs = task_for(coordinator, [mediator], title="Visite à domicile")
    late = task_for(admin_member, [admin_member], title="Relancer")
    Task.objects.filter(pk=late.pk).update(due_on=TODAY() - datetime.timedelta(days=2))
    done = task_for(coordinator, [coordinator], title="Fait")
    actions.do_finish_task(coordinator, done)
    assert list(as_coordinator.get(LIST).context["page"]) == [mine]
    team = as_coordinator.get(LIST, {"vue": "equipe"})
    assert set(team.context["page"]) == {mine, theirs, late}
    overdue_page = as_coordinator.get(LIST, {"vue": "en-retard"})
    assert list(overdue_page.context["page"]) == [late]
    assert "<strong>" in overdue_page.content.decode()  # "overdue" in words
    # The administrator has their own tasks but not the team's (no coordination part).
    assert list(as_admin.get(LIST).context["page"]) == [late]
    assert as_admin.get(LIST, {"vue": "equipe"}).status_code == 404
    assert list(as_admin.get(LIST, {"vue": "en-retard"}).context["page"]) == [late]
    assert queries.overdue_count(admin_member) == 1 and queries.overdue_count(coordinator) == 0
    assert as_coordinator.get(LIST, {"vue": "x", "page": "zz"}).status_code == 200


def test_tasks_about_a_person_follow_the_persons_choices(
    as_coordinator, coordinator, reception, person
):
    about = task_for(coordinator, [coordinator, reception], person=person)
    plain = task_for(coordinator, [coordinator, reception], title="Commander des flyers")
    as_reception_client = client_for(reception.user)
    assert set(as_reception_client.get(LIST).context["page"]) == {about, plain}
    assert AccessEvent.objects.filter(
        action="read", person=person, section=Section.COORDINATION, actor_member=reception
    ).exists()
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.RECEPTION,
        user=coordinator.user,
        on_behalf_by=coordinator,
    )
    # Even assigned to them, reception no longer sees the task about the person.
    assert list(as_reception_client.get(LIST).context["page"]) == [plain]
    assert as_reception_client.get(url_of(about)).status_code == 404
    assert queries.my_open_tasks(reception, 10) == [plain]
    with pytest.raises(PermissionDenied):
        actions.do_finish_task(reception, about)
    assert as_coordinator.get(url_of(about)).status_code == 200


# --- Detail -------------------------------------------------------------------------------


def test_who_opens_a_task(
    coordinator, admin_member, mediator, person, as_other, as_outsider, as_person, partner, client
):
    task = task_for(coordinator, [mediator], person=person)
    url = url_of(task)
    assert client_for(coordinator.user).get(url).status_code == 200  # sees the team's tasks
    assert client_for(mediator.user).get(url).status_code == 200  # assigned
    assert client_for(admin_member.user).get(url).status_code == 404  # neither
    assert client.get(url).status_code == 302
    for someone in (as_other, as_outsider, as_person, client_for(partner.user)):
        assert someone.get(url).status_code == 404
        assert someone.post(url, {"step": "done"}).status_code == 404
    for someone in (as_outsider, as_person, client_for(partner.user)):
        assert someone.get(LIST).status_code == 404
        assert someone.get(ADD).status_code == 404
    # A member of another structure has their own tasks, none of centre A.
    for view in ("miennes", "equipe", "en-retard"):
        assert list(as_other.get(LIST, {"vue": view}).context["page"]) == []
    task.refresh_from_db()
    assert task.status == flow.OPEN
    assert AccessEvent.objects.filter(
        action="read", person=person, section=Section.COORDINATION, actor_member=mediator
    ).exists()


def test_done_with_a_note_reopened_cancelled_with_a_reason(coordinator, mediator, person):
    task = task_for(coordinator, [mediator], person=person)
    client = client_for(mediator.user)
    url = url_of(task)
    client.post(url, {"step": "done", "done-note": "Dossier envoyé"})
    task.refresh_from_db()
    assert task.status == flow.DONE and task.done_note == "Dossier envoyé"
    assert task.done_by == mediator and task.done_at
    client.post(url, {"step": "reopen"})
    task.refresh_from_db()
    assert task.status == flow.OPEN and task.done_at is None
    assert "Dossier envoyé" in client.get(url).content.decode()
    response = client.post(url, {"step": "cancel", "cancel-note": "  "})
    assert response.context["forms"]["cancel"].errors["note"]
    client.post(url, {"step": "cancel", "cancel-note": "Plus nécessaire"})
    task.refresh_from_db()
    assert task.status == flow.CANCELLED and task.done_note == "Plus nécessaire"
    # A cancelled task stays cancelled; nothing is deleted.
    assert client.post(url, {"step": "reopen"}).status_code == 302
    task.refresh_from_db()
    assert task.status == flow.CANCELLED
    with pytest.raises(flow.TransitionError):
        actions.do_reopen_task(mediator, task)
    updates = AccessEvent.objects.filter(
        action="update", person=person, section=Section.COORDINATION, object_id=str(task.pk)
    )
    assert updates.count() == 3


def test_hostile_posts_on_a_task_never_break(as_coordinator, coordinator):
    task = task_for(coordinator, [coordinator])
    url = url_of(task)
    for value in ("x" * 60_000, "\x00", "99999999999999999999999", "<script>", "NaN"):
        for step in ("done", "cancel", "reopen", value):
            data = {"step": step, "done-note": value, "cancel-note": value}
            response = as_coordinator.post(url, data)
            assert response.status_code < 500 and b"<script>" not in response.content
        response = as_coordinator.post(
            ADD, {"title": value, "due_on": value, "assignees": [value], "details": value}
        )
        assert response.status_code == 200 and b"<script>" not in response.content


# --- Follow-up of referrals without news --------------------------------------------------


def test_follow_up_tasks_are_made_once_and_closed_by_news(
    coordinator, mediator, person, sent_referral, settings
):
    assert actions.create_follow_up_tasks() == 0  # news is recent
    overdue(sent_referral, settings)
    assert actions.create_follow_up_tasks() == 1
    assert actions.create_follow_up_tasks() == 0  # idempotent
    task = Task.objects.get(kind="follow_up")
    assert task.referral == sent_referral and task.person == person
    assert task.due_on == TODAY() and task.status == flow.OPEN
    assert list(task.assignees.all()) == [mediator]  # who proposed the referral
    assert task.title == mediator.display_name
    event = AccessEvent.objects.get(
        action="create", object_type="coordination.task", object_id=str(task.pk)
    )
    assert event.actor_member is None and event.person == person
    assert event.section == Section.COORDINATION
    page = client_for(mediator.user).get(LIST).content.decode()
    assert f"Relancer l&#x27;orientation vers {mediator.display_name}" in page
    # News comes (any step): the follow-up is done.
    referral_actions.do_advance_referral(access_of(mediator, person), sent_referral, "received")
    task.refresh_from_db()
    assert task.status == flow.DONE and task.done_note == actions.NEWS_RECEIVED
    assert task.done_by == mediator
    assert client_for(mediator.user).get(url_of(task)).context["note"] == "nouvelles reçues"
    # No news again for too long: a new follow-up.
    overdue(sent_referral, settings)
    assert actions.create_follow_up_tasks() == 1
    assert Task.objects.filter(kind="follow_up").count() == 2
    # The done one cannot be reopened while the new one is open.
    with pytest.raises(flow.TransitionError, match="already_open"):
        actions.do_reopen_task(mediator, task)


def test_follow_up_goes_to_the_coordinators_when_the_author_left(
    coordinator, mediator, person, sent_referral, settings, centre, admin_member
):
    from maillage.core.actions import do_deactivate_member

    do_deactivate_member(admin_member, mediator)
    overdue(sent_referral, settings)
    other_coordinator = make_member(centre, "c2", Role.COORDINATOR, "coordinateur")
    assert actions.create_follow_up_tasks(structure_id=centre.pk) == 1
    task = Task.objects.get(kind="follow_up")
    assert set(task.assignees.all()) == {coordinator, other_coordinator}


def test_follow_up_of_one_structure_only(sent_referral, settings, other_centre, centre):
    overdue(sent_referral, settings)
    assert actions.create_follow_up_tasks(structure_id=other_centre.pk) == 0
    assert actions.create_follow_up_tasks(structure_id=centre.pk) == 1


def test_follow_up_in_a_bounded_number_of_queries(
    mediator, make_person, settings, django_assert_max_num_queries
):
    def referrals(n, offset):
        for i in range(n):
            someone = make_person(birth_name=f"NOM{offset + i}", given_names="Test")
            access = access_of(mediator, someone)
            referral = referral_actions.do_propose_referral(access, to_member=mediator, reason="x")
            referral_actions.do_advance_referral(access, referral, "agreed")
            referral_actions.do_advance_referral(access, referral, "sent")
            overdue(referral, settings)

    referrals(3, 0)
    with django_assert_max_num_queries(12) as few:
        assert actions.create_follow_up_tasks() == 3
    referrals(30, 3)
    with django_assert_max_num_queries(len(few)):
        assert actions.create_follow_up_tasks() == 30


def test_the_daily_command(sent_referral, settings, centre):
    overdue(sent_referral, settings)
    out = StringIO()
    call_command("referrals", "follow-up", stdout=out)
    assert out.getvalue().strip() == "1 tâche de relance créée."
    out = StringIO()
    call_command("referrals", "follow-up", "--structure", str(centre.pk), stdout=out)
    assert out.getvalue().strip() == "0 tâche de relance créée."
    with pytest.raises(CommandError):
        call_command("referrals", "follow-up", "--structure", "999999")


# --- The team home's queries --------------------------------------------------------------


def test_team_home_queries_are_bounded(
    coordinator, mediator, make_person, django_assert_max_num_queries
):
    def fill(n, offset):
        for i in range(n):
            someone = make_person(birth_name=f"NOM{offset + i}", given_names="Test")
            access = access_of(coordinator, someone)
            referral = referral_actions.do_propose_referral(access, to_member=mediator, reason="x")
            task = actions.do_create_task(
                coordinator,
                title=f"Tâche {i}",
                assignees=[coordinator, mediator],
                access=access,
                referral=referral,
            )
            Task.objects.filter(pk=task.pk).update(due_on=TODAY() - datetime.timedelta(days=1))

    coordinator.structure  # noqa: B018 (loaded once per request by the middleware)

    def read():
        tasks = queries.my_open_tasks(coordinator, 50)
        for task in tasks:
            assert task.person.display_name and task.referral.target
            assert [m.display_name for m in task.assignees.all()]
        return len(tasks), queries.overdue_count(coordinator)

    fill(3, 0)
    with django_assert_max_num_queries(8) as few:  # + choices and merged records, twice
        assert read() == (3, 3)
    fill(27, 3)
    with django_assert_max_num_queries(len(few)) as many:
        assert read() == (30, 30)
    assert len(many) == len(few)


def test_follow_up_made_meanwhile_by_another_run_is_not_an_error(
    sent_referral, settings, monkeypatch
):
    from django.db import IntegrityError

    overdue(sent_referral, settings)

    def clash(*args, **kwargs):
        raise IntegrityError("one_open_follow_up")

    monkeypatch.setattr(Task.objects, "bulk_create", clash)
    assert actions.create_follow_up_tasks() == 0
    assert not AccessEvent.objects.filter(object_type="coordination.task").exists()
