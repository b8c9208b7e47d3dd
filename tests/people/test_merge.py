"""Merging two records of one person, or noting that they are two persons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.people.actions import do_add_relation, do_mark_arrived, do_mark_seen
from maillage.people.models import DuplicateDismissal, IdentityVersion, Person, PersonMerge
from tests.people.helpers import links


@pytest.fixture
def twin(make_person):
    """A second record of the fixture person, with a NIR and an e-mail she lacks."""
    from tests.people.helpers import nir_with_key

    return make_person(
        birth_name="DUPOND",
        given_names="Marie",
        sex="F",
        birth_year=1985,
        birth_month=3,
        birth_day=12,
        nir=nir_with_key("2850375056123"),
        email="marie@example.org",
    )


def merge_url(a, b):
    return reverse("people:merge", args=[a.pk, b.pk])


def test_it_shows_the_comparison(as_reception, person, twin):
    response = as_reception.get(merge_url(person, twin))
    assert response.status_code == 200
    assert {response.context["a"], response.context["b"]} == {person, twin}
    assert reverse("people:dismiss", args=[person.pk, twin.pk]) in response.content.decode()
    assert AccessEvent.objects.filter(action="read", person__in=[person, twin]).count() == 2


def test_it_merges_and_moves_visits_and_relations(as_reception, reception, doctor, person, twin):
    visit = do_mark_arrived(reception, twin)
    do_mark_seen(doctor, visit)
    relation = do_add_relation(reception, twin, {"kind": "child", "name": "Léo DUPOND"})
    own_relation = do_add_relation(reception, person, {"kind": "parent", "name": "Jeanne"})
    response = as_reception.post(
        merge_url(person, twin), {"keep": str(person.pk), "reason": "Même personne"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])

    twin.refresh_from_db()
    person.refresh_from_db()
    assert twin.merged_into == person
    assert person.merged_into is None
    visit.refresh_from_db()
    relation.refresh_from_db()
    own_relation.refresh_from_db()
    assert visit.person == person
    assert relation.person == person
    assert own_relation.person == person
    merge = PersonMerge.objects.get()
    assert (merge.kept, merge.merged, merge.merged_by) == (person, twin, reception)
    assert merge.reason == "Même personne"
    assert merge.moved["visits"] == [visit.pk]
    assert merge.moved["relations"] == [relation.pk]
    assert set(merge.moved["filled"]) >= {"nir", "email"}
    assert person.nir == twin.nir
    assert person.email == "marie@example.org"
    assert IdentityVersion.objects.filter(person=person).exists()
    for p in (person, twin):
        event = AccessEvent.objects.get(action="merge", person=p)
        assert event.actor_member == reception
        assert event.reason == "Même personne"
    assert Person.objects.count() == 2
    assert not twin.search_keys.exists()


def test_it_keeps_the_chosen_record(as_reception, person, twin):
    as_reception.post(merge_url(person, twin), {"keep": str(twin.pk), "reason": "r"})
    person.refresh_from_db()
    assert person.merged_into_id == twin.pk


def test_it_redirects_the_merged_record_to_the_kept_one(
    as_reception, as_doctor, as_other, person, twin
):
    as_reception.post(merge_url(person, twin), {"keep": str(person.pk), "reason": "r"})
    # Another team learns nothing, not even where the record went.
    assert as_other.get(reverse("people:detail", args=[twin.pk])).status_code == 404
    for client in (as_reception, as_doctor):
        response = client.get(reverse("people:detail", args=[twin.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("people:detail", args=[person.pk])
    kept = as_reception.get(reverse("people:detail", args=[person.pk]))
    assert list(kept.context["merged_from"]) == [twin]


def test_it_refuses_to_merge_a_merged_record_again(as_reception, person, twin, make_person):
    third = make_person(birth_name="DUPONT", given_names="Marie", sex="F", birth_year=1985)
    as_reception.post(merge_url(person, twin), {"keep": str(person.pk), "reason": "r"})
    assert as_reception.get(merge_url(twin, third)).status_code == 404
    response = as_reception.post(merge_url(third, twin), {"keep": str(third.pk), "reason": "r"})
    assert response.status_code == 404
    assert PersonMerge.objects.count() == 1


def test_it_refuses_to_merge_a_record_into_itself(as_reception, person):
    assert as_reception.get(merge_url(person, person)).status_code == 404
    response = as_reception.post(merge_url(person, person), {"keep": str(person.pk), "reason": "r"})
    assert response.status_code == 404
    assert not PersonMerge.objects.exists()


def test_it_requires_a_reason_and_a_valid_choice(as_reception, person, twin, make_person):
    outsider = make_person(birth_name="AUTRE")
    for data in (
        {"keep": str(person.pk)},
        {"keep": str(outsider.pk), "reason": "r"},
        {"keep": "abc", "reason": "r"},
        {"reason": "r"},
    ):
        response = as_reception.post(merge_url(person, twin), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors
    assert not PersonMerge.objects.exists()
    assert Person.objects.filter(merged_into__isnull=False).count() == 0


def test_it_refuses_merging_to_a_doctor_and_another_team(as_doctor, as_other, person, twin):
    for client in (as_doctor, as_other):
        response = client.post(merge_url(person, twin), {"keep": str(person.pk), "reason": "r"})
        assert response.status_code == 404
    assert not PersonMerge.objects.exists()


# --- Two different persons ---------------------------------------------------------


def duplicates_page(client, person):
    response = client.get(reverse("people:person_duplicates", args=[person.pk]))
    assert response.status_code == 200
    return response


def test_it_proposes_the_look_alike(as_reception, person, twin):
    response = duplicates_page(as_reception, person)
    assert [c.person for c, _r in response.context["candidates"]] == [twin]
    assert merge_url(person, twin) in links(response)


def test_it_stops_proposing_a_dismissed_pair(as_reception, reception, person, twin):
    response = as_reception.post(
        reverse("people:dismiss", args=[person.pk, twin.pk]), {"reason": "Jumelles"}
    )
    assert response.status_code == 302
    dismissal = DuplicateDismissal.objects.get()
    assert (dismissal.person_a, dismissal.person_b) == (person, twin)
    assert dismissal.dismissed_by == reception
    assert dismissal.reason == "Jumelles"
    assert duplicates_page(as_reception, person).context["candidates"] == []
    assert duplicates_page(as_reception, twin).context["candidates"] == []
    assert twin.merged_into is None


def test_it_dismisses_a_pair_once_whatever_the_order(as_reception, person, twin):
    as_reception.post(reverse("people:dismiss", args=[twin.pk, person.pk]))
    as_reception.post(reverse("people:dismiss", args=[person.pk, twin.pk]))
    dismissal = DuplicateDismissal.objects.get()
    assert (dismissal.person_a, dismissal.person_b) == (person, twin)


def test_it_stops_listing_a_dismissed_pair_among_likely_duplicates(as_reception, person, twin):
    url = reverse("people:duplicates")
    pairs = [(p.a, p.b) for p, _r in as_reception.get(url).context["page"].object_list]
    assert pairs == [(person, twin)]
    as_reception.post(reverse("people:dismiss", args=[twin.pk, person.pk]))
    assert list(as_reception.get(url).context["page"].object_list) == []


def test_it_refuses_dismissing_a_record_with_itself(as_reception, person):
    response = as_reception.post(reverse("people:dismiss", args=[person.pk, person.pk]))
    assert response.status_code == 404
    assert not DuplicateDismissal.objects.exists()
