"""The person's health project (C4), co-written with them, in the coordination section
of the record: problématiques (their words first), needs, goals, actions, review points
and the versions they keep."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import projects as actions
from maillage.coordination.actions.circle import do_add_to_circle
from maillage.coordination.models import (
    Goal,
    HealthProject,
    Need,
    Problematique,
    ProjectAction,
    ReviewPoint,
)
from maillage.coordination.queries.projects import (
    past_review_count,
    project_state,
    projects_past_review,
    readable_state,
)
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.lib.coordination import TransitionError
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member
from tests.core.test_hostile_input import HOSTILE, MARKUP, forms_of

TODAY = timezone.localdate()


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def as_coordinator(coordinator):
    return client_for(coordinator.user)


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


def url(name, person, *args):
    return reverse(f"coordination:{name}", args=[person.pk, *args])


@pytest.fixture
def project(coordinator, person):
    return actions.do_open_project(
        access_of(coordinator, person), next_review_on=TODAY + datetime.timedelta(days=30)
    )


@pytest.fixture
def filled(coordinator, doctor, person, project):
    """A project with one of everything."""
    access = access_of(coordinator, person)
    problematique = actions.do_add_problematique(
        access,
        project,
        title="Fatigue et isolement",
        understanding="Isolement depuis le déménagement",
        person_words="Je suis seule et fatiguée",
    )
    need = actions.do_add_need(access, project, domain="housing", description="Logement adapté")
    goal = actions.do_add_goal(
        access, project, words="Sortir une fois par semaine", problematique=problematique
    )
    action = actions.do_add_action(
        access,
        project,
        description="Présenter l'atelier cuisine",
        owner_kind="member",
        owner_member=doctor,
        due_on=TODAY + datetime.timedelta(days=7),
        goal=goal,
    )
    return {"problematique": problematique, "need": need, "goal": goal, "action": action}


# --- Through the pages --------------------------------------------------------------------


def test_writing_a_project_with_the_person_through_the_pages(
    as_coordinator, coordinator, doctor, person
):
    page = as_coordinator.get(url("project", person))
    assert page.status_code == 200 and page.context["project"] is None
    assert (
        as_coordinator.post(url("project_open", person), {"next_review_on": ""}).status_code == 302
    )
    project = HealthProject.objects.get(person=person, status="open")
    # Opening again does not make a second living project.
    as_coordinator.post(url("project_open", person), {})
    assert HealthProject.objects.filter(person=person).count() == 1

    response = as_coordinator.post(
        url("problematique_add", person),
        {
            "person_words": "Je n'arrive plus à dormir",
            "title": "Sommeil",
            "understanding": "Insomnie liée aux dettes",
        },
    )
    assert response.status_code == 302
    problematique = Problematique.objects.get(project=project)
    assert problematique.written_by == coordinator
    assert problematique.person_words_by_self is False and problematique.person_words_at

    as_coordinator.post(url("need_add", person), {"domain": "rights", "description": "Dossier"})
    as_coordinator.post(
        url("goal_add", person),
        {
            "words": "Dormir six heures",
            "problematique": problematique.pk,
            "proposed_by": "person",
            "agreement": "agrees",
            "person_view": "C'est ce qui compte",
        },
    )
    goal = Goal.objects.get(project=project)
    assert goal.agreement == "agrees" and goal.agreement_at and goal.person_view_at
    as_coordinator.post(
        url("action_add", person),
        {
            "description": "Rendez-vous médecin",
            "goal": goal.pk,
            "owner_kind": "member",
            "owner_member": doctor.pk,
            "due_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
        },
    )
    as_coordinator.post(
        url("action_add", person),
        {"description": "Appeler sa sœur", "owner_kind": "person"},
    )
    assert ProjectAction.objects.get(goal=goal).owner_member == doctor
    assert ProjectAction.objects.get(goal=None).owner_kind == "person"

    page = as_coordinator.get(url("project", person))
    content = page.content.decode()
    # The person's own words come before the team's understanding.
    assert content.index("Je n&#x27;arrive plus à dormir") < content.index("Insomnie liée")
    for text in ("Dormir six heures", "Rendez-vous médecin", "Appeler sa sœur", "Dossier"):
        assert text in content
    assert reverse("coordination:problematique", args=[person.pk, problematique.pk]) in content
    events = AccessEvent.objects.filter(person=person, section=Section.COORDINATION)
    created = set(events.filter(action="create").values_list("object_type", flat=True))
    assert {
        "coordination.healthproject",
        "coordination.problematique",
        "coordination.need",
        "coordination.goal",
        "coordination.projectaction",
    } <= created
    assert events.filter(action="read", actor_member=coordinator).exists()


def test_the_record_links_to_the_project_and_the_circle(as_coordinator, person):
    page = as_coordinator.get(reverse("record:timeline", args=[person.pk])).content.decode()
    assert url("project", person) in page and url("circle", person) in page


def test_a_form_with_mistakes_keeps_what_was_typed(as_coordinator, person, project):
    response = as_coordinator.post(
        url("problematique_add", person), {"person_words": "Mes mots à moi", "title": ""}
    )
    assert response.status_code == 200 and response.context["form"].errors["title"]
    assert "Mes mots à moi" in response.content.decode()
    response = as_coordinator.post(
        url("action_add", person), {"description": "Appeler", "owner_kind": "member"}
    )
    assert response.context["form"].errors["owner_member"]
    response = as_coordinator.post(
        url("action_add", person), {"description": "Appeler", "owner_kind": "partner"}
    )
    assert response.context["form"].errors["owner_name"]
    assert not ProjectAction.objects.exists()


def test_a_goal_moves_on_in_words(as_coordinator, coordinator, person, filled):
    goal = filled["goal"]
    status = url("goal_status", person, goal.pk)
    response = as_coordinator.post(status, {"status-status": "abandoned"})
    assert response.status_code == 200 and response.context["status_form"].errors["note"]
    response = as_coordinator.post(
        status, {"status-status": "changed", "status-note": "Plus réaliste"}
    )
    assert response.context["status_form"].errors["new_words"]
    goal.refresh_from_db()
    assert goal.status == "in_progress"

    as_coordinator.post(
        status,
        {
            "status-status": "changed",
            "status-note": "Plus réaliste",
            "status-new_words": "Sortir une fois par mois",
        },
    )
    goal.refresh_from_db()
    new = Goal.objects.get(words="Sortir une fois par mois")
    assert goal.status == "changed" and goal.replaced_by == new
    assert new.problematique == filled["problematique"] and new.agreement == ""
    # The open action follows the goal that replaced it.
    assert ProjectAction.objects.get(pk=filled["action"].pk).goal == new
    # A changed goal cannot move any more, nor be rewritten.
    assert as_coordinator.get(url("goal", person, goal.pk)).context["status_form"] is None
    as_coordinator.post(url("goal", person, goal.pk), {"words": "Autre chose"})
    goal.refresh_from_db()
    assert goal.words == "Sortir une fois par semaine"

    new_status = url("goal_status", person, new.pk)
    as_coordinator.post(new_status, {"status-status": "reached"})
    assert Goal.objects.get(pk=new.pk).status == "reached"
    as_coordinator.post(new_status, {"status-status": "in_progress"})
    assert Goal.objects.get(pk=new.pk).status == "in_progress"
    updates = AccessEvent.objects.filter(
        person=person, action="update", object_type="coordination.goal"
    )
    assert set(updates.values_list("reason", flat=True)) == {"changed", "reached", "in_progress"}


def test_actions_are_done_cancelled_or_to_do_again(as_coordinator, person, filled):
    action = filled["action"]
    status = url("action_status", person, action.pk)
    as_coordinator.post(status, {"status-status": "done", "status-note": "Fait ensemble"})
    action.refresh_from_db()
    assert action.status == "done" and action.done_at and action.done_note == "Fait ensemble"
    as_coordinator.post(status, {"status-status": "open"})
    action.refresh_from_db()
    assert action.status == "open" and action.done_at is None
    as_coordinator.post(status, {"status-status": "cancelled"})
    response = as_coordinator.post(status, {"status-status": "open"})
    assert response.context["status_form"].errors  # cancelled is final
    assert ProjectAction.objects.get(pk=action.pk).status == "cancelled"


def test_an_action_owner_must_be_a_member_of_the_team(
    coordinator, person, project, other_member, partner
):
    access = access_of(coordinator, person)
    with pytest.raises(PermissionDenied):
        actions.do_add_action(
            access, project, description="x", owner_kind="member", owner_member=other_member
        )
    # A partner is named, never chosen from the team's list.
    page = client_for(coordinator.user).get(url("action_add", person))
    assert partner not in page.context["form"].fields["owner_member"].queryset


def test_problematiques_and_needs_are_ended_never_deleted(as_coordinator, person, filled):
    problematique, need = filled["problematique"], filled["need"]
    as_coordinator.post(
        url("problematique", person, problematique.pk),
        {
            "title": problematique.title,
            "understanding": problematique.understanding,
            "person_words": problematique.person_words,
            "ended": "on",
        },
    )
    as_coordinator.post(
        url("need", person, need.pk),
        {"domain": need.domain, "description": need.description, "met": "on"},
    )
    problematique.refresh_from_db()
    need.refresh_from_db()
    assert problematique.ended_at and need.met_at
    state = as_coordinator.get(url("project", person)).context["state"]
    assert [p["title"] for p in state["ended_problematiques"]] == ["Fatigue et isolement"]
    assert state["problematiques"] == [] and len(state["met_needs"]) == 1
    assert Problematique.objects.count() == 1 and Need.objects.count() == 1


def test_the_persons_own_words_stay_theirs(coordinator, person, person_user, filled):
    problematique = filled["problematique"]
    actions.do_person_words(person, person_user, problematique, "Je le dis comme ça")
    client = client_for(coordinator.user)
    page = client.get(url("problematique", person, problematique.pk))
    assert "person_words" not in page.context["form"].fields
    assert "Je le dis comme ça" in page.content.decode()
    client.post(
        url("problematique", person, problematique.pk),
        {"title": "Autre titre", "understanding": "", "person_words": "Écrasé"},
    )
    problematique.refresh_from_db()
    assert problematique.title == "Autre titre"
    assert problematique.person_words == "Je le dis comme ça" and problematique.person_words_by_self
    with pytest.raises(PermissionDenied):
        actions.do_edit_problematique(
            access_of(coordinator, person),
            problematique,
            title="x",
            understanding="",
            person_words="Écrasé",
            ended=False,
        )


# --- Review points and versions -------------------------------------------------------


def test_a_review_point_keeps_a_version_that_differs_from_now(
    as_coordinator, coordinator, person, project, filled
):
    next_review = TODAY + datetime.timedelta(days=60)
    response = as_coordinator.post(
        url("review_add", person),
        {
            "held_on": TODAY.isoformat(),
            "summary": "Premier point avec Marie",
            "person_present": "on",
            "who_was_there": "Sa sœur",
            "what_changed": "Elle dort mieux",
            "next_review_on": next_review.isoformat(),
        },
    )
    review = ReviewPoint.objects.get()
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.next_review_on == next_review
    snapshot = review.snapshot
    assert snapshot["problematiques"][0]["person_words"] == "Je suis seule et fatiguée"
    assert snapshot["goals"][0]["status"] == "in_progress"
    assert snapshot["actions"][0]["owner"] == "Docteur Test"
    assert snapshot["needs"][0]["domain"] == "housing"

    access = access_of(coordinator, person)
    actions.do_edit_goal(
        access,
        filled["goal"],
        words="Aller au club de marche",
        problematique=None,
        proposed_by="member",
        proposed_by_name="Awa",
        agreement="disagrees",
        person_view="Pas pour l'instant",
        review_on=None,
    )
    actions.do_action_status(access, filled["action"], "done")

    version = as_coordinator.get(url("review", person, review.pk))
    assert version.status_code == 200
    old = version.content.decode()
    assert "Sortir une fois par semaine" in old and "Aller au club de marche" not in old
    assert "Premier point avec Marie" in old and "Sa sœur" in old
    assert version.context["state"]["goals"][0]["actions"][0]["status"] == "open"
    now = as_coordinator.get(url("project", person)).content.decode()
    assert "Aller au club de marche" in now and "Sortir une fois par semaine" not in now
    assert url("review", person, review.pk) in now
    assert AccessEvent.objects.filter(
        person=person, action="read", object_type="coordination.reviewpoint"
    ).exists()


def test_a_review_point_needs_a_date_not_to_come(as_coordinator, person, project):
    tomorrow = TODAY + datetime.timedelta(days=1)
    response = as_coordinator.post(
        url("review_add", person), {"held_on": tomorrow.isoformat(), "summary": "Point"}
    )
    assert response.context["form"].errors["held_on"]
    response = as_coordinator.post(
        url("review_add", person),
        {"held_on": TODAY.isoformat(), "summary": "Point", "next_review_on": TODAY.isoformat()},
    )
    assert response.context["form"].errors["next_review_on"]
    assert not ReviewPoint.objects.exists()


def test_an_old_or_damaged_snapshot_still_reads():
    state = readable_state({"goals": [{"id": 1, "status": "weird"}], "needs": "nonsense"})
    assert state["other_goals"][0]["status_label"] == "weird"
    assert state["needs"] == [] and state["problematiques"] == []


# --- Closing and opening again --------------------------------------------------------------


def test_closing_with_a_reason_then_opening_a_new_project(as_coordinator, person, project, filled):
    response = as_coordinator.post(url("project_close", person), {"reason": "  "})
    assert response.context["form"].errors["reason"]
    as_coordinator.post(url("project_close", person), {"reason": "Elle déménage"})
    project.refresh_from_db()
    assert project.status == "closed" and project.closing_reason == "Elle déménage"
    page = as_coordinator.get(url("project", person))
    assert page.context["project"] is None and page.context["past"] == [project]
    # Nothing of a closed project is written any more.
    assert as_coordinator.get(url("problematique_add", person)).status_code == 404
    assert as_coordinator.get(url("goal", person, filled["goal"].pk)).status_code == 404
    past = as_coordinator.get(url("project_past", person, project.pk))
    assert past.status_code == 200 and "Sortir une fois par semaine" in past.content.decode()
    as_coordinator.post(url("project_open", person), {})
    assert HealthProject.objects.filter(person=person, status="open").count() == 1
    assert HealthProject.objects.filter(person=person).count() == 2
    assert AccessEvent.objects.filter(
        person=person, action="update", reason="closed", object_type="coordination.healthproject"
    ).exists()


# --- Who may read and write ---------------------------------------------------------------


def test_reception_reads_the_project_but_does_not_write(as_reception, person, filled, reception):
    page = as_reception.get(url("project", person))
    assert page.status_code == 200 and page.context["editable"] is False
    assert url("problematique_add", person) not in page.content.decode()
    for name, args in (
        ("problematique_add", ()),
        ("problematique", (filled["problematique"].pk,)),
        ("goal", (filled["goal"].pk,)),
        ("review_add", ()),
        ("project_close", ()),
    ):
        assert as_reception.get(url(name, person, *args)).status_code == 404
        assert as_reception.post(url(name, person, *args), {"title": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.do_add_need(
            access_of(reception, person), filled["goal"].project, domain="food", description="x"
        )


def test_outsiders_see_nothing(
    as_other, as_person, as_outsider, interpreter, person, project, filled
):
    for client in (as_other, as_person, as_outsider, client_for(interpreter.user)):
        for name, args in (
            ("project", ()),
            ("goal", (filled["goal"].pk,)),
            ("project_open", ()),
        ):
            assert client.get(url(name, person, *args)).status_code == 404


def test_a_refusal_of_coordination_hides_the_project_from_that_role(
    coordinator, reception, person, project
):
    client = client_for(reception.user)
    assert client.get(url("project", person)).status_code == 200
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.RECEPTION,
        user=coordinator.user,
        on_behalf_by=coordinator,
    )
    assert client.get(url("project", person)).status_code == 404


def test_a_partner_of_the_circle_reads_only_once_the_person_grants_it(
    coordinator, partner, person, person_user, project, filled
):
    do_add_to_circle(
        access_of(coordinator, person), member=partner, role="contributor", agreed_on=TODAY
    )
    client = client_for(partner.user)
    assert client.get(url("project", person)).status_code == 404
    do_record_choice(
        person, kind="grant", section=Section.COORDINATION, member=partner, user=person_user
    )
    page = client.get(url("project", person))
    assert page.status_code == 200 and page.context["editable"] is False
    assert client.get(url("problematique_add", person)).status_code == 404


def test_ids_of_another_persons_project_are_not_found(
    as_coordinator, coordinator, person, make_person, project, filled
):
    other = make_person(birth_name="DURAND", given_names="Jean")
    other_project = actions.do_open_project(access_of(coordinator, other))
    other_goal = actions.do_add_goal(access_of(coordinator, other), other_project, words="x")
    assert as_coordinator.get(url("goal", person, other_goal.pk)).status_code == 404
    assert as_coordinator.get(url("project_past", person, other_project.pk)).status_code == 404
    review = actions.do_add_review(
        access_of(coordinator, other), other_project, held_on=TODAY, summary="x"
    )
    assert as_coordinator.get(url("review", person, review.pk)).status_code == 404
    # A goal of another project is refused to an action, even called directly.
    with pytest.raises(PermissionDenied):
        actions.do_add_action(
            access_of(coordinator, person),
            project,
            description="x",
            owner_kind="person",
            goal=other_goal,
        )
    response = as_coordinator.post(
        url("action_add", person),
        {"description": "x", "owner_kind": "person", "goal": other_goal.pk},
    )
    assert response.context["form"].errors["goal"]


def test_a_transition_error_from_the_machine(coordinator, person, filled):
    with pytest.raises(TransitionError):
        actions.do_goal_status(access_of(coordinator, person), filled["goal"], "changed", note="x")


def test_hostile_values_on_every_form_of_the_project(as_coordinator, person, filled):
    pages = [
        url("problematique_add", person),
        url("problematique", person, filled["problematique"].pk),
        url("need_add", person),
        url("need", person, filled["need"].pk),
        url("goal_add", person),
        url("goal", person, filled["goal"].pk),
        url("action_add", person),
        url("action", person, filled["action"].pk),
        url("review_add", person),
        url("project_close", person),  # last: a valid reason closes the project
    ]
    failures = []
    posted = 0
    for page_url in pages:
        for form in forms_of(as_coordinator.get(page_url)):
            fields = [f"{form.prefix}-{n}" if form.prefix else n for n in form.fields]
            target = page_url
            if form.prefix == "status":
                target = page_url + "statut/"
            for value in HOSTILE:
                response = as_coordinator.post(target, dict.fromkeys(fields, value))
                posted += 1
                body = response.content.decode(errors="replace")
                if response.status_code >= 500 or (value == MARKUP and MARKUP in body):
                    failures.append((page_url, fields[:2], repr(value[:10])))
    assert posted > 100
    assert failures == []


# --- The team home: projects past their review date -----------------------------------------


def test_projects_past_their_review_date(
    coordinator, reception, interpreter, person, make_person, django_assert_max_num_queries
):
    days = [-30, -3, 10]
    persons = [person] + [make_person(birth_name=f"NOM{i}", given_names="Ana") for i in range(3)]
    projects = []
    for who, delta in zip(persons, [*days, -1], strict=True):
        projects.append(
            actions.do_open_project(
                access_of(coordinator, who), next_review_on=TODAY + datetime.timedelta(days=delta)
            )
        )
    # A closed project is not waiting for anything.
    actions.do_close_project(access_of(coordinator, persons[3]), projects[3], reason="Fini")
    with django_assert_max_num_queries(4):  # + the person's choices, the merged records
        shown = projects_past_review(coordinator, 10)
        assert [p.person.pk for p in shown] == [persons[0].pk, persons[1].pk]
    assert past_review_count(coordinator) == 2
    assert [p.pk for p in projects_past_review(coordinator, 1)] == [projects[0].pk]
    # Reception reads coordination, until the person refuses it to them.
    assert past_review_count(reception) == 2
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.RECEPTION,
        user=coordinator.user,
        on_behalf_by=coordinator,
    )
    assert [p.person_id for p in projects_past_review(reception, 10)] == [persons[1].pk]
    assert past_review_count(interpreter) == 0


def test_the_state_is_plain_json(person, filled, project):
    import json

    state = project_state(project)
    assert json.loads(json.dumps(state)) == state


def test_editing_keeps_links_to_what_has_ended(as_coordinator, coordinator, person, filled):
    access = access_of(coordinator, person)
    goal, action, problematique = filled["goal"], filled["action"], filled["problematique"]
    actions.do_edit_problematique(
        access,
        problematique,
        title=problematique.title,
        understanding=problematique.understanding,
        person_words=problematique.person_words,
        ended=True,
    )
    page = as_coordinator.get(url("goal", person, goal.pk))
    assert page.context["form"]["problematique"].value() == problematique.pk
    actions.do_goal_status(access, goal, "reached")
    page = as_coordinator.get(url("action", person, action.pk))
    assert page.context["form"]["goal"].value() == goal.pk
    as_coordinator.post(
        url("action", person, action.pk),
        {
            "description": "Autre description",
            "goal": goal.pk,
            "owner_kind": "relative",
            "owner_name": "Sa sœur",
        },
    )
    action.refresh_from_db()
    assert action.goal == goal and action.owner_member is None and action.owner_name == "Sa sœur"
