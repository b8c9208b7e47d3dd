"""The person's sharing choices, seen and recorded by a member on the person's behalf."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from maillage.core.access import get_record_for_member, record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record import actions
from maillage.record.models import SharingChoice
from tests.conftest import client_for, make_member


@pytest.fixture
def nurse(centre):
    return make_member(centre, "nadia", Role.NURSE, "infirmier")


def url(person, name="record:sharing", *args):
    return reverse(name, args=[person.pk, *args])


def refuse_post(section, target, note=""):
    return {"refuse-section": section, "refuse-target": target, "refuse-note": note}


def grant_post(section, member, note=""):
    return {"grant-section": section, "grant-member": str(member), "grant-note": note}


def test_it_shows_the_choices_and_their_history(as_doctor, doctor, person, person_user, nurse):
    kept = actions.do_record_choice(
        person, kind="refuse", section="clinical", role=Role.NURSE, user=person_user
    )
    gone = actions.do_record_choice(
        person,
        kind="refuse",
        section="social",
        member=nurse,
        user=doctor.user,
        on_behalf_by=doctor,
    )
    actions.do_withdraw_choice(gone, user=person_user)
    response = as_doctor.get(url(person))
    assert response.status_code == 200
    assert [c for c, _mine in response.context["current"]] == [kept]
    assert response.context["withdrawn"] == [gone]
    assert response.context["may_record"] is True
    content = response.content.decode()
    assert "Docteur Test" in content  # recorded on the person's behalf, by name
    assert "Nadia Test" in content  # the named member


def test_it_logs_the_read_as_administrative(as_doctor, doctor, person):
    as_doctor.get(url(person))
    event = AccessEvent.objects.filter(person=person, action="read").latest("pk")
    assert event.actor_member == doctor
    assert event.section == Section.ADMINISTRATIVE


def test_it_records_a_refusal_to_a_role_on_behalf_of_the_person(as_doctor, doctor, person, nurse):
    assert record_access(nurse, person).can_read(Section.CLINICAL)
    response = as_doctor.post(
        url(person, "record:sharing_refuse"),
        refuse_post("clinical", f"role:{Role.NURSE}", "Demandé en consultation"),
    )
    assert response.status_code == 302
    assert response["Location"] == url(person)
    choice = SharingChoice.objects.get(person=person)
    assert (choice.kind, choice.section, choice.role, choice.member) == (
        "refuse",
        "clinical",
        Role.NURSE,
        None,
    )
    assert choice.recorded_by_member == doctor
    assert choice.recorded_by_user == doctor.user
    assert choice.note == "Demandé en consultation"
    access = record_access(nurse, person)
    assert not access.can_read(Section.CLINICAL)
    assert access.can_read(Section.SOCIAL)
    assert AccessEvent.objects.filter(
        person=person, action="create", object_type="record.sharingchoice"
    ).exists()


def test_it_records_a_refusal_to_a_named_member(as_doctor, person, nurse):
    as_doctor.post(
        url(person, "record:sharing_refuse"), refuse_post("social", f"member:{nurse.pk}")
    )
    choice = SharingChoice.objects.get(person=person)
    assert (choice.role, choice.member) == ("", nurse)
    assert not record_access(nurse, person).can_read(Section.SOCIAL)


def test_it_grants_a_section_to_an_external_partner(as_doctor, person, partner):
    with pytest.raises(Http404):  # nothing granted yet
        get_record_for_member(partner, person.pk)
    response = as_doctor.post(url(person, "record:sharing_grant"), grant_post("social", partner.pk))
    assert response.status_code == 302
    choice = SharingChoice.objects.get(person=person)
    assert (choice.kind, choice.member, choice.role) == ("grant", partner, "")
    _person, access = get_record_for_member(partner, person.pk)
    assert access.readable == {Section.SOCIAL}


def test_it_does_not_let_a_member_open_a_part_to_themself(as_doctor, doctor, person):
    response = as_doctor.post(
        url(person, "record:sharing_grant"), grant_post("mental_health", doctor.pk, "moi")
    )
    assert response.status_code == 200
    assert "member" in response.context["grant_form"].errors
    assert not SharingChoice.objects.exists()


def test_it_refuses_a_duplicate_choice(as_doctor, doctor, person, nurse):
    data = refuse_post("clinical", f"role:{Role.NURSE}")
    as_doctor.post(url(person, "record:sharing_refuse"), data)
    response = as_doctor.post(url(person, "record:sharing_refuse"), data)
    assert response.status_code == 200
    assert response.context["refuse_form"].non_field_errors()
    assert SharingChoice.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        refuse_post("", ""),
        refuse_post("clinical", ""),
        refuse_post("nonsense", f"role:{Role.NURSE}"),
        refuse_post("clinical", "role:nonsense"),
        refuse_post("clinical", "role:partner"),
        refuse_post("clinical", "member:999999"),
        refuse_post("clinical", "member:abc"),
        refuse_post("clinical", "\x00"),
        refuse_post("clinical", f"role:{Role.NURSE}", "x" * 301),
        refuse_post("clinical", f"role:{Role.NURSE}", "\x00"),
    ],
)
def test_it_answers_bad_refusals_with_form_errors(as_doctor, person, data):
    response = as_doctor.post(url(person, "record:sharing_refuse"), data)
    assert response.status_code == 200
    assert response.context["refuse_form"].errors
    assert not SharingChoice.objects.exists()


@pytest.mark.parametrize("member", ["", "abc", "999999", "-3", "1e3"])
def test_it_answers_bad_grants_with_form_errors(as_doctor, person, member):
    response = as_doctor.post(url(person, "record:sharing_grant"), grant_post("social", member))
    assert response.status_code == 200
    assert response.context["grant_form"].errors
    assert not SharingChoice.objects.exists()


def test_it_does_not_grant_to_a_member_of_another_structure(as_doctor, person, other_member):
    response = as_doctor.post(
        url(person, "record:sharing_grant"), grant_post("social", other_member.pk)
    )
    assert response.status_code == 200
    assert "member" in response.context["grant_form"].errors
    assert not SharingChoice.objects.exists()


def test_it_keeps_what_was_typed_on_error(as_doctor, person):
    response = as_doctor.post(
        url(person, "record:sharing_refuse"), refuse_post("social", "", "Pas à l'accueil")
    )
    assert response.status_code == 200
    form = response.context["refuse_form"]
    assert form["note"].value() == "Pas à l'accueil"
    assert form["section"].value() == "social"
    assert "Pas à l&#x27;accueil" in response.content.decode()


def test_it_withdraws_a_choice_and_keeps_the_history(as_doctor, doctor, person, person_user, nurse):
    choice = actions.do_record_choice(
        person, kind="refuse", section="clinical", role=Role.NURSE, user=person_user
    )
    assert not record_access(nurse, person).can_read(Section.CLINICAL)
    response = as_doctor.post(url(person, "record:sharing_withdraw", choice.pk))
    assert response.status_code == 302
    choice.refresh_from_db()
    assert choice.withdrawn_at is not None
    assert choice.withdrawn_by_member == doctor
    assert choice.withdrawn_by_user == doctor.user
    assert record_access(nurse, person).can_read(Section.CLINICAL)
    page = as_doctor.get(url(person))
    assert page.context["current"] == []
    assert page.context["withdrawn"] == [choice]
    # Withdrawing twice changes nothing.
    assert as_doctor.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 302
    assert SharingChoice.objects.get(pk=choice.pk).withdrawn_at == choice.withdrawn_at


def test_it_does_not_let_a_member_lift_a_refusal_that_keeps_them_out(
    as_doctor, doctor, person, person_user
):
    by_name = actions.do_record_choice(
        person, kind="refuse", section="mental_health", member=doctor, user=person_user
    )
    by_role = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.GP, user=person_user
    )
    page = as_doctor.get(url(person))
    assert dict(page.context["current"]) == {by_name: True, by_role: True}
    for choice in (by_name, by_role):
        assert as_doctor.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 404
        choice.refresh_from_db()
        assert choice.withdrawn_at is None


def test_it_gives_404_for_a_choice_of_another_person(as_doctor, person, person_user, make_person):
    someone = make_person()
    choice = actions.do_record_choice(
        someone, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    assert as_doctor.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 404
    assert as_doctor.post(url(person, "record:sharing_withdraw", 999999)).status_code == 404
    choice.refresh_from_db()
    assert choice.withdrawn_at is None


def test_it_lets_members_who_may_not_record_only_look(as_admin, person, person_user):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    page = as_admin.get(url(person))
    assert page.status_code == 200
    assert page.context["may_record"] is False
    assert page.context["refuse_form"] is None
    response = as_admin.post(
        url(person, "record:sharing_refuse"), refuse_post("clinical", f"role:{Role.NURSE}")
    )
    assert response.status_code == 404
    assert as_admin.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 404
    assert SharingChoice.objects.current().count() == 1


def test_it_shows_a_partner_only_the_choices_that_name_them(
    doctor, person, person_user, partner, nurse
):
    mine = actions.do_record_choice(
        person, kind="grant", section="social", member=partner, user=person_user
    )
    actions.do_record_choice(
        person, kind="refuse", section="social", member=nurse, user=person_user
    )
    response = client_for(partner.user).get(url(person))
    assert response.status_code == 200
    assert [c for c, _mine in response.context["current"]] == [mine]
    assert response.context["may_record"] is False
    assert "Nadia Test" not in response.content.decode()


def test_it_lists_the_choices_in_few_queries(
    as_doctor, doctor, person, person_user, nurse, django_assert_max_num_queries
):
    for section in Section.values:
        actions.do_record_choice(
            person, kind="refuse", section=section, role=Role.NURSE, user=person_user
        )
        choice = actions.do_record_choice(
            person,
            kind="refuse",
            section=section,
            member=nurse,
            user=doctor.user,
            on_behalf_by=doctor,
        )
        actions.do_withdraw_choice(choice, user=doctor.user, on_behalf_by=doctor)
    with django_assert_max_num_queries(20):
        response = as_doctor.get(url(person))
    assert len(response.context["current"]) == 5
    assert len(response.context["withdrawn"]) == 5


# --- Who may not see it -----------------------------------------------------------------


def test_it_hides_the_choices_from_another_structure(as_other, person, person_user):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    assert as_other.get(url(person)).status_code == 404
    post = refuse_post("clinical", f"role:{Role.NURSE}")
    assert as_other.post(url(person, "record:sharing_refuse"), post).status_code == 404
    assert as_other.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 404


def test_it_hides_the_choices_from_an_outsider(as_outsider, person, person_user, doctor):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    assert as_outsider.get(url(person)).status_code == 404
    grant = grant_post("social", doctor.pk)
    assert as_outsider.post(url(person, "record:sharing_grant"), grant).status_code == 404
    assert as_outsider.post(url(person, "record:sharing_withdraw", choice.pk)).status_code == 404
    choice.refresh_from_db()
    assert choice.withdrawn_at is None


def test_it_sends_the_person_to_their_own_page_not_this_one(as_person, person):
    assert as_person.get(url(person)).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(person):
    response = Client().get(url(person))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    response = Client().post(url(person, "record:sharing_refuse"), {})
    assert response.status_code == 302
    assert not SharingChoice.objects.exists()
