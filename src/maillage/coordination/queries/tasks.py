"""Reads of tasks: the structure's, minus those linked to a person whose coordination
section the member does not read. Lists load in a bounded number of queries."""

from __future__ import annotations

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from maillage.coordination.models import AgendaItem, Task
from maillage.core.access import can, persons_with_section, section_readable
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.lib.coordination import OPEN

SECTION = Section.COORDINATION


def visible_tasks(member: Member, readable: Q | None = None) -> QuerySet[Task]:
    """The tasks of the member's structure they may see in a list: one linked to a person
    only when the member reads that person's coordination section (``readable``, when a
    page already holds that condition)."""
    if not can(member, "view_tasks", member.structure):
        return Task.objects.none()
    if readable is None:
        readable = section_readable(member, SECTION, via="person")
    return Task.objects.filter(structure_id=member.structure_id).filter(
        Q(person__isnull=True) | readable
    )


def listed(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """With what a list shows of each task: its person and referral in the same query;
    the referral's receiver, the meeting a decision came from and the assignees in at
    most four more, made only when a task of the page has one (a join of every table in
    one query takes longer to plan than these take to run). The nearest due date first,
    tasks without one last."""
    members = Member.objects.select_related("user")
    return (
        tasks.select_related("person", "referral")
        .prefetch_related(
            Prefetch("referral__to_member", queryset=members),
            "referral__to_service",
            "referral__to_professional",
            Prefetch("meeting_item", queryset=AgendaItem.objects.select_related("meeting")),
            Prefetch(
                "assignees",
                queryset=members.order_by("user__last_name", "user__first_name", "pk"),
            ),
        )
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )


def my_tasks(member: Member, readable: Q | None = None) -> QuerySet[Task]:
    """Open tasks assigned to the member."""
    return visible_tasks(member, readable).filter(assignees=member, status=OPEN)


def team_tasks(member: Member) -> QuerySet[Task]:
    """Every open task of the structure, for those who may see the team's tasks."""
    if not can(member, "view_team_tasks", member.structure):
        return Task.objects.none()
    return visible_tasks(member).filter(status=OPEN)


def overdue_tasks(member: Member) -> QuerySet[Task]:
    """Open tasks whose due date has passed: the team's for those who see them, the
    member's own otherwise."""
    if can(member, "view_team_tasks", member.structure):
        tasks = team_tasks(member)
    else:
        tasks = my_tasks(member)
    return tasks.filter(due_on__lt=timezone.localdate())


def my_open_tasks(member: Member, limit: int = 8, readable: Q | None = None) -> list[Task]:
    """For the team home: the member's open tasks, the nearest due date first."""
    return list(listed(my_tasks(member, readable))[:limit])


def overdue_count(member: Member, readable: Q | None = None) -> int:
    """For the team home: how many of the member's own open tasks are overdue. Their
    tasks are taken from the assignments first: a member has far fewer than the team has
    overdue."""
    mine = Task.assignees.through.objects.filter(member=member).values("task_id")
    return (
        visible_tasks(member, readable)
        .filter(pk__in=mine, status=OPEN, due_on__lt=timezone.localdate())
        .count()
    )


def may_see_task(member: Member, task: Task) -> bool:
    """An assignee, or a member who sees the team's tasks; and, for a task linked to a
    person, only who reads that person's coordination section."""
    structure = member.structure
    if task.structure_id != member.structure_id or not can(member, "view_tasks", structure):
        return False
    if not (
        can(member, "view_team_tasks", structure) or task.assignees.filter(pk=member.pk).exists()
    ):
        return False
    return task.person_id is None or (
        persons_with_section(member, SECTION).filter(pk=task.person_id).exists()
    )
