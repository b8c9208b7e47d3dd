"""Notifications: listed with sentences composed when shown, marked as read, counted."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.core.context_processors import current_member
from maillage.core.models import Member, Notification
from maillage.core.roles import Role
from maillage.record import actions
from tests.conftest import client_for, make_member

URL = reverse("notifications")


@pytest.fixture
def nurse(centre):
    return make_member(centre, "nadia", Role.NURSE, "infirmier")


@pytest.fixture
def told(admin_member, nurse, person):
    """The nurse is added to the care team and named referent: two notifications."""
    actions.do_add_to_care_team(admin_member, person, nurse, referent=True)
    return list(Notification.objects.filter(recipient=nurse))


def test_it_lists_the_members_notifications_with_composed_sentences(nurse, told, person):
    response = client_for(nurse.user).get(URL)
    assert response.status_code == 200
    shown = response.context["shown"]
    assert {s.notification for s in shown} == set(told)
    for item in shown:
        assert "Directrice Test" in item.text  # the actor
        assert str(person) in item.text
        assert item.link == reverse("record:care_team", args=[person.pk])
    assert str(person) in response.content.decode()


def test_it_stores_no_sentence_and_no_personal_data(told):
    for notification in told:
        assert notification.detail == ""
        assert notification.person_id and notification.actor_id


def test_it_composes_the_sentence_in_the_readers_language(nurse, told, person):
    client = client_for(nurse.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    texts = sorted(s.text for s in client.get(URL).context["shown"])
    assert texts == [
        f"Directrice Test added you to the care team of {person}.",
        f"Directrice Test named you referent of {person}.",
    ]


def test_it_shows_nothing_of_another_members_notifications(doctor, told):
    response = client_for(doctor.user).get(URL)
    assert response.status_code == 200
    assert response.context["shown"] == []


def test_it_counts_the_unread_notifications_in_the_menu(nurse, told):
    content = client_for(nurse.user).get(reverse("home")).content.decode()
    assert "Notifications (2" in content


def test_it_counts_in_one_cheap_query(nurse, told):
    member = Member.objects.select_related("structure", "user").get(pk=nurse.pk)
    request = RequestFactory().get("/")
    request.member = member
    with CaptureQueriesContext(connection) as queries:
        context = current_member(request)
    assert context["unread_notifications"] == 2
    counting = [q["sql"] for q in queries.captured_queries if "core_notification" in q["sql"]]
    assert len(counting) == 1
    assert "COUNT(" in counting[0].upper()


def test_it_counts_nothing_for_accounts_without_a_structure():
    request = RequestFactory().get("/")
    request.member = None
    assert current_member(request)["unread_notifications"] == 0


def test_it_marks_one_notification_as_read(nurse, told):
    client = client_for(nurse.user)
    first = told[0]
    response = client.post(reverse("notification_read", args=[first.pk]))
    assert response.status_code == 302
    assert response["Location"] == URL
    first.refresh_from_db()
    assert first.read_at is not None
    assert Notification.objects.filter(recipient=nurse).unread().count() == 1
    assert "Notifications (1" in client.get(URL).content.decode()
    # Twice is harmless and keeps the first time.
    read_at = first.read_at
    client.post(reverse("notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == read_at


def test_it_marks_all_as_read(nurse, doctor, told, person):
    theirs = Notification.objects.create(recipient=doctor, kind="referent", person=person)
    client = client_for(nurse.user)
    assert client.post(reverse("notifications_read_all")).status_code == 302
    assert Notification.objects.filter(recipient=nurse).unread().count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Notifications (" not in client.get(URL).content.decode()


def test_it_does_not_mark_another_members_notification(doctor, told):
    client = client_for(doctor.user)
    for notification in told:
        response = client.post(reverse("notification_read", args=[notification.pk]))
        assert response.status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None
    assert client.post(reverse("notification_read", args=[999999])).status_code == 404


def test_it_only_marks_on_post(nurse, told):
    client = client_for(nurse.user)
    assert client.get(reverse("notification_read", args=[told[0].pk])).status_code == 405
    assert client.get(reverse("notifications_read_all")).status_code == 405


def test_it_composes_a_sentence_when_the_actor_or_person_is_missing(nurse):
    Notification.objects.create(recipient=nurse, kind="care_team_added")
    Notification.objects.create(recipient=nurse, kind="break_glass")
    response = client_for(nurse.user).get(URL)
    assert response.status_code == 200
    assert all(item.text and not item.link for item in response.context["shown"])


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "\x00", "9" * 30])
def test_it_survives_odd_pages(nurse, told, page):
    assert client_for(nurse.user).get(URL, {"page": page}).status_code == 200


def test_it_lists_many_notifications_in_few_queries(
    nurse, admin_member, person, make_person, django_assert_max_num_queries
):
    for i in range(12):
        someone = make_person(birth_name=f"NOM{i}")
        actions.do_add_to_care_team(admin_member, someone, nurse, referent=True)
    client = client_for(nurse.user)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert len(response.context["shown"]) == 24


# --- Who may not --------------------------------------------------------------------------


def test_it_is_denied_to_an_outsider(as_outsider, told):
    assert as_outsider.get(URL).status_code == 404
    assert as_outsider.post(reverse("notification_read", args=[told[0].pk])).status_code == 404
    assert as_outsider.post(reverse("notifications_read_all")).status_code == 404
    assert Notification.objects.unread().count() == 2


def test_it_is_denied_to_the_person(as_person):
    assert as_person.get(URL).status_code == 404


def test_it_is_denied_to_a_member_of_another_structure_for_their_items(as_other, told):
    assert as_other.get(URL).context["shown"] == []
    assert as_other.post(reverse("notification_read", args=[told[0].pk])).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page():
    response = Client().get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
