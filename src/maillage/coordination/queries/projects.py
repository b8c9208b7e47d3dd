"""Reads of the person's health project: only through the record's access (coordination
section), or through the person's own space.

The project's state is one plain dict (``project_state``): the project page renders it,
and a review point stores it as its ``snapshot`` so that each version renders the same
way later, with labels translated at reading time.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from maillage.coordination.models import (
    Agreement,
    Goal,
    GoalStatus,
    HealthProject,
    Need,
    NeedDomain,
    OwnerKind,
    Problematique,
    ProjectAction,
    ProjectStatus,
    ProposedBy,
    ReviewPoint,
    WorkStatus,
)
from maillage.core.access import RecordAccess, section_readable
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.models import Person
from maillage.people.queries import record_ids

SECTION = Section.COORDINATION


def projects_for(access: RecordAccess) -> QuerySet[HealthProject]:
    """The person's projects in the member's structure, if they read coordination."""
    if not access.can_read(SECTION):
        return HealthProject.objects.none()
    return HealthProject.objects.filter(
        structure_id=access.member.structure_id, person_id__in=record_ids(access.person)
    ).order_by("-opened_at", "-pk")


def living_project_for(access: RecordAccess) -> HealthProject | None:
    if not access.can_read(SECTION):
        return None
    return HealthProject.objects.filter(
        structure_id=access.member.structure_id,
        person_id=access.person.pk,
        status=ProjectStatus.OPEN,
    ).first()


def living_project_of_person(person: Person) -> HealthProject | None:
    """The person's living project in their structure, for their own space."""
    return HealthProject.objects.filter(
        structure_id=person.structure_id, person_id=person.pk, status=ProjectStatus.OPEN
    ).first()


def reviews_of(project: HealthProject) -> QuerySet[ReviewPoint]:
    return project.reviews.select_related("written_by__user").order_by("-held_on", "-pk")


# --- Team home --------------------------------------------------------------------------


def _past_review(member: Member, readable: Q | None = None) -> QuerySet[HealthProject]:
    if readable is None:
        readable = section_readable(member, SECTION, via="person")
    today = timezone.localdate()
    return HealthProject.objects.filter(
        structure_id=member.structure_id,
        status=ProjectStatus.OPEN,
        next_review_on__lt=today,
    ).filter(readable)


def projects_past_review(
    member: Member, limit: int = 10, readable: Q | None = None
) -> list[HealthProject]:
    """Living projects whose review date has passed, oldest first, among the persons whose
    coordination section the member reads (one query)."""
    return list(
        _past_review(member, readable)
        .select_related("person")
        .order_by("next_review_on", "pk")[:limit]
    )


def past_review_count(member: Member, readable: Q | None = None) -> int:
    return _past_review(member, readable).count()


# --- The project's state, now or as a review point kept it ------------------------------


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(member: Member | None) -> str:
    return member.display_name if member is not None else ""


