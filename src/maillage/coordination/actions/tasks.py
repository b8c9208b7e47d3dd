"""Writes of tasks. A task linked to a person is a write in their coordination section,
and is audited as such."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from maillage.coordination.models import HealthProject, Referral, Task, TaskKind
from maillage.core.access import RecordAccess, can
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section

A = AccessEvent.Action
SECTION = Section.COORDINATION


@transaction.atomic
def do_create_task(
    author: Member,
    *,
    title: str,
    assignees: Iterable[Member],
    due_on: datetime.date | None = None,
    details: str = "",
    access: RecordAccess | None = None,
    project: HealthProject | None = None,
    referral: Referral | None = None,
    meeting_item_id: int | None = None,
    kind: str = TaskKind.MANUAL,
) -> Task:
    """A task for one or more members of the author's structure. A task about a person
    needs the author's access to their record (``access``), with the right to write in its
    coordination section."""
    if not can(author, "add_task", author.structure):
        raise PermissionDenied("add_task")
    people = list(assignees)
    if not people or any(m.structure_id != author.structure_id for m in people):
        raise PermissionDenied("assignees of the structure")
    person = None
    if access is not None:
        if access.member.pk != author.pk or not access.can_write(SECTION):
            raise PermissionDenied("no write right on coordination")
        person = access.person
    for linked in (project, referral):
        if linked is not None and (person is None or linked.person_id != person.pk):
            raise PermissionDenied("linked to another person")
    task = Task.objects.create(
        structure_id=author.structure_id,
        title=title.strip(),
        details=details.strip(),
        kind=kind,
        due_on=due_on,
        person=person,
        project=project,
        referral=referral,
        meeting_item_id=meeting_item_id,
        created_by=author,
    )
    task.assignees.set(people)
    log_event(
        action=A.CREATE, member=author, person=person, section=SECTION if person else "", obj=task
    )
    return task
