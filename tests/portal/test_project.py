"""The person's own health project, in their space: they read it, write their own words,
say whether they agree with each goal, see the people around them and where they were
referred, and ask the team for a meeting."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import projects as actions
from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions.circle import do_add_to_circle
from maillage.coordination.models import CoordinationRequest, Goal, Problematique
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_add_relation
from tests.conftest import client_for, make_member

URL = reverse("portal:project")
TODAY = timezone.localdate()


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


@pytest.fixture
def project(coordinator, doctor, person):
    access = access_of(coordinator, person)
    project = actions.do_open_project(access, next_review_on=TODAY + datetime.timedelta(days=20))
    problematique = actions.do_add_problematique(
        access,
        project,
        title="Sommeil",
        understanding="Insomnie liée aux dettes",
        person_words="Je ne dors plus",
    )
    goal = actions.do_add_goal(
        access, project, words="Dormir six heures", problematique=problematique
    )
    actions.do_add_action(
        access,
        project,
        description="Voir le médecin",
        owner_kind="member",
        owner_member=doctor,
        goal=goal,
    )
    actions.do_add_review(access, project, held_on=TODAY, summary="Premier point ensemble")
    return project


def words_url(problematique):
    return reverse("portal:project_words", args=[problematique.pk])


def goal_url(goal):
    return reverse("portal:project_goal", args=[goal.pk])


def test_the_person_reads_their_project(
    as_person, person, person_user, project, coordinator, reception
):
    sister = do_add_relation(reception, person, {"kind": "sibling", "name": "Jeanne Sœur"})
    access = access_of(coordinator, person)
    do_add_to_circle(access, relation=sister, role="informed", agreed_on=TODAY)
    do_add_to_circle(access, member=coordinator, role="coordinator", agreed_on=TODAY)
    referral = referral_actions.do_propose_referral(access, to_member=coordinator, reason="Écoute")
    referral_actions.do_advance_referral(access, referral, "agreed")
    response = as_person.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Je ne dors plus") < content.index("Insomnie liée aux dettes")
    for text in (
        "Dormir six heures",
        "Voir le médecin",
        "Premier point ensemble",
        "Jeanne Sœur",
        "C Test",
    ):
        assert text in content
    assert response.context["referrals"][0][0] == referral
    assert str(response.context["referrals"][0][1]) == "vous avez dit oui"
    event = AccessEvent.objects.filter(person=person, action="read").latest("pk")
    assert event.actor_user == person_user and event.actor_member is None
    assert event.section == Section.COORDINATION


def test_the_home_of_the_space_links_to_it(as_person, person):
    assert URL in as_person.get(reverse("portal:home")).content.decode()


def test_without_a_project_the_page_says_so(as_person, person):
    response = as_person.get(URL)
    assert response.status_code == 200 and response.context["project"] is None
    assert response.context["meeting_form"] is not None


def test_the_person_writes_their_own_words(as_person, person, person_user, project, coordinator):
    problematique = Problematique.objects.get(project=project)
    response = as_person.post(
        words_url(problematique),
        {f"words-{problematique.pk}-words": "  Je dors mal depuis l'hiver "},
    )
    assert response.status_code == 302
    problematique.refresh_from_db()
    assert problematique.person_words == "Je dors mal depuis l'hiver"
    assert problematique.person_words_by_self and problematique.person_words_at
    event = AccessEvent.objects.filter(person=person, action="update").latest("pk")
    assert event.actor_user == person_user and event.actor_member is None
    assert event.section == Section.COORDINATION and event.object_id == str(problematique.pk)
    # The team sees that she wrote them herself.
    state = (
        client_for(coordinator.user)
        .get(reverse("coordination:project", args=[person.pk]))
        .context["state"]
    )
    assert state["problematiques"][0]["person_words_by_self"] is True


def test_the_person_says_whether_they_agree(as_person, person, project):
    goal = Goal.objects.get(project=project)
    prefix = f"goal-{goal.pk}"
    as_person.post(
        goal_url(goal), {f"{prefix}-agreement": "disagrees", f"{prefix}-view": "Trop dur"}
    )
    goal.refresh_from_db()
    assert goal.agreement == "disagrees" and goal.agreement_at and goal.person_view == "Trop dur"
    response = as_person.post(goal_url(goal), {f"{prefix}-agreement": "maybe"})
    assert response.status_code == 200
    forms = [form for g, form in response.context["goals"] if g["id"] == goal.pk]
    assert forms[0].errors["agreement"]
    assert Goal.objects.get(pk=goal.pk).agreement == "disagrees"


def test_the_person_writes_only_in_their_own_living_project(
    as_person, person, person_user, project, coordinator, make_person
):
    other = make_person(birth_name="DURAND", given_names="Jean")
    access = access_of(coordinator, other)
    other_project = actions.do_open_project(access)
    theirs = actions.do_add_problematique(access, other_project, title="x")
    their_goal = actions.do_add_goal(access, other_project, words="x")
    assert (
        as_person.post(words_url(theirs), {f"words-{theirs.pk}-words": "Pirate"}).status_code == 404
    )
    assert as_person.post(goal_url(their_goal), {}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.do_person_words(person, person_user, theirs, "Pirate")
    with pytest.raises(PermissionDenied):
        actions.do_person_words(other, person_user, theirs, "Pirate")
    assert Problematique.objects.get(pk=theirs.pk).person_words == ""
    # A goal changed into another is not answered any more; a closed project not at all.
    goal = Goal.objects.get(project=project)
    actions.do_goal_status(access_of(coordinator, person), goal, "changed", note="x", new_words="y")
    assert as_person.post(goal_url(goal), {}).status_code == 404
    actions.do_close_project(access_of(coordinator, person), project, reason="Fini")
    problematique = Problematique.objects.get(project=project)
    assert as_person.post(words_url(problematique), {}).status_code == 404


def test_the_team_does_not_use_the_persons_space(as_doctor, as_other, as_outsider, project):
    problematique = Problematique.objects.get(project=project)
    for client in (as_doctor, as_other, as_outsider):
        assert client.get(URL).status_code == 404
        assert client.post(words_url(problematique), {}).status_code == 404


def test_asking_for_a_meeting(as_person, person, person_user, centre):
    meeting = reverse("portal:project_meeting")
    response = as_person.post(meeting, {"meeting-text": "  "})
    assert response.status_code == 200 and response.context["meeting_form"].errors["text"]
    assert not CoordinationRequest.objects.exists()
    response = as_person.post(meeting, {"meeting-text": "Parler de mon logement"}, follow=True)
    request = CoordinationRequest.objects.get()
    assert request.person == person and request.structure == centre
    assert request.channel == "portal" and request.source == "person"
    assert request.received_by is None and request.first_words == "Parler de mon logement"
    assert "vous contactera" in str(next(iter(response.context["messages"])))
    event = AccessEvent.objects.filter(person=person, action="create").latest("pk")
    assert event.actor_user == person_user and event.section == Section.COORDINATION


def test_hostile_values_from_the_persons_space(as_person, project):
    from tests.core.test_hostile_input import HOSTILE, MARKUP

    problematique = Problematique.objects.get(project=project)
    goal = Goal.objects.get(project=project)
    failures = []
    for target, data in (
        (words_url(problematique), [f"words-{problematique.pk}-words"]),
        (goal_url(goal), [f"goal-{goal.pk}-agreement", f"goal-{goal.pk}-view"]),
        (reverse("portal:project_meeting"), ["meeting-text"]),
    ):
        for value in HOSTILE:
            response = as_person.post(target, dict.fromkeys(data, value))
            body = response.content.decode(errors="replace")
            if response.status_code >= 500 or (value == MARKUP and MARKUP in body):
                failures.append((target, repr(value[:10])))
    assert failures == []
