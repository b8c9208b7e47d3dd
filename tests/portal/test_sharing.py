"""The person's own sharing choices, in their space."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from maillage.core.access import get_record_for_member, record_access
from maillage.core.models import AccessEvent, User
from maillage.core.roles import Role, Section
from maillage.record import actions
from maillage.record.models import SharingChoice
from tests.conftest import client_for, make_member

URL = reverse("portal:sharing")
REFUSE = reverse("portal:sharing_refuse")
GRANT = reverse("portal:sharing_grant")


def withdraw_url(choice):
    return reverse("portal:sharing_withdraw", args=[choice.pk])


def refuse_post(section, target, note=""):
    return {"refuse-section": section, "refuse-target": target, "refuse-note": note}


def grant_post(section, member, note=""):
    return {"grant-section": section, "grant-member": str(member), "grant-note": note}


@pytest.fixture
def social(centre):
    return make_member(centre, "sandrine", Role.SOCIAL_WORKER, "assistant_service_social")


def test_it_shows_the_person_their_choices(as_person, person, person_user, doctor):
    choice = actions.do_record_choice(
        person,
        kind="refuse",
        section="social",
        role=Role.RECEPTION,
        user=doctor.user,
        on_behalf_by=doctor,
    )
    response = as_person.get(URL)
    assert response.status_code == 200
    assert response.context["person"] == person
    assert response.context["current"] == [choice]
    assert "Docteur Test" in response.content.decode()  # who wrote it down for her
    event = AccessEvent.objects.filter(person=person, action="read").latest("pk")
    assert event.actor_user == person_user
    assert event.actor_member is None
    assert event.section == Section.ADMINISTRATIVE


def test_a_refusal_by_the_person_removes_the_section_for_that_role(
    as_person, person, person_user, social
):
    assert record_access(social, person).can_read(Section.SOCIAL)
    response = as_person.post(REFUSE, refuse_post("social", f"role:{Role.SOCIAL_WORKER}"))
    assert response.status_code == 302
    assert response["Location"] == URL
    choice = SharingChoice.objects.get(person=person)
    assert (choice.kind, choice.section, choice.role, choice.member) == (
        "refuse",
        "social",
        Role.SOCIAL_WORKER,
        None,
    )
    assert choice.recorded_by_user == person_user
    assert choice.recorded_by_member is None
    access = record_access(social, person)
    assert not access.can_read(Section.SOCIAL)
    assert access.can_read(Section.ADMINISTRATIVE)
    event = AccessEvent.objects.get(action="create", object_type="record.sharingchoice")
    assert (event.actor_user, event.actor_member, event.person) == (person_user, None, person)


def test_the_reception_example(as_person, person, reception):
    """“Reception must not see my administrative papers” (reception reads them by default)."""
    assert record_access(reception, person).can_read(Section.ADMINISTRATIVE)
    as_person.post(REFUSE, refuse_post("administrative", f"role:{Role.RECEPTION}"))
    assert not record_access(reception, person).can_read(Section.ADMINISTRATIVE)


def test_a_refusal_to_a_named_member(as_person, person, doctor):
    as_person.post(REFUSE, refuse_post("mental_health", f"member:{doctor.pk}"))
    assert not record_access(doctor, person).can_read(Section.MENTAL_HEALTH)
    assert record_access(doctor, person).can_read(Section.CLINICAL)


def test_the_person_grants_a_section_to_a_partner(as_person, person, partner):
    response = as_person.post(GRANT, grant_post("social", partner.pk, "Association du quartier"))
    assert response.status_code == 302
    choice = SharingChoice.objects.get(person=person)
    assert (choice.kind, choice.member, choice.note) == (
        "grant",
        partner,
        "Association du quartier",
    )
    _person, access = get_record_for_member(partner, person.pk)
    assert access.readable == {Section.SOCIAL}


def test_the_person_withdraws_a_choice_and_the_history_stays(
    as_person, person, person_user, social
):
    as_person.post(REFUSE, refuse_post("social", f"role:{Role.SOCIAL_WORKER}"))
    choice = SharingChoice.objects.get(person=person)
    response = as_person.post(withdraw_url(choice))
    assert response.status_code == 302
    choice.refresh_from_db()
    assert choice.withdrawn_at is not None
    assert choice.withdrawn_by_user == person_user
    assert choice.withdrawn_by_member is None
    assert record_access(social, person).can_read(Section.SOCIAL)
    page = as_person.get(URL)
    assert page.context["current"] == []
    assert page.context["withdrawn"] == [choice]
    assert SharingChoice.objects.filter(person=person).count() == 1


def test_the_person_may_withdraw_a_choice_a_member_wrote_for_them(as_person, person, doctor):
    choice = actions.do_record_choice(
        person,
        kind="refuse",
        section="social",
        role=Role.NURSE,
        user=doctor.user,
        on_behalf_by=doctor,
    )
    assert as_person.post(withdraw_url(choice)).status_code == 302
    choice.refresh_from_db()
    assert choice.withdrawn_at is not None


@pytest.mark.parametrize(
    "data",
    [
        {},
        refuse_post("", f"role:{Role.RECEPTION}"),
        refuse_post("social", ""),
        refuse_post("secret", f"role:{Role.RECEPTION}"),
        refuse_post("social", "role:king"),
        refuse_post("social", "member:0"),
        refuse_post("social", "member:" + "9" * 30),
        refuse_post("social", "<script>alert(1)</script>"),
    ],
)
def test_it_answers_bad_refusals_with_form_errors(as_person, person, data):
    response = as_person.post(REFUSE, data)
    assert response.status_code == 200
    assert response.context["refuse_form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not SharingChoice.objects.exists()


@pytest.mark.parametrize("member", ["", "x", "0", "9" * 30])
def test_it_answers_bad_grants_with_form_errors(as_person, person, member):
    response = as_person.post(GRANT, grant_post("social", member))
    assert response.status_code == 200
    assert response.context["grant_form"].errors
    assert not SharingChoice.objects.exists()


def test_it_does_not_grant_to_a_member_of_another_structure(as_person, person, other_member):
    response = as_person.post(GRANT, grant_post("clinical", other_member.pk))
    assert response.status_code == 200
    assert "member" in response.context["grant_form"].errors
    assert not SharingChoice.objects.exists()


def test_it_keeps_what_was_typed_on_error(as_person, person):
    response = as_person.post(REFUSE, refuse_post("", f"role:{Role.RECEPTION}", "Mes papiers"))
    assert response.status_code == 200
    form = response.context["refuse_form"]
    assert form["target"].value() == f"role:{Role.RECEPTION}"
    assert "Mes papiers" in response.content.decode()


def test_it_refuses_the_same_choice_twice(as_person, person):
    data = refuse_post("social", f"role:{Role.RECEPTION}")
    as_person.post(REFUSE, data)
    response = as_person.post(REFUSE, data)
    assert response.status_code == 200
    assert response.context["refuse_form"].errors
    assert SharingChoice.objects.count() == 1


def test_it_lists_the_choices_in_few_queries(
    as_person, person, person_user, doctor, django_assert_max_num_queries
):
    for section in Section.values:
        actions.do_record_choice(
            person, kind="refuse", section=section, role=Role.NURSE, user=person_user
        )
        choice = actions.do_record_choice(
            person,
            kind="refuse",
            section=section,
            member=doctor,
            user=doctor.user,
            on_behalf_by=doctor,
        )
        actions.do_withdraw_choice(choice, user=person_user)
    with django_assert_max_num_queries(15):
        response = as_person.get(URL)
    assert len(response.context["current"]) == 5
    assert len(response.context["withdrawn"]) == 5


# --- Who may not --------------------------------------------------------------------------


def test_another_person_cannot_withdraw_her_choice(person, person_user, make_person):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    luc = make_person(birth_name="PETIT", given_names="Luc")
    luc.user = User.objects.create_user(username="luc", password="pw-luc")
    luc.save(update_fields=["user"])
    client = client_for(luc.user)
    assert client.post(withdraw_url(choice)).status_code == 404
    assert client.get(URL).context["current"] == []
    choice.refresh_from_db()
    assert choice.withdrawn_at is None


def test_it_is_denied_to_a_member(as_doctor, person, person_user):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    assert as_doctor.get(URL).status_code == 404
    assert as_doctor.post(REFUSE, refuse_post("social", f"role:{Role.NURSE}")).status_code == 404
    assert as_doctor.post(withdraw_url(choice)).status_code == 404
    assert SharingChoice.objects.current().count() == 1


def test_it_is_denied_to_an_outsider(as_outsider, person, person_user, doctor):
    choice = actions.do_record_choice(
        person, kind="refuse", section="social", role=Role.NURSE, user=person_user
    )
    assert as_outsider.get(URL).status_code == 404
    assert as_outsider.post(GRANT, grant_post("social", doctor.pk)).status_code == 404
    assert as_outsider.post(withdraw_url(choice)).status_code == 404
    assert SharingChoice.objects.count() == 1


def test_it_is_denied_to_a_member_of_another_structure(as_other):
    assert as_other.get(URL).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(person):
    for response in (Client().get(URL), Client().post(REFUSE, {})):
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_it_shows_the_link_in_the_menu(as_person, person):
    assert URL in as_person.get(reverse("portal:home")).content.decode()
