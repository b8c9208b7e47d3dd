"""The care team page: who follows the person, the referent, additions and removals."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from maillage.core.access import can_manage_care_team
from maillage.core.models import AccessEvent, Notification, Structure
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.actions import do_register_person
from maillage.record import actions
from maillage.record.models import CareTeamMember
from tests.conftest import client_for, make_member


@pytest.fixture
def site(db) -> Structure:
    """A coordination site: not one care team, members follow whom they are added to."""
    return Structure.objects.create(
        name="Site C", kind=StructureKind.COORDINATION, is_care_team=False
    )


@pytest.fixture
def coordinator(site):
    return make_member(site, "coralie", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def nurse(site):
    return make_member(site, "nina", Role.NURSE, "infirmier")


@pytest.fixture
def gp(site):
    return make_member(site, "gaston", Role.GP, "medecin_generaliste")


@pytest.fixture
def site_person(site):
    desk = make_member(site, "diane", Role.RECEPTION)
    return do_register_person(
        desk, {"birth_name": "LEROY", "given_names": "Anna", "sex": "F", "birth_year": 1960}
    )


def url(person, name="record:care_team", *args):
    return reverse(name, args=[person.pk, *args])


def current_rows(person):
    return list(CareTeamMember.objects.current().filter(person=person))


def test_it_shows_the_care_team_to_a_member_of_the_structure(coordinator, gp, site_person):
    actions.do_add_to_care_team(coordinator, site_person, gp, referent=True)
    response = client_for(coordinator.user).get(url(site_person))
    assert response.status_code == 200
    assert response.context["referent"].member == gp
    assert [r.member for r in response.context["current"]] == [gp]
    assert response.context["can_manage"] is True
    assert response.context["whole_structure"] is False
    assert "Gaston Test" in response.content.decode()


def test_it_lets_a_member_outside_the_care_team_look_without_changing(
    nurse, gp, coordinator, site_person
):
    actions.do_add_to_care_team(coordinator, site_person, gp, referent=True)
    response = client_for(nurse.user).get(url(site_person))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert response.context["add_form"] is None
    assert f'action="{url(site_person, "record:care_team_add")}"' not in response.content.decode()


def test_it_says_when_the_whole_structure_is_one_care_team(as_doctor, person):
    response = as_doctor.get(url(person))
    assert response.status_code == 200
    assert response.context["whole_structure"] is True


def test_it_logs_the_read_in_the_coordination_section(coordinator, site_person):
    client_for(coordinator.user).get(url(site_person))
    event = AccessEvent.objects.filter(person=site_person, action="read").latest("pk")
    assert event.actor_member == coordinator
    assert event.section == Section.COORDINATION


def test_it_adds_a_member_as_referent(coordinator, nurse, site_person):
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_add"), {"member": nurse.pk, "referent": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(site_person)
    [row] = current_rows(site_person)
    assert row.member == nurse
    assert row.is_referent
    kinds = set(Notification.objects.filter(recipient=nurse).values_list("kind", flat=True))
    assert kinds == {Notification.Kind.CARE_TEAM_ADDED, Notification.Kind.REFERENT}


def test_it_adds_a_member_without_making_them_referent(coordinator, nurse, site_person):
    client_for(coordinator.user).post(
        url(site_person, "record:care_team_add"), {"member": nurse.pk}
    )
    [row] = current_rows(site_person)
    assert row.member == nurse
    assert not row.is_referent


def test_it_changes_the_referent_and_keeps_the_former_one(coordinator, nurse, gp, site_person):
    actions.do_add_to_care_team(coordinator, site_person, gp, referent=True)
    nurse_row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_referent", nurse_row.pk)
    )
    assert response.status_code == 302
    rows = {r.member: r for r in current_rows(site_person)}
    assert set(rows) == {gp, nurse}
    assert rows[nurse].is_referent
    assert not rows[gp].is_referent
    page = client_for(coordinator.user).get(url(site_person))
    reasons = {why for _row, why in page.context["ended"]}
    assert len(reasons) == 2  # both former lines are explained in the history


def test_it_removes_with_a_reason_and_keeps_the_history(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    client = client_for(coordinator.user)
    response = client.post(
        url(site_person, "record:care_team_remove", row.pk), {"reason": "Suivi terminé"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.ended_at is not None
    assert row.ended_by == coordinator
    assert row.end_reason == "Suivi terminé"
    page = client.get(url(site_person))
    assert page.context["current"] == []
    assert [(r.pk, why) for r, why in page.context["ended"]] == [(row.pk, "Suivi terminé")]
    assert "Suivi terminé" in page.content.decode()


def test_it_requires_a_reason_to_remove(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_remove", row.pk), {"reason": "   "}
    )
    assert response.status_code == 200
    assert response.context["remove_form"].errors
    assert response.context["remove_row"] == row.pk
    row.refresh_from_db()
    assert row.ended_at is None


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1", "1.5", "\x00"])
def test_it_rejects_odd_members_in_the_form(coordinator, site_person, value):
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_add"), {"member": value, "referent": "on"}
    )
    assert response.status_code == 200
    assert response.context["add_form"].errors
    assert current_rows(site_person) == []


def test_it_does_not_add_a_member_of_another_structure(coordinator, other_member, site_person):
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_add"), {"member": other_member.pk}
    )
    assert response.status_code == 200
    assert "member" in response.context["add_form"].errors
    assert current_rows(site_person) == []


def test_it_keeps_what_was_typed_on_error(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    response = client_for(coordinator.user).post(
        url(site_person, "record:care_team_remove", row.pk), {"reason": "x" * 301}
    )
    assert response.status_code == 200
    assert "x" * 301 in response.content.decode()


def test_it_refuses_changes_to_a_member_who_does_not_manage(coordinator, nurse, gp, site_person):
    actions.do_add_to_care_team(coordinator, site_person, gp, referent=True)
    actions.do_add_to_care_team(coordinator, site_person, nurse)
    # The referent line is a new line (do_add_to_care_team returns the first one).
    row = CareTeamMember.objects.current().get(person=site_person, member=gp)
    assert not can_manage_care_team(nurse, site_person)
    client = client_for(nurse.user)
    assert (
        client.post(url(site_person, "record:care_team_add"), {"member": nurse.pk}).status_code
        == 404
    )
    assert client.post(url(site_person, "record:care_team_referent", row.pk)).status_code == 404
    response = client.post(url(site_person, "record:care_team_remove", row.pk), {"reason": "non"})
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.ended_at is None and row.is_referent


def test_it_lets_a_team_member_name_the_first_referent(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    assert can_manage_care_team(nurse, site_person)
    response = client_for(nurse.user).post(url(site_person, "record:care_team_referent", row.pk))
    assert response.status_code == 302
    assert CareTeamMember.objects.current().get(person=site_person).is_referent


def test_it_gives_404_for_rows_that_are_not_current(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    actions.do_remove_from_care_team(coordinator, row, "fin")
    client = client_for(coordinator.user)
    assert client.post(url(site_person, "record:care_team_referent", row.pk)).status_code == 404
    assert client.post(url(site_person, "record:care_team_remove", 999999)).status_code == 404


def test_it_gives_404_for_a_row_of_another_person(coordinator, nurse, site, site_person):
    desk = make_member(site, "david", Role.RECEPTION)
    someone = do_register_person(
        desk, {"birth_name": "AUTRE", "given_names": "Jo", "sex": "M", "birth_year": 1950}
    )
    row = actions.do_add_to_care_team(coordinator, someone, nurse)
    client = client_for(coordinator.user)
    response = client.post(url(site_person, "record:care_team_remove", row.pk), {"reason": "x"})
    assert response.status_code == 404
    assert client.post(url(site_person, "record:care_team_referent", row.pk)).status_code == 404


def test_it_only_accepts_post_for_changes(coordinator, nurse, site_person):
    row = actions.do_add_to_care_team(coordinator, site_person, nurse)
    client = client_for(coordinator.user)
    assert client.get(url(site_person, "record:care_team_add")).status_code == 405
    assert client.get(url(site_person, "record:care_team_remove", row.pk)).status_code == 405


def test_it_lists_the_care_team_in_few_queries(
    coordinator, site, site_person, django_assert_max_num_queries
):
    members = [make_member(site, f"m{i}", Role.NURSE, "infirmier") for i in range(8)]
    for m in members:
        row = actions.do_add_to_care_team(coordinator, site_person, m)
    actions.do_set_referent(coordinator, site_person, row)
    actions.do_remove_from_care_team(coordinator, current_rows(site_person)[0], "fin")
    client = client_for(coordinator.user)
    with django_assert_max_num_queries(20):
        response = client.get(url(site_person))
    assert response.status_code == 200
    assert len(response.context["current"]) == 7


# --- Who may not see it -----------------------------------------------------------------


def test_it_hides_the_care_team_from_another_structure(as_other, person):
    assert as_other.get(url(person)).status_code == 404
    response = as_other.post(url(person, "record:care_team_add"), {"member": 1})
    assert response.status_code == 404


def test_it_hides_the_care_team_from_an_outsider(as_outsider, person, doctor):
    assert as_outsider.get(url(person)).status_code == 404
    assert (
        as_outsider.post(url(person, "record:care_team_add"), {"member": doctor.pk}).status_code
        == 404
    )


def test_it_hides_the_care_team_from_the_person(as_person, person):
    assert as_person.get(url(person)).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(person):
    response = Client().get(url(person))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_it_hides_a_missing_person_like_a_forbidden_one(as_doctor):
    assert as_doctor.get(reverse("record:care_team", args=[999999])).status_code == 404
