"""The circle of care around the person's situation: the team, external partners,
professionals and services of the directory, the person's entourage. Being in it opens
nothing of the record by itself."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import circle as actions
from maillage.coordination.models import CircleMember
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_add_relation, do_end_relation
from maillage.record.actions import do_add_to_care_team, do_record_choice
from maillage.record.models import CareTeamMember
from maillage.territory import actions as territory_actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import client_for, make_member
from tests.territory.data import as_json

TODAY = timezone.localdate()


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def as_coordinator(coordinator):
    return client_for(coordinator.user)


@pytest.fixture
def nurse(centre):
    return make_member(centre, "nina", Role.NURSE, "infirmier")


@pytest.fixture
def dentist(centre):
    territory_actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    return Service.objects.get(di_id="essai--dentiste")


@pytest.fixture
def pharmacist(centre):
    return territory_actions.do_save_professional(
        centre, {"name": "Paul Pharmacien", "profession": "pharmacien", "commune": "Lyon"}
    )


@pytest.fixture
def sister(reception, person):
    return do_add_relation(
        reception, person, {"kind": "sibling", "name": "Jeanne Sœur", "team_may_contact": True}
    )


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


def url(name, person, *args):
    return reverse(f"coordination:{name}", args=[person.pk, *args])


def member_post(member, role="contributor", agreed_on=TODAY, note=""):
    return {
        "member-member": member.pk,
        "member-role": role,
        "member-agreed_on": agreed_on.isoformat() if agreed_on else "",
        "member-note": note,
    }


def test_a_team_member_joins_the_circle_and_the_care_team(as_coordinator, person, doctor):
    response = as_coordinator.post(
        url("circle_add_member", person), member_post(doctor, role="referent"), follow=True
    )
    row = CircleMember.objects.get()
    assert row.member == doctor and row.role == "referent" and row.agreed_on == TODAY
    team_row = CareTeamMember.objects.current().get(person=person, member=doctor)
    assert team_row.is_referent
    assert response.context["circle"].team == [row]
    assert "Docteur Test" in response.content.decode()
    created = AccessEvent.objects.filter(
        person=person, section=Section.COORDINATION, action="create"
    )
    assert created.filter(object_type="coordination.circlemember").count() == 1
    assert created.filter(object_type="record.careteammember").exists()


def test_without_the_right_to_change_the_care_team_only_the_circle_changes(
    coordinator, nurse, doctor, person
):
    do_add_to_care_team(coordinator, person, coordinator, referent=True)
    mediator = make_member(nurse.structure, "awa", Role.MEDIATOR, "mediateur_sante")
    client = client_for(nurse.user)
    response = client.post(url("circle_add_member", person), member_post(mediator), follow=True)
    assert CircleMember.objects.filter(member=mediator).exists()
    assert not CareTeamMember.objects.filter(person=person, member=mediator).exists()
    message = next(str(m) for m in response.context["messages"])
    assert "L'équipe de soins n'a pas été modifiée" in message


def test_a_partner_in_the_circle_is_granted_nothing(
    as_coordinator, coordinator, partner, person, person_user
):
    response = as_coordinator.post(
        url("circle_add_member", person), member_post(partner), follow=True
    )
    assert CircleMember.objects.get().member == partner
    assert not CareTeamMember.objects.filter(member=partner).exists()
    assert response.context["partners"] == [(CircleMember.objects.get(), [])]
    assert "Rien, tant que la personne ne leur ouvre pas une partie de son dossier." in (
        response.content.decode()
    )
    assert client_for(partner.user).get(url("circle", person)).status_code == 404
    do_record_choice(
        person, kind="grant", section=Section.COORDINATION, member=partner, user=person_user
    )
    page = as_coordinator.get(url("circle", person))
    assert page.context["partners"][0][1] == [str(Section.COORDINATION.label)]
    # Now the partner reads the circle, without writing in it.
    partner_page = client_for(partner.user).get(url("circle", person))
    assert partner_page.status_code == 200 and partner_page.context["can_write"] is False
    assert client_for(partner.user).post(url("circle_add_member", person), {}).status_code == 404


def test_a_service_or_a_professional_found_by_name(as_coordinator, person, dentist, pharmacist):
    page = as_coordinator.get(url("circle", person), {"q": "dentaire"})
    assert f"service:{dentist.pk}" in [value for value, _n, _d in page.context["candidates"]]
    page = as_coordinator.get(url("circle", person), {"q": "pharmacien"})
    assert [value for value, _n, _d in page.context["candidates"]] == [
        f"professional:{pharmacist.pk}"
    ]
    chosen = as_coordinator.get(url("circle", person), {"cible": f"service:{dentist.pk}"})
    assert chosen.context["chosen"] == dentist
    assert chosen.context["directory_form"]["target"].value() == f"service:{dentist.pk}"
    add = url("circle_add_directory", person)
    for value in (f"service:{dentist.pk}", f"professional:{pharmacist.pk}"):
        as_coordinator.post(
            add,
            {
                "directory-target": value,
                "directory-role": "contributor",
                "directory-agreed_on": TODAY.isoformat(),
            },
        )
    rows = CircleMember.objects.all()
    assert {(r.service, r.professional) for r in rows} == {(dentist, None), (None, pharmacist)}
    page = as_coordinator.get(url("circle", person)).content.decode()
    assert "Consultations dentaires" in page and "Paul Pharmacien" in page


def test_what_the_directory_form_refuses(as_coordinator, other_centre, person, dentist):
    add = url("circle_add_directory", person)
    tomorrow = TODAY + datetime.timedelta(days=1)
    territory_actions.do_import_directory(other_centre, di.parse([("d.json", as_json())]))
    elsewhere = Service.objects.get(owner=other_centre, di_id="essai--dentiste")
    for target, agreed_on, field in (
        (f"service:{dentist.pk}", tomorrow.isoformat(), "agreed_on"),
        (f"service:{dentist.pk}", "", "agreed_on"),
        (f"service:{elsewhere.pk}", TODAY.isoformat(), "target"),
        ("member:1", TODAY.isoformat(), "target"),
        ("service:99999999999999999999", TODAY.isoformat(), "target"),
    ):
        response = as_coordinator.post(
            add,
            {
                "directory-target": target,
                "directory-role": "informed",
                "directory-agreed_on": agreed_on,
            },
        )
        assert response.status_code == 200
        assert response.context["directory_form"].errors[field]
    assert not CircleMember.objects.exists()
    assert as_coordinator.get(url("circle", person), {"cible": "nonsense"}).status_code == 404


def test_someone_close_to_the_person(as_coordinator, reception, person, sister, make_person):
    other = make_person(birth_name="DURAND", given_names="Jean")
    strangers_friend = do_add_relation(reception, other, {"kind": "friend", "name": "Ami"})
    former = do_add_relation(reception, person, {"kind": "friend", "name": "Ancien ami"})
    do_end_relation(reception, former)
    add = url("circle_add_relation", person)
    for relation in (strangers_friend, former):
        response = as_coordinator.post(
            add,
            {
                "relation-relation": relation.pk,
                "relation-role": "informed",
                "relation-agreed_on": TODAY.isoformat(),
            },
        )
        assert response.context["relation_form"].errors["relation"]
    as_coordinator.post(
        add,
        {
            "relation-relation": sister.pk,
            "relation-role": "informed",
            "relation-agreed_on": TODAY.isoformat(),
            "relation-note": "Appeler le soir",
        },
    )
    row = CircleMember.objects.get()
    assert row.relation == sister and row.note == "Appeler le soir"
    page = as_coordinator.get(url("circle", person))
    assert page.context["circle"].entourage == [row]
    # Twice the same person: said, not duplicated.
    response = as_coordinator.post(
        add,
        {
            "relation-relation": sister.pk,
            "relation-role": "referent",
            "relation-agreed_on": TODAY.isoformat(),
        },
    )
    assert response.context["relation_form"].non_field_errors()
    assert CircleMember.objects.count() == 1


def test_leaving_the_circle_ends_the_row(as_coordinator, coordinator, person, sister):
    row, _changed = actions.do_add_to_circle(
        access_of(coordinator, person), relation=sister, role="informed", agreed_on=TODAY
    )
    response = as_coordinator.post(url("circle_end", person, row.pk), follow=True)
    row.refresh_from_db()
    assert row.ended_at and row.ended_by == coordinator
    assert response.context["circle"].is_empty
    assert AccessEvent.objects.filter(
        person=person, action="update", reason="ended", object_type="coordination.circlemember"
    ).exists()
    # Ended once: a second end changes nothing; it can be added again.
    assert as_coordinator.post(url("circle_end", person, row.pk)).status_code == 404
    actions.do_add_to_circle(
        access_of(coordinator, person), relation=sister, role="referent", agreed_on=TODAY
    )
    assert CircleMember.objects.count() == 2


def test_who_reads_and_who_writes_the_circle(
    as_reception, as_other, as_person, interpreter, coordinator, person, sister, make_person
):
    row, _changed = actions.do_add_to_circle(
        access_of(coordinator, person), relation=sister, role="informed", agreed_on=TODAY
    )
    page = as_reception.get(url("circle", person))
    assert page.status_code == 200 and page.context["can_write"] is False
    assert page.context["member_form"] is None
    assert as_reception.post(url("circle_end", person, row.pk)).status_code == 404
    assert as_reception.post(url("circle_add_relation", person), {}).status_code == 404
    for client in (as_other, as_person, client_for(interpreter.user)):
        assert client.get(url("circle", person)).status_code == 404
        assert client.post(url("circle_end", person, row.pk)).status_code == 404
    # A row of another person's circle is not found through this person.
    other = make_person(birth_name="DURAND", given_names="Jean")
    other_row, _c = actions.do_add_to_circle(
        access_of(coordinator, other), member=coordinator, role="coordinator", agreed_on=TODAY
    )
    client = client_for(coordinator.user)
    assert client.post(url("circle_end", person, other_row.pk)).status_code == 404
    assert CircleMember.objects.get(pk=other_row.pk).ended_at is None


def test_the_actions_check_what_they_are_given(
    coordinator, reception, person, other_member, sister
):
    access = access_of(coordinator, person)
    with pytest.raises(PermissionDenied):
        actions.do_add_to_circle(access, member=other_member, role="informed", agreed_on=TODAY)
    with pytest.raises(ValueError, match="future"):
        actions.do_add_to_circle(
            access,
            relation=sister,
            role="informed",
            agreed_on=TODAY + datetime.timedelta(days=2),
        )
    with pytest.raises(ValueError, match="one"):
        actions.do_add_to_circle(access, role="informed", agreed_on=TODAY)
    with pytest.raises(PermissionDenied):
        actions.do_add_to_circle(
            access_of(reception, person), relation=sister, role="informed", agreed_on=TODAY
        )


def test_a_refusal_of_coordination_hides_the_circle(coordinator, reception, person):
    client = client_for(reception.user)
    assert client.get(url("circle", person)).status_code == 200
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.RECEPTION,
        user=coordinator.user,
        on_behalf_by=coordinator,
    )
    assert client.get(url("circle", person)).status_code == 404


def test_a_form_with_mistakes_keeps_what_was_typed(as_coordinator, person, doctor):
    response = as_coordinator.post(
        url("circle_add_member", person),
        member_post(doctor, agreed_on=None, note="Vu avec Marie"),
    )
    form = response.context["member_form"]
    assert form.errors["agreed_on"] and "Vu avec Marie" in response.content.decode()
    assert not CircleMember.objects.exists()


def test_hostile_values_on_the_add_forms(as_coordinator, person, sister):
    from tests.core.test_hostile_input import HOSTILE, MARKUP

    failures = []
    for name, prefix, fields in (
        ("circle_add_member", "member", ["member", "role", "agreed_on", "note"]),
        ("circle_add_directory", "directory", ["target", "role", "agreed_on", "note"]),
        ("circle_add_relation", "relation", ["relation", "role", "agreed_on", "note"]),
    ):
        for value in HOSTILE:
            response = as_coordinator.post(
                url(name, person), {f"{prefix}-{field}": value for field in fields}
            )
            body = response.content.decode(errors="replace")
            if response.status_code >= 500 or (value == MARKUP and MARKUP in body):
                failures.append((name, repr(value[:10])))
    assert failures == []
    assert not CircleMember.objects.exists()
