"""Reads of the circle of care: only through the record's access (coordination section),
or through the person's own space."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from maillage.coordination.models import CircleMember
from maillage.core.access import RecordAccess
from maillage.core.roles import Role, Section
from maillage.people.models import Person, Relation
from maillage.record.models import SharingChoice


@dataclass
class Circle:
    """The current circle, by kind: the team, external partners with an account,
    professionals and services of the directory, the person's entourage."""

    team: list[CircleMember] = field(default_factory=list)
    partners: list[CircleMember] = field(default_factory=list)
    directory: list[CircleMember] = field(default_factory=list)
    entourage: list[CircleMember] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.team or self.partners or self.directory or self.entourage)


def _rows(structure_id: int, person: Person) -> QuerySet[CircleMember]:
    return (
        CircleMember.objects.filter(
            structure_id=structure_id, person_id=person.pk, ended_at__isnull=True
        )
        .select_related(
            "member__user",
            "professional",
            "service__organisation",
            "relation",
            "added_by__user",
        )
        .order_by("added_at", "pk")
    )


def _grouped(rows: QuerySet[CircleMember]) -> Circle:
    circle = Circle()
    for row in rows:
        if row.member is not None:
            (circle.partners if row.member.role == Role.PARTNER else circle.team).append(row)
        elif row.relation is not None:
            circle.entourage.append(row)
        else:
            circle.directory.append(row)
    return circle


def circle_for(access: RecordAccess) -> Circle:
    """The person's current circle, if the member reads the coordination section."""
    if not access.can_read(Section.COORDINATION):
        return Circle()
    return _grouped(_rows(access.member.structure_id, access.person))


def circle_of_person(person: Person) -> Circle:
    """The person's current circle in their structure, for their own space."""
    return _grouped(_rows(person.structure_id, person))


def circle_row(access: RecordAccess, circle_pk: int) -> CircleMember | None:
    if not access.can_read(Section.COORDINATION):
        return None
    return _rows(access.member.structure_id, access.person).filter(pk=circle_pk).first()


def granted_sections(person: Person, member_ids: list[int]) -> dict[int, list[str]]:
    """For each member, the sections of the record the person's current choices open to
    them by name (a grant not refused to that same member), in the order of the sections."""
    if not member_ids:
        return {}
    granted: dict[int, set[str]] = {pk: set() for pk in member_ids}
    refused: dict[int, set[str]] = {pk: set() for pk in member_ids}
    choices = SharingChoice.objects.current().filter(person=person, member_id__in=member_ids)
    for kind, section, member_id in choices.values_list("kind", "section", "member_id"):
        (granted if kind == "grant" else refused)[member_id].add(section)
    return {
        pk: [str(label) for value, label in Section.choices if value in granted[pk] - refused[pk]]
        for pk in member_ids
    }


def current_relations(person: Person) -> QuerySet[Relation]:
    return person.relations.filter(ended_at__isnull=True).order_by("name", "pk")
