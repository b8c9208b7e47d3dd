"""A person's record: reading (audited), correcting the identity (versioned), history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.people.actions import do_add_relation, do_mark_arrived, do_mark_seen
from maillage.people.models import IdentityVersion, Person
from tests.conftest import make_member
from tests.people.helpers import input_value, person_post_data


def detail_url(person):
    return reverse("people:detail", args=[person.pk])


def edit_url(person):
    return reverse("people:edit", args=[person.pk])


def test_it_shows_the_identity_and_logs_a_read(as_doctor, doctor, person):
    response = as_doctor.get(detail_url(person))
    assert response.status_code == 200
    assert response.context["person"] == person
    content = response.content.decode()
    assert "DUPONT" in content
    assert "Marie Louise" in content
    event = AccessEvent.objects.get(action="read", person=person)
    assert event.actor_member == doctor
    assert event.section == "administrative"


def test_it_lists_only_current_relations(as_reception, reception, person):
    from maillage.people.actions import do_end_relation

    kept = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé AMIE"})
    ended = do_add_relation(reception, person, {"kind": "neighbour", "name": "Yves VOISIN"})
    do_end_relation(reception, ended)
    response = as_reception.get(detail_url(person))
    assert list(response.context["relations"]) == [kept]
    assert "Yves VOISIN" not in response.content.decode()


# + the unread-notifications count of the header; + the appointments to come, their
# members and the choice of reminders.
MAX_DETAIL_QUERIES = 18
# + the team home: my tasks, referrals without news, projects to review, meetings and the
# follow-up tasks made once an hour, each list with the person's choices and the merged
# records it leaves out (tests/coordination/test_team_home.py)
MAX_HOME_QUERIES = 32


def test_it_shows_a_busy_record_in_a_bounded_number_of_queries(
    as_reception, reception, doctor, person, make_person, django_assert_max_num_queries
):
    for i in range(30):
        make_person(birth_name=f"NOM{i}", given_names="Jean", birth_year=1950 + i)
        do_add_relation(reception, person, {"kind": "friend", "name": f"Ami {i}"})
    for _ in range(12):
        visit = do_mark_arrived(reception, person)
        do_mark_seen(doctor, visit)
    with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
        response = as_reception.get(detail_url(person))
    assert response.status_code == 200
    assert len(response.context["relations"]) == 30


def test_it_shows_the_home_page_in_a_bounded_number_of_queries(
    as_reception, reception, make_person, django_assert_max_num_queries
):
    for i in range(30):
        do_mark_arrived(reception, make_person(birth_name=f"NOM{i}", birth_year=1950 + i))
    with django_assert_max_num_queries(MAX_HOME_QUERIES):
        response = as_reception.get(reverse("home"))
    assert response.status_code == 200
    assert len(response.context["waiting"]) == 30


# --- Correcting the identity ---------------------------------------------------------


def test_it_prefills_the_correction_form(as_reception, person):
    response = as_reception.get(edit_url(person))
    assert response.status_code == 200
    assert input_value(response, "birth_name") == "DUPONT"
    assert input_value(response, "birth_date") == "12/03/1985"
    assert input_value(response, "phone") == "06 12 34 56 78"


def test_it_requires_a_reason(as_reception, person):
    data = person_post_data(person, phone="07 00 00 00 01")
    response = as_reception.post(edit_url(person), data)
    assert response.status_code == 200
    assert "reason" in response.context["reason_form"].errors
    assert input_value(response, "phone") == "07 00 00 00 01"
    person.refresh_from_db()
    assert person.phone == "06 12 34 56 78"
    assert not IdentityVersion.objects.exists()
    assert not AccessEvent.objects.filter(action="update").exists()


def test_it_keeps_the_former_identity_as_a_version(as_reception, reception, person):
    data = person_post_data(person, birth_name="DUPONT-MOREL", reason="Nom mal saisi")
    response = as_reception.post(edit_url(person), data)
    assert response.status_code == 302
    assert response["Location"] == detail_url(person)
    person.refresh_from_db()
    assert person.birth_name == "DUPONT-MOREL"
    version = IdentityVersion.objects.get(person=person)
    assert version.data["birth_name"] == "DUPONT"
    assert version.data["given_names"] == "Marie Louise"
    assert version.changed_by == reception
    assert version.reason == "Nom mal saisi"
    event = AccessEvent.objects.get(action="update", person=person)
    assert event.actor_member == reception
    assert event.reason == "Nom mal saisi"
    keys = set(person.search_keys.values_list("key", flat=True))
    assert "t:morel" in keys


def test_it_rebuilds_the_search_keys_after_a_correction(as_reception, person):
    data = person_post_data(person, birth_name="LEFEBVRE", reason="Nom d'usage inversé")
    as_reception.post(edit_url(person), data)
    results = as_reception.get(reverse("people:search"), {"q": "lefebvre marie"})
    assert [p.pk for p in results.context["results"]] == [person.pk]
    assert as_reception.get(reverse("people:search"), {"q": "dupont"}).context["results"] == []


@pytest.fixture
def validated(make_person):
    return make_person(
        birth_name="NGUYEN",
        given_names="Anh",
        sex="F",
        birth_year=1990,
        identity_status="vali",
        document_type="passport",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"birth_name": "NGUYEN VAN"},
        {"given_names": "Anh Thi"},
        {"birth_date": "02/01/1990"},
        {"sex": "M"},
        {"birth_place_code": "99243"},
    ],
)
def test_it_drops_a_validated_identity_to_provisional_when_a_strict_trait_changes(
    as_reception, validated, change
):
    data = person_post_data(validated, reason="correction", **change)
    assert as_reception.post(edit_url(validated), data).status_code == 302
    validated.refresh_from_db()
    assert validated.identity_status == "prov"
    assert IdentityVersion.objects.get(person=validated).data["identity_status"] == "vali"


def test_it_keeps_a_validated_identity_when_only_contact_changes(as_reception, validated):
    data = person_post_data(validated, phone="07 00 00 00 02", reason="nouveau numéro")
    assert as_reception.post(edit_url(validated), data).status_code == 302
    validated.refresh_from_db()
    assert validated.identity_status == "vali"
    assert validated.phone_digits == "700000002"


def test_it_refuses_an_invalid_correction(as_reception, person):
    data = person_post_data(person, birth_date="31/02/1985", reason="typo")
    response = as_reception.post(edit_url(person), data)
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    person.refresh_from_db()
    assert person.birth_day == 12
    assert not IdentityVersion.objects.exists()


def test_it_refuses_a_correction_by_another_team(as_other, person):
    data = person_post_data(person, birth_name="PIRATE", reason="x")
    assert as_other.post(edit_url(person), data).status_code == 404
    person.refresh_from_db()
    assert person.birth_name == "DUPONT"


def test_it_shows_the_earlier_versions(as_reception, as_doctor, person):
    as_reception.post(edit_url(person), person_post_data(person, birth_name="DUPONTEL", reason="r"))
    response = as_doctor.get(reverse("people:history", args=[person.pk]))
    assert response.status_code == 200
    assert [v.data["birth_name"] for v in response.context["versions"]] == ["DUPONT"]
    assert AccessEvent.objects.filter(action="read", person=person).exists()


def test_it_shows_no_identity_data_to_a_member_of_another_centre_with_the_same_role(
    other_centre, person
):
    from tests.conftest import client_for

    doctor_b = make_member(other_centre, "docteur-b", "gp", "medecin_generaliste")
    response = client_for(doctor_b.user).get(detail_url(person))
    assert response.status_code == 404
    assert b"DUPONT" not in response.content
    assert not AccessEvent.objects.filter(action="read").exists()
    assert Person.objects.get(pk=person.pk).birth_name == "DUPONT"
