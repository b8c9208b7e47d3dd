"""Writes of tasks. A task linked to a person is a write in their coordination section,
and is audited as such."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_noop

from maillage.coordination.models import HealthProject, Referral, Task, TaskKind
from maillage.coordination.queries.tasks import may_see_task
from maillage.core.access import TEAM_ROLES, RecordAccess, can
from maillage.core.audit import _event, log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.lib import referrals as path
from maillage.lib.coordination import CANCELLED, DONE, OPEN, TransitionError, check_task

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


# --- Done, reopened, cancelled ---------------------------------------------------------


def _require_task(member: Member, task: Task) -> None:
    if not may_see_task(member, task):
        raise PermissionDenied("not a task the member sees")


def _log_update(member: Member, task: Task) -> None:
    log_event(
        action=A.UPDATE,
        member=member,
        person=task.person,
        section=SECTION if task.person_id is not None else "",
        obj=task,
    )


@transaction.atomic
def do_finish_task(member: Member, task: Task, *, note: str = "") -> Task:
    """The task is done, with a note on what was done."""
    _require_task(member, task)
    check_task(task.status, DONE)
    task.status = DONE
    task.done_note = note.strip()
    task.done_at = timezone.now()
    task.done_by = member
    task.save(update_fields=["status", "done_note", "done_at", "done_by"])
    _log_update(member, task)
    return task


@transaction.atomic
def do_cancel_task(member: Member, task: Task, *, note: str) -> Task:
    """The task will not be done: the note says why."""
    _require_task(member, task)
    check_task(task.status, CANCELLED)
    if not note.strip():
        raise TransitionError("reason_needed")
    task.status = CANCELLED
    task.done_note = note.strip()
    task.done_at = timezone.now()
    task.done_by = member
    task.save(update_fields=["status", "done_note", "done_at", "done_by"])
    _log_update(member, task)
    return task


@transaction.atomic
def do_reopen_task(member: Member, task: Task) -> Task:
    """A task marked done by mistake, or not quite done: open again. The note written when
    it was done stays, shown as such, until it is done again."""
    _require_task(member, task)
    check_task(task.status, OPEN)
    if task.kind == TaskKind.FOLLOW_UP and task.referral_id is not None:
        others = Task.objects.filter(
            referral_id=task.referral_id, kind=TaskKind.FOLLOW_UP, status=OPEN
        ).exclude(pk=task.pk)
        if others.exists():
            raise TransitionError("already_open")
    task.status = OPEN
    task.done_at = None
    task.done_by = None
    task.save(update_fields=["status", "done_at", "done_by"])
    _log_update(member, task)
    return task


# --- Follow-up of referrals without news -----------------------------------------------

# Stored on a follow-up task closed because news came; translated when shown.
NEWS_RECEIVED = gettext_noop("news received")
AUTOMATIC_NOTES = frozenset({NEWS_RECEIVED})


def _target_name(referral: Referral) -> str:
    if referral.to_service is not None:
        return referral.to_service.nom
    if referral.to_professional is not None:
        return referral.to_professional.name
    if referral.to_member is not None:
        return referral.to_member.display_name
    return ""


def _still_here(member: Member) -> bool:
    return member.is_active and member.user.is_active and member.role in TEAM_ROLES


@transaction.atomic
def create_follow_up_tasks(
    *, structure_id: int | None = None, now: datetime.datetime | None = None
) -> int:
    """A follow-up task, due today, for every referral waiting on someone else with no
    news for ``REFERRAL_OVERDUE_DAYS`` days and no open follow-up yet; assigned to who
    proposed the referral if they are still in the team, else to the structure's active
    coordinators. Idempotent; a bounded number of queries whatever the number of
    referrals. Returns how many tasks were created."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.REFERRAL_OVERDUE_DAYS)
    open_follow_up = Task.objects.filter(
        referral=OuterRef("pk"), kind=TaskKind.FOLLOW_UP, status=OPEN
    )
    referrals = Referral.objects.filter(status__in=path.WAITING, last_news_at__lte=cutoff).exclude(
        Exists(open_follow_up)
    )
    if structure_id is not None:
        referrals = referrals.filter(structure_id=structure_id)
    found = list(
        referrals.select_related(
            "person",
            "created_by__user",
            "to_member__user",
            "to_service",
            "to_professional",
        ).order_by("pk")
    )
    if not found:
        return 0
    coordinators: dict[int, list[Member]] = {}
    for coordinator in Member.objects.active().filter(
        structure_id__in={r.structure_id for r in found},
        role=Role.COORDINATOR,
        user__is_active=True,
    ):
        coordinators.setdefault(coordinator.structure_id, []).append(coordinator)
    today = timezone.localdate(now)
    tasks = [
        Task(
            structure_id=referral.structure_id,
            title=_target_name(referral)[:300],
            kind=TaskKind.FOLLOW_UP,
            due_on=today,
            person=referral.person,
            referral=referral,
            created_at=now,
        )
        for referral in found
    ]
    try:
        with transaction.atomic():
            Task.objects.bulk_create(tasks)
    except IntegrityError:
        # Another run (the daily command, another worker's team home) made them meanwhile.
        return 0
    Through = Task.assignees.through
    links = []
    for task, referral in zip(tasks, found, strict=True):
        if _still_here(referral.created_by):
            people = [referral.created_by]
        else:
            people = coordinators.get(referral.structure_id, [])
        links += [Through(task_id=task.pk, member_id=m.pk) for m in people]
    Through.objects.bulk_create(links)
    AccessEvent.objects.bulk_create(
        [
            _event(
                action=A.CREATE,
                member=None,
                user=None,
                person=task.person,
                section=SECTION,
                obj=task,
                reason="follow-up",
                flagged=False,
            )
            for task in tasks
        ]
    )
    return len(tasks)


def close_follow_up(access: RecordAccess, referral: Referral) -> None:
    """News of the referral came: its open follow-up task, if any, is done."""
    now = timezone.now()
    for task in Task.objects.filter(referral=referral, kind=TaskKind.FOLLOW_UP, status=OPEN):
        task.status = DONE
        task.done_note = NEWS_RECEIVED
        task.done_at = now
        task.done_by = access.member
        task.save(update_fields=["status", "done_note", "done_at", "done_by"])
        log_event(
            action=A.UPDATE, member=access.member, person=access.person, section=SECTION, obj=task
        )
