"""The entourage: adding someone, ending a relation without deleting anything."""

from __future__ import annotations

from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.people.actions import do_add_relation
from maillage.people.models import Relation


def add_url(person):
    return reverse("people:relation_add", args=[person.pk])


def end_url(person, relation):
    return reverse("people:relation_end", args=[person.pk, relation.pk])


VALID = {
    "kind": "natural_helper",
    "name": "Fatou DIALLO",
    "phone": "06 11 11 11 11",
    "how_to_reach": "Au marché le samedi",
    "team_may_contact": "on",
}


def test_it_shows_the_form(as_reception, person):
    response = as_reception.get(add_url(person))
    assert response.status_code == 200
    assert 'name="kind"' in response.content.decode()


def test_it_adds_someone_to_the_entourage(as_reception, reception, person):
    response = as_reception.post(add_url(person), VALID)
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    relation = Relation.objects.get()
    assert relation.person == person
    assert relation.created_by == reception
    assert relation.name == "Fatou DIALLO"
    assert relation.team_may_contact is True
    assert relation.ended_at is None
    event = AccessEvent.objects.get(action="create", object_type="people.relation")
    assert event.person == person
    assert event.object_id == str(relation.pk)
    detail = as_reception.get(reverse("people:detail", args=[person.pk]))
    assert "Fatou DIALLO" in detail.content.decode()


def test_it_rejects_an_invalid_relation(as_reception, person):
    for data in (
        {**VALID, "name": ""},
        {**VALID, "kind": "enemy"},
        {**VALID, "email": "not-an-email"},
        {**VALID, "name": "x" * 201},
    ):
        response = as_reception.post(add_url(person), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors
    assert not Relation.objects.exists()


def test_it_keeps_typed_values_when_invalid(as_reception, person):
    response = as_reception.post(add_url(person), {**VALID, "kind": ""})
    assert response.status_code == 200
    assert 'value="Fatou DIALLO"' in response.content.decode()


def test_it_ends_a_relation_and_keeps_the_row(as_reception, reception, person):
    relation = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé"})
    response = as_reception.post(end_url(person, relation))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    relation.refresh_from_db()
    assert relation.ended_at is not None
    assert relation.ended_by == reception
    assert Relation.objects.count() == 1
    assert AccessEvent.objects.filter(
        action="update", person=person, object_id=str(relation.pk)
    ).exists()
    # Ending it again: it is no longer a current relation.
    assert as_reception.post(end_url(person, relation)).status_code == 404


def test_it_refuses_ending_a_relation_through_another_person(
    as_reception, reception, person, make_person
):
    other = make_person()
    relation = do_add_relation(reception, other, {"kind": "friend", "name": "Zoé"})
    assert as_reception.post(end_url(person, relation)).status_code == 404
    relation.refresh_from_db()
    assert relation.ended_at is None


def test_it_refuses_the_entourage_to_a_doctor_and_another_team(
    as_doctor, as_other, reception, person
):
    relation = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé"})
    for client in (as_doctor, as_other):
        assert client.post(add_url(person), VALID).status_code == 404
        assert client.post(end_url(person, relation)).status_code == 404
    assert Relation.objects.count() == 1
    relation.refresh_from_db()
    assert relation.ended_at is None
