"""Writes of the circle of care (the « communauté » around the person's situation):
atomic, checked against the record's access (coordination section), audited.

Being in the circle opens nothing by itself. A member of the team may also be added to
the care team, by who may change it; an external partner reads only what the person's
own sharing choices grant them."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from maillage.coordination.models import CircleMember, CircleRole
from maillage.core.access import RecordAccess, can_manage_care_team
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.people.models import Relation
from maillage.record.actions import do_add_to_care_team
from maillage.territory.models import Professional, Service

A = AccessEvent.Action
SECTION = Section.COORDINATION

# Members who never join a care team (as in ``record.actions._join_care_team``).
NOT_IN_CARE_TEAM = frozenset({Role.INTERPRETER, Role.PARTNER, Role.NETWORK_OBSERVER})


class AlreadyInCircle(ValueError):
    """The same member, entry of the directory or relation is in the circle already."""


def _require_write(access: RecordAccess) -> None:
    if not access.can_write(SECTION):
        raise PermissionDenied("no write right on coordination")


@transaction.atomic
def do_add_to_circle(
    access: RecordAccess,
    *,
    role: str,
    agreed_on: datetime.date,
    member: Member | None = None,
    professional: Professional | None = None,
    service: Service | None = None,
    relation: Relation | None = None,
    note: str = "",
) -> tuple[CircleMember, bool]:
    """Add someone to the person's circle, with the date the person agreed to it. Returns
    the row and whether the care team changed: a member of the team (not a partner) joins
    it too when the actor may change the care team (referent when their role in the
    circle is referent)."""
    _require_write(access)
    person = access.person
    structure_id = access.member.structure_id
    if sum(x is not None for x in (member, professional, service, relation)) != 1:
        raise ValueError("one member of the circle")
    if role not in CircleRole.values:
        raise ValueError("role")
    if agreed_on > timezone.localdate():
        raise ValueError("agreed_on in the future")
    if member is not None and (
        member.structure_id != structure_id
        or not member.is_active
        or member.role == Role.NETWORK_OBSERVER
    ):
        raise PermissionDenied("a member of the structure")
    for entry in (professional, service):
        if entry is not None and entry.owner_id != structure_id:
            raise PermissionDenied("another structure's directory")
    if relation is not None and (relation.person_id != person.pk or relation.ended_at is not None):
        raise PermissionDenied("a current relation of the person")
    same = CircleMember.objects.filter(
        structure_id=structure_id,
        person_id=person.pk,
        ended_at__isnull=True,
        member=member,
        professional=professional,
        service=service,
        relation=relation,
    )
    if same.exists():
        raise AlreadyInCircle("already")
    row = CircleMember.objects.create(
        structure_id=structure_id,
        person=person,
        member=member,
        professional=professional,
        service=service,
        relation=relation,
        role=role,
        agreed_on=agreed_on,
        note=note.strip(),
        added_by=access.member,
    )
    log_event(
        action=A.CREATE,
        member=access.member,
        person=person,
        section=SECTION,
        obj=row,
        flagged=access.break_glass,
    )
    care_team_changed = False
    if (
        member is not None
        and member.role not in NOT_IN_CARE_TEAM
        and can_manage_care_team(access.member, person)
    ):
        do_add_to_care_team(access.member, person, member, referent=role == CircleRole.REFERENT)
        care_team_changed = True
    return row, care_team_changed


@transaction.atomic
def do_end_circle_member(access: RecordAccess, row: CircleMember) -> CircleMember:
    """Someone leaves the circle; the row stays, ended (the care team is not changed)."""
    _require_write(access)
    row = CircleMember.objects.select_for_update().get(pk=row.pk)
    if row.person_id != access.person.pk or row.structure_id != access.member.structure_id:
        raise PermissionDenied("another person's circle")
    if row.ended_at is not None:
        return row
    row.ended_at = timezone.now()
    row.ended_by = access.member
    row.save(update_fields=["ended_at", "ended_by"])
    log_event(
        action=A.UPDATE,
        member=access.member,
        person=access.person,
        section=SECTION,
        obj=row,
        reason="ended",
        flagged=access.break_glass,
    )
    return row