def project_state(project: HealthProject) -> dict[str, Any]:
    """The whole project as plain values (JSON): problématiques with both texts, needs,
    goals with their status, the person's agreement and view, actions with their owner,
    status and due date. Five queries."""
    problematiques = Problematique.objects.filter(project=project).select_related(
        "written_by__user"
    )
    needs = Need.objects.filter(project=project).select_related("written_by__user")
    goals = Goal.objects.filter(project=project).select_related("written_by__user")
    actions = ProjectAction.objects.filter(project=project).select_related(
        "owner_member__user", "written_by__user"
    )
    return {
        "project_id": project.pk,
        "status": project.status,
        "next_review_on": _iso(project.next_review_on),
        "opened_at": _iso(project.opened_at),
        "taken_at": _iso(timezone.now()),
        "problematiques": [
            {
                "id": p.pk,
                "title": p.title,
                "understanding": p.understanding,
                "written_by": _name(p.written_by),
                "written_at": _iso(p.written_at),
                "person_words": p.person_words,
                "person_words_at": _iso(p.person_words_at),
                "person_words_by_self": p.person_words_by_self,
                "ended_at": _iso(p.ended_at),
            }
            for p in problematiques
        ],
        "needs": [
            {
                "id": n.pk,
                "domain": n.domain,
                "description": n.description,
                "met_at": _iso(n.met_at),
                "written_by": _name(n.written_by),
                "written_at": _iso(n.written_at),
            }
            for n in needs
        ],
        "goals": [
            {
                "id": g.pk,
                "words": g.words,
                "problematique_id": g.problematique_id,
                "proposed_by": g.proposed_by,
                "proposed_by_name": g.proposed_by_name,
                "agreement": g.agreement,
                "agreement_at": _iso(g.agreement_at),
                "person_view": g.person_view,
                "person_view_at": _iso(g.person_view_at),
                "review_on": _iso(g.review_on),
                "status": g.status,
                "status_note": g.status_note,
                "replaced_by_id": g.replaced_by_id,
                "written_by": _name(g.written_by),
                "written_at": _iso(g.written_at),
            }
            for g in goals
        ],
        "actions": [
            {
                "id": a.pk,
                "description": a.description,
                "goal_id": a.goal_id,
                "owner_kind": a.owner_kind,
                "owner": _name(a.owner_member) or a.owner_name,
                "due_on": _iso(a.due_on),
                "status": a.status,
                "done_note": a.done_note,
                "written_by": _name(a.written_by),
            }
            for a in actions
        ],
    }


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _datetime(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _rows(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = state.get(key)
    return [dict(row) for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def readable_state(state: dict[str, Any]) -> dict[str, Any]:
    """The state made ready for a template: dates as dates, codes as translated words,
    the goals and actions grouped under what they are about. Tolerates a snapshot written
    by an older version (missing keys read as empty)."""
    today = timezone.localdate()
    problematiques = _rows(state, "problematiques")
    for p in problematiques:
        p["written_at"] = _datetime(p.get("written_at"))
        p["person_words_at"] = _datetime(p.get("person_words_at"))
        p["ended_at"] = _datetime(p.get("ended_at"))
    needs = _rows(state, "needs")
    for n in needs:
        n["domain_label"] = _label(NeedDomain, n.get("domain"))
        n["met_at"] = _datetime(n.get("met_at"))
    titles = {p.get("id"): p.get("title", "") for p in problematiques}
    actions = _rows(state, "actions")
    for a in actions:
        a["owner_kind_label"] = _label(OwnerKind, a.get("owner_kind"))
        a["status_label"] = _label(WorkStatus, a.get("status"))
        a["due_on"] = _date(a.get("due_on"))
        a["is_open"] = a.get("status") == flow.OPEN
        a["overdue"] = a["is_open"] and flow.is_past(a["due_on"], today)
    goals = _rows(state, "goals")
    words = {g.get("id"): g.get("words", "") for g in goals}
    for g in goals:
        g["problematique_title"] = titles.get(g.get("problematique_id"), "")
        g["proposed_by_label"] = _label(ProposedBy, g.get("proposed_by"))
        g["agreement_label"] = _label(Agreement, g.get("agreement") or "")
        g["agreement_at"] = _datetime(g.get("agreement_at"))
        g["person_view_at"] = _datetime(g.get("person_view_at"))
        g["review_on"] = _date(g.get("review_on"))
        g["status_label"] = _label(GoalStatus, g.get("status"))
        g["in_progress"] = g.get("status") == flow.IN_PROGRESS
        g["replaced_by_words"] = words.get(g.get("replaced_by_id"), "")
        g["actions"] = [a for a in actions if a.get("goal_id") == g.get("id")]
    next_review_on = _date(state.get("next_review_on"))
    return {
        "project_id": state.get("project_id"),
        "next_review_on": next_review_on,
        "review_past": flow.is_past(next_review_on, today),
        "taken_at": _datetime(state.get("taken_at")),
        "problematiques": [p for p in problematiques if p["ended_at"] is None],
        "ended_problematiques": [p for p in problematiques if p["ended_at"] is not None],
        "needs": [n for n in needs if n["met_at"] is None],
        "met_needs": [n for n in needs if n["met_at"] is not None],
        "goals": [g for g in goals if g["in_progress"]],
        "other_goals": [g for g in goals if not g["in_progress"]],
        "loose_actions": [a for a in actions if a.get("goal_id") not in words],
    }
