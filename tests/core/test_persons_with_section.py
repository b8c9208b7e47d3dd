"""Dashboards filter persons with ``persons_with_section``: it must say exactly what
``record_access`` says, person by person, for every role and every kind of choice."""

from __future__ import annotations

import pytest

from maillage.core.access import persons_with_section, record_access, section_readable
from maillage.core.roles import Role, Section
from maillage.people.models import Relation
from maillage.record.actions import do_add_to_care_team, do_record_choice
from tests.conftest import make_member

ROLES = [Role.COORDINATOR, Role.GP, Role.RECEPTION, Role.INTERPRETER, Role.PARTNER, Role.ADMIN]


@pytest.fixture
def situation(centre, reception, make_person, person_user):
    members = {role: make_member(centre, f"m-{role}", role) for role in ROLES}
    persons = [make_person(birth_name=f"NOM{i}", given_names="Test") for i in range(6)]
    refused_role, refused_member, granted, granted_refused, followed = persons[1:]
    user = person_user
    do_record_choice(
        refused_role, kind="refuse", section=Section.COORDINATION, role=Role.COORDINATOR,
        user=user,
    )  # fmt: skip
    do_record_choice(
        refused_member, kind="refuse", section=Section.COORDINATION,
        member=members[Role.GP], user=user,
    )  # fmt: skip
    for role in (Role.PARTNER, Role.RECEPTION):
        do_record_choice(
            granted, kind="grant", section=Section.COORDINATION, member=members[role], user=user
        )
    do_record_choice(
        granted_refused, kind="grant", section=Section.COORDINATION,
        member=members[Role.PARTNER], user=user,
    )  # fmt: skip
    do_record_choice(
        granted_refused, kind="refuse", section=Section.COORDINATION,
        member=members[Role.PARTNER], user=user,
    )  # fmt: skip
    do_add_to_care_team(reception, followed, members[Role.GP])
    return members


def expected(member, persons, section):
    found = set()
    for person in persons:
        access = record_access(member, person)
        if access is not None and access.can_read(section):
            found.add(person.pk)
    return found


@pytest.mark.parametrize("whole_structure", [True, False])
@pytest.mark.parametrize("section", [Section.COORDINATION, Section.CLINICAL])
def test_the_list_says_what_the_record_says(centre, reception, situation, whole_structure, section):
    from maillage.people.models import Person

    centre.is_care_team = whole_structure
    centre.save(update_fields=["is_care_team"])
    persons = list(Person.objects.filter(structure=centre).select_related("structure"))
    for someone in persons:
        Relation.objects.create(person=someone, kind="friend", name="Ami", created_by=reception)
    with_relations = {p.pk for p in persons}
    for member in situation.values():
        member.refresh_from_db()
        found = set(persons_with_section(member, section).values_list("pk", flat=True))
        assert found == expected(member, persons, section), member.role
        # The same rule on rows that point to a person (here: their relations).
        rows = Relation.objects.filter(section_readable(member, section, via="person"))
        assert set(rows.values_list("person_id", flat=True)) == found & with_relations


def test_a_member_of_another_structure_sees_nobody(other_member, person):
    assert not persons_with_section(other_member, Section.COORDINATION).exists()
