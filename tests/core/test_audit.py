"""The access log: every read and write leaves an event; events never change."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent


def test_it_logs_a_read_when_the_record_is_opened(as_reception, reception, person):
    before = AccessEvent.objects.filter(action="read").count()
    as_reception.get(reverse("people:detail", args=[person.pk]))
    event = AccessEvent.objects.filter(action="read").latest("pk")
    assert AccessEvent.objects.filter(action="read").count() == before + 1
    assert event.person == person
    assert event.actor_member == reception
    assert event.actor_user == reception.user
    assert event.structure == reception.structure
    assert event.object_type == "people.person"
    assert event.object_id == str(person.pk)


def test_it_logs_a_read_for_every_view_of_the_record(as_reception, person):
    for name in ("detail", "history", "edit", "person_duplicates"):
        as_reception.get(reverse(f"people:{name}", args=[person.pk]))
    assert AccessEvent.objects.filter(action="read", person=person).count() == 4


def test_it_logs_no_read_when_access_is_refused(as_other, as_outsider, person):
    as_other.get(reverse("people:detail", args=[person.pk]))
    as_outsider.get(reverse("people:detail", args=[person.pk]))
    assert not AccessEvent.objects.filter(action="read").exists()


def test_it_logs_a_denial(as_other, other_member, person):
    as_other.get(reverse("people:detail", args=[person.pk]))
    assert AccessEvent.objects.filter(action="deny", person=person).exists()


def test_it_shows_the_log_to_the_admin(as_admin, as_reception, person):
    as_reception.get(reverse("people:detail", args=[person.pk]))
    response = as_admin.get(reverse("people:access_log", args=[person.pk]))
    assert response.status_code == 200
    actions = [e.action for e in response.context["page"].object_list]
    assert actions[-1] == "create"
    assert "read" in actions
    assert "Alice Test" in response.content.decode()


def test_it_paginates_the_log_whatever_the_page_parameter(as_admin, person):
    url = reverse("people:access_log", args=[person.pk])
    for page in ("abc", "0", "-1", "999999", "1" * 50):
        assert as_admin.get(url, {"page": page}).status_code == 200


@pytest.fixture
def event(reception, person):
    return log_event(action=AccessEvent.Action.READ, member=reception, person=person)


def test_it_refuses_to_save_an_existing_event(event):
    event.action = "update"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["action"])
    event.refresh_from_db()
    assert event.action == "read"


def test_it_refuses_to_delete_an_event(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AccessEvent.objects.filter(pk=event.pk).exists()


def assert_refused(action):
    """``action`` raises PermissionError (inside a savepoint, so the test can go on)."""
    with pytest.raises(PermissionError), transaction.atomic():
        action()


def test_it_refuses_queryset_updates_and_deletes(event, person):
    count = AccessEvent.objects.count()
    for queryset in (
        AccessEvent.objects.all(),
        AccessEvent.objects.filter(pk=event.pk),
        person.access_events.all(),
    ):
        assert_refused(lambda qs=queryset: qs.update(reason="tampered"))
        assert_refused(lambda qs=queryset: qs.delete())
    assert_refused(lambda: person.access_events.update(reason="tampered"))
    event.reason = "tampered"
    assert_refused(lambda: AccessEvent.objects.bulk_update([event], ["reason"]))
    assert_refused(
        lambda: AccessEvent.objects.update_or_create(pk=event.pk, defaults={"reason": "x"})
    )
    assert AccessEvent.objects.count() == count
    event.refresh_from_db()
    assert event.reason == ""


def test_it_refuses_deleting_a_person_who_has_events(person):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        person.delete()
    assert AccessEvent.objects.filter(person_id=person.pk).exists()
