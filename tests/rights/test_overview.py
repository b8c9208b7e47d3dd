"""The person's page "Social situation and rights": what it shows, to whom, the links it
offers to those who may write, and the read it logs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.lib import epices
from maillage.record.actions import do_record_choice
from maillage.rights import actions
from maillage.rights.models import RightKind, RightStatus


def url(person):
    return reverse("rights:overview", args=[person.pk])


@pytest.fixture
def filled(social_worker, person):
    """A person with a situation, two EPICES scores, a right and an application."""
    access = record_access(social_worker, person)
    today = timezone.localdate()
    actions.do_record_living_conditions(
        access,
        today - datetime.timedelta(days=40),
        {"housing": "street", "monthly_income": Decimal(0)},
    )
    living = actions.do_record_living_conditions(
        access,
        today,
        {
            "housing": "emergency",
            "adults": 1,
            "children": 2,
            "income_sources": ["rsa"],
            "monthly_income": Decimal("607.75"),
            "administrative_status": "permit",
            "permit_expires_on": today - datetime.timedelta(days=3),
            "domiciliation": "Secours catholique",
        },
    )
    answers = dict.fromkeys(epices.CODES, False)
    old = actions.do_record_epices(access, today - datetime.timedelta(days=365), answers)
    new = actions.do_record_epices(access, today, answers | {"couple": True, "sport": True})
    right = actions.do_add_right(
        access,
        actions.RightInput(
            kind=RightKind.objects.get(structure=None, code="css"),
            status=RightStatus.OPEN,
            starts_on=today - datetime.timedelta(days=100),
            ends_on=today + datetime.timedelta(days=265),
            reference="CSS-42",
            follower=social_worker,
        ),
    )
    application = actions.do_open_application(
        access, RightKind.objects.get(structure=None, code="rsa")
    )
    return {
        "living": living,
        "scores": [new, old],
        "right": right,
        "application": application,
    }


def test_it_shows_the_whole_situation_to_the_social_worker(as_social, person, filled):
    response = as_social.get(url(person))
    assert response.status_code == 200
    context = response.context
    assert context["living"] == filled["living"]
    facts = {fact["key"] for fact in context["living_facts"]}
    assert {"housing", "household", "income", "status", "domiciliation"} <= facts
    assert context["latest_score"]["score"] == filled["scores"][0].score
    assert [row["score"] for row in context["scores"]] == [s.score for s in filled["scores"]]
    assert filled["right"] in context["rights"]
    assert filled["application"] in context["applications"]

    body = response.content.decode()
    pk = person.pk
    right, application = filled["right"], filled["application"]
    for name, args in [
        ("people:detail", [pk]),
        ("rights:living", [pk]),
        ("rights:living_history", [pk]),
        ("rights:epices", [pk]),
        ("rights:right_add", [pk]),
        ("rights:right_edit", [pk, right.pk]),
        ("rights:application_add", [pk]),
        ("rights:application", [pk, application.pk]),
    ]:
        assert f'href="{reverse(name, args=args)}"' in body, name
    assert "CSS-42" in body
    # Living conditions, EPICES, potential rights, rights, applications.
    assert body.count("<h2 ") == 5
    assert f'href="{reverse("rights:estimate", args=[pk])}"' in body
    assert "<table>" in body and '<th scope="row">' in body


def test_the_doctor_reads_without_the_writing_links(as_doctor, doctor, person, filled):
    response = as_doctor.get(url(person))
    assert response.status_code == 200
    assert response.context["can_write"] is False
    body = response.content.decode()
    pk = person.pk
    assert f'href="{reverse("rights:living_history", args=[pk])}"' in body
    assert f'href="{reverse("rights:application", args=[pk, filled["application"].pk])}"' in body
    for name, args in [
        ("rights:living", [pk]),
        ("rights:epices", [pk]),
        ("rights:right_add", [pk]),
        ("rights:application_add", [pk]),
    ]:
        assert f'href="{reverse(name, args=args)}"' not in body, name
    # The right's page, read-only, with its history.
    assert f'href="{reverse("rights:right_edit", args=[pk, filled["right"].pk])}"' in body


def test_an_empty_situation_shows_what_to_do(as_social, person):
    response = as_social.get(url(person))
    assert response.status_code == 200
    context = response.context
    assert context["living"] is None and context["latest_score"] is None
    assert context["rights"] == [] and context["applications"] == []
    body = response.content.decode()
    assert f'href="{reverse("rights:living", args=[person.pk])}"' in body
    assert f'href="{reverse("rights:epices", args=[person.pk])}"' in body


def test_the_read_is_logged(as_social, as_doctor, social_worker, doctor, person, filled):
    for client, member in ((as_social, social_worker), (as_doctor, doctor)):
        as_read = AccessEvent.objects.filter(
            actor_member=member, person=person, section="social", action="read"
        )
        before = as_read.count()
        client.get(url(person))
        assert as_read.count() == before + 1


def test_reception_is_refused_and_the_refusal_logged(as_reception, reception, person, filled):
    assert as_reception.get(url(person)).status_code == 404
    assert AccessEvent.objects.filter(
        actor_member=reception, person=person, section="social", action="deny"
    ).exists()
    assert not AccessEvent.objects.filter(
        actor_member=reception, person=person, section="social", action="read"
    ).exists()


def test_the_persons_refusal_wins(as_doctor, social_worker, person, filled):
    do_record_choice(
        person,
        kind="refuse",
        section=Section.SOCIAL,
        role=Role.GP,
        user=social_worker.user,
        on_behalf_by=social_worker,
    )
    assert as_doctor.get(url(person)).status_code == 404


@pytest.mark.parametrize("who", ["as_other", "as_outsider", "as_person", "anonymous"])
def test_outsiders_see_nothing(who, request, client, person, filled):
    browser = client if who == "anonymous" else request.getfixturevalue(who)
    response = browser.get(url(person))
    assert response.status_code in {302, 404}
    assert "DUPONT" not in response.content.decode()


def test_it_reads_in_few_queries(as_social, person, filled, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert as_social.get(url(person)).status_code == 200
