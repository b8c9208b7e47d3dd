"""Every combination of role × section × care-team membership × the person's choice ×
emergency access, checked against the rules documented in docs/access-matrix.md and
against ``core.access.record_access`` on real records (so the document, the pure rule and
the queries that feed it cannot drift apart)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.core.access import record_access, section_rights
from maillage.core.models import Member, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.models import Person
from maillage.record.models import BreakGlass, CareTeamMember, SharingChoice
from tests.core.test_access_matrix import DOC, documented_matrix

CHOICES = ("none", "refuse_role", "refuse_member", "grant")


def documented_rules() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("| situation | right |", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        situation, right = (c.strip() for c in line.strip().strip("|").split("|"))
        rows.append((situation, right))
    return rows


# What each documented situation means, as a predicate on one case.
SITUATIONS = {
    "outside the care team, no emergency access": lambda c: not c["team"] and not c["glass"],
    "in the care team, or emergency access open": lambda c: c["team"] or c["glass"],
    "section refused to the member's role, no emergency access": lambda c: (
        c["choice"] == "refuse_role" and not c["glass"]
    ),
    "section granted to the member by name, and the right so far is none": lambda c: (
        c["choice"] == "grant" and c["right"] == ""
    ),
    "section refused to the member by name, no emergency access": lambda c: (
        c["choice"] == "refuse_member" and not c["glass"]
    ),
}


def expected_right(role: str, section: str, team: bool, choice: str, glass: bool) -> str:
    default = documented_matrix()[role][section]
    case = {"team": team, "choice": choice, "glass": glass, "right": ""}
    for situation, right in documented_rules():
        if SITUATIONS[situation](case):
            case["right"] = {"none": "", "read": "r", "default": default}[right]
    return str(case["right"])


def test_every_documented_situation_is_understood():
    assert [s for s, _right in documented_rules()] == list(SITUATIONS)


@pytest.mark.parametrize(
    ("role", "team", "choice", "glass"),
    list(itertools.product([r.value for r in Role], [False, True], CHOICES, [False, True])),
)
def test_the_pure_rule_matches_the_document(role, team, choice, glass):
    for section in Section.values:
        rights = section_rights(
            role,
            in_care_team=team,
            break_glass=glass,
            refused_to_role={section} if choice == "refuse_role" else set(),
            refused_to_member={section} if choice == "refuse_member" else set(),
            granted={section} if choice == "grant" else set(),
        )
        assert rights[section] == expected_right(role, section, team, choice, glass), section


@pytest.mark.django_db
@pytest.mark.parametrize(("choice", "glass"), list(itertools.product(CHOICES, [False, True])))
def test_record_access_matches_the_document_on_real_records(choice, glass):
    """Every role, in and out of the care team, with the choice recorded for every section."""
    site = Structure.objects.create(name="Site", kind=StructureKind.COORDINATION)
    recorder = User.objects.create_user(username="recorder")
    for index, (role, team) in enumerate(itertools.product(Role, [False, True])):
        user = User.objects.create_user(username=f"u{index}")
        member = Member.objects.create(user=user, structure=site, role=role, profession="autre")
        person = Person.objects.create(structure=site, birth_name=f"P{index}", sex="F")
        if team:
            CareTeamMember.objects.create(
                person=person, member=member, source="added", added_by=member
            )
        for section in Section.values:
            if choice == "refuse_role":
                SharingChoice.objects.create(
                    person=person,
                    kind="refuse",
                    section=section,
                    role=role,
                    recorded_by_user=recorder,
                )
            elif choice in {"refuse_member", "grant"}:
                SharingChoice.objects.create(
                    person=person,
                    kind="refuse" if choice == "refuse_member" else "grant",
                    section=section,
                    member=member,
                    recorded_by_user=recorder,
                )
        if glass:
            BreakGlass.objects.create(
                person=person,
                member=member,
                reason="urgence vitale",
                expires_at=timezone.now() + timedelta(hours=1),
            )
        access = record_access(member, person)
        if role == Role.NETWORK_OBSERVER:
            assert access is None
            continue
        assert access is not None
        for section in Section.values:
            assert access.rights[section] == expected_right(role, section, team, choice, glass), (
                role,
                section,
                team,
            )


@pytest.mark.django_db
def test_a_withdrawn_choice_or_an_expired_emergency_no_longer_counts(centre):
    recorder = User.objects.create_user(username="recorder")
    user = User.objects.create_user(username="r")
    member = Member.objects.create(user=user, structure=centre, role=Role.RECEPTION, profession="x")
    person = Person.objects.create(structure=centre, birth_name="P", sex="F")
    choice = SharingChoice.objects.create(
        person=person,
        kind="refuse",
        section=Section.ADMINISTRATIVE,
        role=Role.RECEPTION,
        recorded_by_user=recorder,
    )
    assert not record_access(member, person).can_read(Section.ADMINISTRATIVE)
    SharingChoice.objects.filter(pk=choice.pk).update(withdrawn_at=timezone.now())
    assert record_access(member, person).can_write(Section.ADMINISTRATIVE)
    gp = Member.objects.create(
        user=User.objects.create_user(username="g"),
        structure=Structure.objects.create(name="S", kind=StructureKind.COORDINATION),
        role=Role.GP,
        profession="x",
    )
    other = Person.objects.create(structure=gp.structure, birth_name="Q", sex="M")
    BreakGlass.objects.create(
        person=other, member=gp, reason="old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert not record_access(gp, other).readable
