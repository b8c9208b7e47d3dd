"""Writes of the person's health project (coordination section): atomic, checked against
the record's access, audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from maillage.coordination.models import (
    Goal,
    HealthProject,
    OwnerKind,
    ProjectAction,
    ProjectStatus,
)
from maillage.core.access import RecordAccess
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section

A = AccessEvent.Action
SECTION = Section.COORDINATION


def require_write(access: RecordAccess) -> None:
    if not access.can_write(SECTION):
        raise PermissionDenied("no write right on coordination")


def require_project(access: RecordAccess, project: HealthProject) -> None:
    """The project is the person's, in the member's structure, and still living."""
    require_write(access)
    if (
        project.person_id != access.person.pk
        or project.structure_id != access.member.structure_id
        or project.status != ProjectStatus.OPEN
    ):
        raise PermissionDenied("not this person's living project")


def living_project(access: RecordAccess) -> HealthProject | None:
    return HealthProject.objects.filter(
        structure_id=access.member.structure_id,
        person_id=access.person.pk,
        status=ProjectStatus.OPEN,
    ).first()


@transaction.atomic
def do_open_project(
    access: RecordAccess, *, next_review_on: datetime.date | None = None
) -> HealthProject:
    """The person's living project in the member's structure, opened if there is none."""
    require_write(access)
    project = living_project(access)
    if project is not None:
        return project
    project = HealthProject.objects.create(
        structure_id=access.member.structure_id,
        person=access.person,
        next_review_on=next_review_on,
        opened_by=access.member,
    )
    log_event(
        action=A.CREATE, member=access.member, person=access.person, section=SECTION, obj=project
    )
    return project


@transaction.atomic
def do_add_action(
    access: RecordAccess,
    project: HealthProject,
    *,
    description: str,
    owner_kind: str,
    owner_member: Member | None = None,
    owner_name: str = "",
    due_on: datetime.date | None = None,
    goal: Goal | None = None,
    meeting_item_id: int | None = None,
) -> ProjectAction:
    """An action of the project, by a member of the team (``owner_member``) or by someone
    named (a partner, the person, a relative)."""
    require_project(access, project)
    if goal is not None and goal.project_id != project.pk:
        raise PermissionDenied("a goal of another project")
    if owner_kind == OwnerKind.MEMBER:
        if owner_member is None or owner_member.structure_id != project.structure_id:
            raise PermissionDenied("a member of the structure")
    else:
        owner_member = None
    action = ProjectAction.objects.create(
        project=project,
        goal=goal,
        description=description.strip(),
        owner_kind=owner_kind,
        owner_member=owner_member,
        owner_name=owner_name.strip(),
        due_on=due_on,
        meeting_item_id=meeting_item_id,
        written_by=access.member,
    )
    log_event(
        action=A.CREATE, member=access.member, person=access.person, section=SECTION, obj=action
    )
    return action
