"""Referrals (orientations) with loop closure, through the record's access policy."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import referrals as actions
from maillage.coordination.models import Referral, ReferralEvent
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.lib.referrals import TransitionError
from maillage.record.actions import do_record_choice
from maillage.territory import actions as territory_actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import client_for, make_member
from tests.territory.data import as_json


@pytest.fixture
def dentist(centre):
    territory_actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    return Service.objects.get(di_id="essai--dentiste")


@pytest.fixture
def mediator(centre):
    return make_member(centre, "awa", Role.MEDIATOR, "mediateur_sante")


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


def test_the_whole_path_with_feedback(mediator, person, dentist):
    access = access_of(mediator, person)
    referral = actions.do_propose_referral(
        access, to_service=dentist, reason="Douleur dentaire", wishes="Un samedi"
    )
    for step in ("agreed", "sent", "received"):
        actions.do_advance_referral(access, referral, step)
    when = timezone.now() + datetime.timedelta(days=3)
    actions.do_advance_referral(access, referral, "appointment_set", appointment_at=when)
    actions.do_advance_referral(
        access, referral, "done", feedback="Soins faits, à revoir dans 6 mois"
    )
    referral.refresh_from_db()
    assert referral.status == "done" and referral.feedback.startswith("Soins faits")
    assert list(referral.events.values_list("status", flat=True)) == [
        "proposed", "agreed", "sent", "received", "appointment_set", "done"
    ]  # fmt: skip
    events = AccessEvent.objects.filter(person=person, section=Section.COORDINATION)
    assert (
        events.filter(action="create").count() == 1 and events.filter(action="update").count() == 5
    )


def test_steps_off_the_path_and_not_done_without_reason_are_refused(mediator, person, dentist):
    access = access_of(mediator, person)
    referral = actions.do_propose_referral(access, to_service=dentist, reason="Douleur")
    with pytest.raises(TransitionError):
        actions.do_advance_referral(access, referral, "done")
    with pytest.raises(TransitionError):
        actions.do_advance_referral(access, referral, "not_done")
    actions.do_advance_referral(access, referral, "not_done", note="La personne ne souhaite pas")
    assert Referral.objects.get().closing_reason == "La personne ne souhaite pas"
    assert ReferralEvent.objects.count() == 2


def test_reception_reads_but_does_not_refer(reception, mediator, person, dentist):
    actions.do_propose_referral(access_of(mediator, person), to_service=dentist, reason="Douleur")
    with pytest.raises(PermissionDenied):
        actions.do_propose_referral(access_of(reception, person), to_service=dentist, reason="x")


def test_another_structures_directory_cannot_be_a_target(other_centre, mediator, person):
    territory_actions.do_import_directory(other_centre, di.parse([("d.json", as_json())]))
    elsewhere = Service.objects.get(owner=other_centre, di_id="essai--dentiste")
    with pytest.raises(PermissionDenied):
        actions.do_propose_referral(access_of(mediator, person), to_service=elsewhere, reason="x")


def test_referring_through_the_pages(mediator, person, dentist):
    client = client_for(mediator.user)
    add = reverse("coordination:referral_add", args=[person.pk])
    search = client.get(add, {"q": "dentaire"})
    assert f"service:{dentist.pk}" in [value for value, _n, _d in search.context["candidates"]]
    response = client.post(
        add, {"target": f"service:{dentist.pk}", "reason": "Douleur", "wishes": "Samedi"}
    )
    referral = Referral.objects.get()
    assert response.status_code == 302 and referral.to_service == dentist
    url = reverse("coordination:referral", args=[person.pk, referral.pk])
    assert client.post(url, {"status": "not_done"}).context["form"].errors["note"]
    client.post(url, {"status": "agreed"})
    client.post(url, {"status": "sent"})
    response = client.post(
        url,
        {
            "status": "appointment_set",
            "appointment_date": "2026-12-05",
            "appointment_time": "10:30",
        },
    )
    referral.refresh_from_db()
    assert referral.status == "appointment_set"
    assert timezone.localtime(referral.appointment_at).hour == 10
    listing = client.get(reverse("coordination:referrals", args=[person.pk])).content.decode()
    assert "Consultations dentaires" in listing


def test_the_directory_offers_to_refer_the_person_searched_near(mediator, person, dentist):
    client = client_for(mediator.user)
    page = client.get(reverse("territory:directory"), {"person": person.pk}).content.decode()
    assert f"?cible=service:{dentist.pk}" in page


def test_a_target_of_another_structure_is_not_found(as_other, mediator, person, dentist):
    client = client_for(mediator.user)
    add = reverse("coordination:referral_add", args=[person.pk])
    assert client.get(add, {"cible": "service:999999"}).status_code == 404
    assert client.get(add, {"cible": "nonsense"}).status_code == 404


def test_outsiders_and_refusals(as_other, as_person, mediator, person, dentist, reception):
    actions.do_propose_referral(access_of(mediator, person), to_service=dentist, reason="Douleur")
    url = reverse("coordination:referrals", args=[person.pk])
    assert as_other.get(url).status_code == 404
    assert as_person.get(url).status_code == 404
    # The person refuses the coordination part to reception: reception no longer reads it.
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.RECEPTION,
        user=mediator.user,
        on_behalf_by=mediator,
    )
    assert client_for(reception.user).get(url).status_code == 404


def test_an_overdue_referral_says_so(mediator, person, dentist, settings):
    access = access_of(mediator, person)
    referral = actions.do_propose_referral(access, to_service=dentist, reason="Douleur")
    actions.do_advance_referral(access, referral, "agreed")
    actions.do_advance_referral(access, referral, "sent")
    Referral.objects.filter(pk=referral.pk).update(
        last_news_at=timezone.now() - datetime.timedelta(days=settings.REFERRAL_OVERDUE_DAYS + 1)
    )
    page = client_for(mediator.user).get(reverse("coordination:referrals", args=[person.pk]))
    assert page.context["rows"][0][1] is True
