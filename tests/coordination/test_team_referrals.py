"""The team's referrals page: open, without news and closed ones, with response times."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import referrals as actions
from maillage.coordination.models import Referral, ReferralEvent
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member

URL = reverse("coordination:team_referrals")


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "coord", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def referral(coordinator, doctor, person):
    access = record_access(coordinator, person)
    referral = actions.do_propose_referral(access, to_member=doctor, reason="Suivi du diabète")
    actions.do_advance_referral(access, referral, "agreed")
    actions.do_advance_referral(access, referral, "sent")
    return referral


def test_open_and_overdue_referrals_with_response_times(coordinator, referral, person):
    access = record_access(coordinator, person)
    client = client_for(coordinator.user)
    page = client.get(URL).content.decode()
    assert "Suivi" not in page  # the reason stays in the record
    assert str(person) in page and "1 orientation envoyée, 0 répondue" in page
    # No news for three weeks: it moves to "without news".
    Referral.objects.filter(pk=referral.pk).update(
        last_news_at=timezone.now() - datetime.timedelta(days=21)
    )
    overdue = client.get(URL, {"vue": "sans-nouvelles"}).content.decode()
    assert "relancer" in overdue and str(person) in overdue
    sent = ReferralEvent.objects.get(referral=referral, status="sent")
    ReferralEvent.objects.filter(pk=sent.pk).update(at=sent.at - datetime.timedelta(days=4))
    actions.do_advance_referral(access, referral, "received")
    page = client.get(URL).content.decode()
    assert "1 répondue" in page or "1 orientation envoyée, 1 répondue" in page
    assert "4,0 jours" in page
    detail = client.get(reverse("coordination:referral", args=[person.pk, referral.pk]))
    assert "4\xa0jours" in detail.content.decode()
    assert AccessEvent.objects.filter(
        person=person, section=Section.COORDINATION, reason="referrals"
    ).exists()


def test_closed_view_and_refusals(coordinator, referral, person, person_user):
    access = record_access(coordinator, person)
    actions.do_advance_referral(access, referral, "not_done", note="Injoignable")
    client = client_for(coordinator.user)
    assert str(person) in client.get(URL, {"vue": "closes"}).content.decode()
    assert str(person) not in client.get(URL).content.decode()
    do_record_choice(
        person, kind="refuse", section=Section.COORDINATION, role=Role.COORDINATOR,
        user=person_user,
    )  # fmt: skip
    assert str(person) not in client.get(URL, {"vue": "closes"}).content.decode()
    assert client.get(URL, {"vue": "<script>"}).status_code == 200


@pytest.mark.parametrize("who", ["interpreter", "partner"])
def test_refused_to_those_without_coordination(request, who, referral):
    member = request.getfixturevalue(who)
    assert client_for(member.user).get(URL).status_code == 404


def test_another_structure_sees_only_its_own(other_member, referral, person):
    response = client_for(other_member.user).get(URL)
    assert response.status_code == 200 and str(person) not in response.content.decode()


def test_refused_to_outsiders_and_the_person(as_outsider, as_person, client):
    assert as_outsider.get(URL).status_code in {403, 404}
    assert as_person.get(URL).status_code in {403, 404}
    assert client.get(URL).status_code == 302


def test_reception_reads_them(reception, referral, person):
    assert str(person) in client_for(reception.user).get(URL).content.decode()
