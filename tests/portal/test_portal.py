"""The person's own space: their record, their entourage, who looked at it."""

from __future__ import annotations

from django.urls import reverse

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, User
from maillage.people.actions import (
    do_add_relation,
    do_end_relation,
    do_merge_persons,
    log_read,
)
from tests.conftest import client_for

URL = reverse("portal:home")


def test_it_shows_the_person_their_own_space(as_person, person, person_user):
    response = as_person.get(URL)
    assert response.status_code == 200
    assert response.context["person"] == person
    content = response.content.decode()
    assert "DUPONT" in content
    assert "06 12 34 56 78" in content
    event = AccessEvent.objects.filter(action="read", person=person).latest("pk")
    assert event.actor_user == person_user
    assert event.actor_member is None


def test_it_lists_who_accessed_the_record(as_person, as_doctor, person):
    as_doctor.get(reverse("people:detail", args=[person.pk]))
    response = as_person.get(URL)
    events = list(response.context["page"].object_list)
    assert {"create", "read"} <= {e.action for e in events}
    assert all(e.person_id == person.pk for e in events)
    content = response.content.decode()
    assert "Alice Test" in content  # who registered her
    assert "Docteur Test" in content  # who read her record


def test_it_lists_the_events_of_a_merged_record(as_person, reception, person, make_person):
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    do_merge_persons(reception, person, twin, "same person")
    events = as_person.get(URL).context["page"].object_list
    assert {e.person_id for e in events} == {person.pk, twin.pk}


def test_it_lists_only_current_relations(as_person, reception, person):
    kept = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé AMIE"})
    ended = do_add_relation(reception, person, {"kind": "neighbour", "name": "Yves VOISIN"})
    do_end_relation(reception, ended)
    response = as_person.get(URL)
    assert list(response.context["relations"]) == [kept]
    assert "Yves VOISIN" not in response.content.decode()


def test_it_sends_the_person_from_home_to_their_space(as_person):
    response = as_person.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == URL


def test_it_refuses_the_staff_pages_to_the_person(as_person, person):
    for url in (
        reverse("people:detail", args=[person.pk]),
        reverse("people:history", args=[person.pk]),
        reverse("people:access_log", args=[person.pk]),
        reverse("people:search") + "?q=dupont",
        reverse("members"),
    ):
        assert as_person.get(url).status_code == 404, url


def test_it_does_not_show_another_persons_space(person, person_user, make_person):
    luc = make_person(birth_name="PETIT", given_names="Luc", phone="07 99 99 99 99")
    luc.user = User.objects.create_user(username="luc", password="pw-luc")
    luc.save(update_fields=["user"])
    response = client_for(luc.user).get(URL)
    assert response.status_code == 200
    assert response.context["person"] == luc
    content = response.content.decode()
    assert "DUPONT" not in content
    assert "06 12 34 56 78" not in content
    assert all(e.person_id == luc.pk for e in response.context["page"].object_list)
    assert client_for(luc.user).get(reverse("people:detail", args=[person.pk])).status_code == 404


def test_it_refuses_the_space_to_accounts_without_a_record(as_outsider, as_reception):
    assert as_outsider.get(URL).status_code == 404
    assert as_reception.get(URL).status_code == 404


def test_it_moves_the_account_to_the_kept_record_on_merge(reception, person, make_person):
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    account = User.objects.create_user(username="marie2", password="pw")
    twin.user = account
    twin.save(update_fields=["user"])
    do_merge_persons(reception, person, twin, "same person")
    response = client_for(account).get(URL)
    assert response.status_code == 200
    assert response.context["person"] == person


def test_it_survives_odd_page_numbers(as_person):
    for page in ("abc", "-1", "0", "99999", "9" * 40):
        assert as_person.get(URL, {"page": page}).status_code == 200


def test_it_lists_the_events_of_records_merged_in_a_chain(
    as_person, reception, person, make_person
):
    first = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    second = make_person(birth_name="DUPONTE", given_names="Marie", sex="F", birth_year=1985)
    do_merge_persons(reception, second, first, "same person")  # first -> second
    do_merge_persons(reception, person, second, "same person")  # second -> person
    events = as_person.get(URL).context["page"].object_list
    assert {e.person_id for e in events} == {person.pk, first.pk, second.pk}


MAX_PORTAL_QUERIES = 15


def test_it_shows_a_long_log_in_a_bounded_number_of_queries(
    as_person, doctor, reception, person, django_assert_max_num_queries
):
    for _ in range(20):
        log_read(doctor, person)
        log_read(reception, person)
    with django_assert_max_num_queries(MAX_PORTAL_QUERIES):
        response = as_person.get(URL)
    assert len(response.context["page"].object_list) == 30


def test_it_shows_the_persons_own_reads_in_a_bounded_number_of_queries(
    as_person, person, person_user, django_assert_max_num_queries
):
    for _ in range(30):
        log_event(action=AccessEvent.Action.READ, user=person_user, person=person)
    with django_assert_max_num_queries(MAX_PORTAL_QUERIES):
        response = as_person.get(URL)
    assert len(response.context["page"].object_list) == 30
