"""The team home: my tasks, requests waiting for a first contact, referrals without news,
today's meetings and projects whose review date has passed — what each role may see, in a
bounded number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from maillage.coordination.actions import projects as project_actions
from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions.requests import do_receive_request
from maillage.coordination.actions.tasks import do_create_task
from maillage.coordination.models import Meeting, Referral, Task
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "coord", Role.COORDINATOR, "coordinateur")


def fill(coordinator, doctor, person, n=1):
    """n of everything the home shows, for ``person``."""
    access = record_access(coordinator, person)
    for i in range(n):
        do_create_task(coordinator, title=f"Appeler la famille {i}", assignees=[coordinator])
        do_receive_request(
            coordinator, concerns="registered", person=person, source="relative",
            channel="phone", first_words=f"Voisin inquiet {i}",
        )  # fmt: skip
        referral = referral_actions.do_propose_referral(access, to_member=doctor, reason="Bilan")
        referral_actions.do_advance_referral(access, referral, "agreed")
        referral_actions.do_advance_referral(access, referral, "sent")
        Meeting.objects.create(
            structure=coordinator.structure, kind="team", title=f"Réunion d'équipe {i}",
            starts_at=timezone.localtime().replace(hour=12, minute=0), created_by=coordinator,
        )  # fmt: skip
    Referral.objects.update(last_news_at=timezone.now() - datetime.timedelta(days=30))
    project = project_actions.do_open_project(
        access, next_review_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    return project


def test_the_coordinators_home(coordinator, doctor, person):
    fill(coordinator, doctor, person)
    page = client_for(coordinator.user).get("/").content.decode()
    assert "Appeler la famille 0" in page
    assert "/coordination/demandes/" in page and str(person) in page
    assert "Réunion d&#x27;équipe 0" in page or "Réunion d'équipe 0" in page
    assert f"/personnes/{person.pk}/projet/" in page
    # The referral without news made a follow-up task for whoever proposed it.
    follow_up = Task.objects.get(kind="follow_up")
    assert list(follow_up.assignees.all()) == [coordinator]
    assert AccessEvent.objects.filter(
        person=person, section=Section.COORDINATION, reason="home", actor_member=coordinator
    ).exists()


def test_the_home_hides_a_person_who_refused_coordination(coordinator, doctor, person, person_user):
    fill(coordinator, doctor, person)
    do_record_choice(
        person, kind="refuse", section=Section.COORDINATION, role=Role.COORDINATOR,
        user=person_user,
    )  # fmt: skip
    page = client_for(coordinator.user).get("/").content.decode()
    assert f"/personnes/{person.pk}/projet/" not in page
    assert f"/personnes/{person.pk}/orientations/" not in page


def test_reception_sees_no_triage_block(reception, coordinator, doctor, person):
    fill(coordinator, doctor, person)
    page = client_for(reception.user).get("/").content.decode()
    assert "/coordination/demandes/nouvelle/" in page  # may take a call down
    assert "/coordination/demandes/?" not in page and "Voisin inquiet" not in page


def test_the_query_count_does_not_grow_with_the_data(coordinator, doctor, person, make_person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(coordinator, doctor, person)
    client = client_for(coordinator.user)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    for i in range(12):
        other = make_person(birth_name=f"AUTRE{i}", given_names="Test")
        fill(coordinator, doctor, other)
    cache.clear()
    client.get("/")
    with CaptureQueriesContext(connection) as large:
        assert client.get("/").status_code == 200
    assert len(small.captured_queries) > 10
    assert len(large.captured_queries) == len(small.captured_queries)
    # Who the member may read is worked out once per section the page shows (the
    # coordination lists, the rights ending soon of the social section), not once per list.
    choices = [q for q in small.captured_queries if '"record_sharingchoice"' in q["sql"]]
    assert len(choices) == 2
    assert {"'coordination'" in q["sql"] or "'social'" in q["sql"] for q in choices} == {True}
