"""Writes of the person's health project (coordination section): atomic, checked against
the record's access, audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from maillage.coordination.models import (
    Agreement,
    Goal,
    HealthProject,
    Need,
    NeedDomain,
    OwnerKind,
    Problematique,
    ProjectAction,
    ProjectStatus,
    ProposedBy,
    ReviewPoint,
)
from maillage.coordination.queries.projects import project_state
from maillage.core.access import RecordAccess, person_can_see_self
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member, User
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.models import Person

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
    _check_goal_of(project, goal)
    owner_member = _check_owner(project, owner_kind, owner_member)
    action = ProjectAction.objects.create(
        project=project,
        goal=goal,
        description=description.strip(),
        owner_kind=owner_kind,
        owner_member=owner_member,
        owner_name="" if owner_member is not None else owner_name.strip(),
        due_on=due_on,
        meeting_item_id=meeting_item_id,
        written_by=access.member,
    )
    _log(access, A.CREATE, action)
    return action


# --- Helpers ------------------------------------------------------------------------------


def _log(access: RecordAccess, action: str, obj: Any, reason: str = "") -> None:
    log_event(
        action=action,
        member=access.member,
        person=access.person,
        section=SECTION,
        obj=obj,
        reason=reason,
        flagged=access.break_glass,
    )


def _clean(text: str) -> str:
    return text.strip()


def _check_owner(
    project: HealthProject, owner_kind: str, owner_member: Member | None
) -> Member | None:
    if owner_kind not in OwnerKind.values:
        raise ValueError("owner_kind")
    if owner_kind != OwnerKind.MEMBER:
        return None
    if (
        owner_member is None
        or owner_member.structure_id != project.structure_id
        or not owner_member.is_active
    ):
        raise PermissionDenied("a member of the structure")
    return owner_member


def _check_goal_of(project: HealthProject, goal: Goal | None) -> None:
    if goal is not None and goal.project_id != project.pk:
        raise PermissionDenied("a goal of another project")


def _check_problematique_of(project: HealthProject, problematique: Problematique | None) -> None:
    if problematique is not None and problematique.project_id != project.pk:
        raise PermissionDenied("a problématique of another project")


# --- The project itself -------------------------------------------------------------------


@transaction.atomic
def do_close_project(access: RecordAccess, project: HealthProject, *, reason: str) -> None:
    """Close the living project with a reason; a new one may be opened later."""
    require_project(access, project)
    if not _clean(reason):
        raise ValueError("reason_needed")
    project.status = ProjectStatus.CLOSED
    project.closed_at = timezone.now()
    project.closed_by = access.member
    project.closing_reason = _clean(reason)
    project.save(update_fields=["status", "closed_at", "closed_by", "closing_reason"])
    _log(access, A.UPDATE, project, reason="closed")


# --- Problématiques -----------------------------------------------------------------------


@transaction.atomic
def do_add_problematique(
    access: RecordAccess,
    project: HealthProject,
    *,
    title: str,
    understanding: str = "",
    person_words: str = "",
) -> Problematique:
    """A problématique as understood together; ``person_words`` are the person's own
    words, written here by the member on their behalf."""
    require_project(access, project)
    now = timezone.now()
    words = _clean(person_words)
    problematique = Problematique.objects.create(
        project=project,
        title=_clean(title),
        understanding=_clean(understanding),
        written_by=access.member,
        written_at=now,
        person_words=words,
        person_words_at=now if words else None,
        person_words_by_self=False,
    )
    _log(access, A.CREATE, problematique)
    return problematique


@transaction.atomic
def do_edit_problematique(
    access: RecordAccess,
    problematique: Problematique,
    *,
    title: str,
    understanding: str,
    person_words: str,
    ended: bool,
) -> Problematique:
    """Rewrite a problématique, or mark it no longer relevant (``ended``; unticking takes it
    up again). Words the person wrote themself from their space stay theirs."""
    problematique = Problematique.objects.select_for_update().get(pk=problematique.pk)
    require_project(access, problematique.project)
    now = timezone.now()
    fields: list[str] = []
    if (_clean(title), _clean(understanding)) != (
        problematique.title,
        problematique.understanding,
    ):
        problematique.title = _clean(title)
        problematique.understanding = _clean(understanding)
        problematique.written_by = access.member
        problematique.written_at = now
        fields += ["title", "understanding", "written_by", "written_at"]
    words = _clean(person_words)
    if words != problematique.person_words:
        if problematique.person_words_by_self:
            raise PermissionDenied("the person's own words")
        problematique.person_words = words
        problematique.person_words_at = now if words else None
        fields += ["person_words", "person_words_at"]
    if ended != (problematique.ended_at is not None):
        problematique.ended_at = now if ended else None
        fields.append("ended_at")
    if fields:
        problematique.save(update_fields=fields)
        _log(access, A.UPDATE, problematique, reason="ended" if "ended_at" in fields else "")
    return problematique


# --- Needs --------------------------------------------------------------------------------


@transaction.atomic
def do_add_need(
    access: RecordAccess, project: HealthProject, *, domain: str, description: str
) -> Need:
    require_project(access, project)
    if domain not in NeedDomain.values:
        raise ValueError("domain")
    need = Need.objects.create(
        project=project, domain=domain, description=_clean(description), written_by=access.member
    )
    _log(access, A.CREATE, need)
    return need


@transaction.atomic
def do_edit_need(
    access: RecordAccess, need: Need, *, domain: str, description: str, met: bool
) -> Need:
    """Rewrite a need, or mark it met (unticking says it is not met after all)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    require_project(access, need.project)
    if domain not in NeedDomain.values:
        raise ValueError("domain")
    need.domain = domain
    need.description = _clean(description)
    if met != (need.met_at is not None):
        need.met_at = timezone.now() if met else None
    need.save(update_fields=["domain", "description", "met_at"])
    _log(access, A.UPDATE, need)
    return need


# --- Goals --------------------------------------------------------------------------------


def _set_person_side(
    goal: Goal, agreement: str, person_view: str, now: datetime.datetime
) -> list[str]:
    """The person's agreement and view, dated when they change."""
    if agreement not in Agreement.values:
        raise ValueError("agreement")
    fields: list[str] = []
    if agreement != goal.agreement:
        goal.agreement = agreement
        goal.agreement_at = now if agreement else None
        fields += ["agreement", "agreement_at"]
    view = _clean(person_view)
    if view != goal.person_view:
        goal.person_view = view
        goal.person_view_at = now if view else None
        fields += ["person_view", "person_view_at"]
    return fields


@transaction.atomic
def do_add_goal(
    access: RecordAccess,
    project: HealthProject,
    *,
    words: str,
    problematique: Problematique | None = None,
    proposed_by: str = ProposedBy.PERSON,
    proposed_by_name: str = "",
    agreement: str = Agreement.NOT_ASKED,
    person_view: str = "",
    review_on: datetime.date | None = None,
) -> Goal:
    """A goal in the person's words; their agreement and view, when the member writes
    them down on their behalf."""
    require_project(access, project)
    _check_problematique_of(project, problematique)
    if proposed_by not in ProposedBy.values:
        raise ValueError("proposed_by")
    goal = Goal(
        project=project,
        problematique=problematique,
        words=_clean(words),
        proposed_by=proposed_by,
        proposed_by_name=_clean(proposed_by_name),
        review_on=review_on,
        written_by=access.member,
    )
    _set_person_side(goal, agreement, person_view, timezone.now())
    goal.save()
    _log(access, A.CREATE, goal)
    return goal


@transaction.atomic
def do_edit_goal(
    access: RecordAccess,
    goal: Goal,
    *,
    words: str,
    problematique: Problematique | None,
    proposed_by: str,
    proposed_by_name: str,
    agreement: str,
    person_view: str,
    review_on: datetime.date | None,
) -> Goal:
    """Rewrite a goal in progress (a goal that ended changes only by its status)."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    project = goal.project
    require_project(access, project)
    if goal.status != flow.IN_PROGRESS:
        raise PermissionDenied("only a goal in progress is rewritten")
    _check_problematique_of(project, problematique)
    if proposed_by not in ProposedBy.values:
        raise ValueError("proposed_by")
    goal.words = _clean(words)
    goal.problematique = problematique
    goal.proposed_by = proposed_by
    goal.proposed_by_name = _clean(proposed_by_name)
    goal.review_on = review_on
    fields = ["words", "problematique", "proposed_by", "proposed_by_name", "review_on"]
    fields += _set_person_side(goal, agreement, person_view, timezone.now())
    goal.save(update_fields=fields)
    _log(access, A.UPDATE, goal)
    return goal


@transaction.atomic
def do_goal_status(
    access: RecordAccess, goal: Goal, status: str, *, note: str = "", new_words: str = ""
) -> Goal:
    """Move a goal on (``lib/coordination.check_goal``): reached, abandoned (say why),
    changed (say why, and give the new wording: a new goal replaces it, its open actions
    follow), or taken up again. Returns the goal that is now current."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    project = goal.project
    require_project(access, project)
    flow.check_goal(goal.status, status, note=note)
    if status == flow.CHANGED and not _clean(new_words):
        raise flow.TransitionError("words_needed")
    goal.status = status
    goal.status_note = _clean(note)
    fields = ["status", "status_note"]
    current = goal
    if status == flow.CHANGED:
        current = Goal.objects.create(
            project=project,
            problematique=goal.problematique,
            words=_clean(new_words),
            proposed_by=goal.proposed_by,
            proposed_by_name=goal.proposed_by_name,
            review_on=goal.review_on,
            written_by=access.member,
        )
        _log(access, A.CREATE, current)
        goal.replaced_by = current
        fields.append("replaced_by")
        ProjectAction.objects.filter(goal=goal, status=flow.OPEN).update(goal=current)
    goal.save(update_fields=fields)
    _log(access, A.UPDATE, goal, reason=status)
    return current


# --- Actions ------------------------------------------------------------------------------


@transaction.atomic
def do_edit_action(
    access: RecordAccess,
    action: ProjectAction,
    *,
    description: str,
    owner_kind: str,
    owner_member: Member | None = None,
    owner_name: str = "",
    due_on: datetime.date | None = None,
    goal: Goal | None = None,
) -> ProjectAction:
    action = ProjectAction.objects.select_for_update().get(pk=action.pk)
    project = action.project
    require_project(access, project)
    _check_goal_of(project, goal)
    action.owner_member = _check_owner(project, owner_kind, owner_member)
    action.owner_kind = owner_kind
    action.owner_name = "" if action.owner_member is not None else _clean(owner_name)
    action.description = _clean(description)
    action.due_on = due_on
    action.goal = goal
    action.save(
        update_fields=["description", "owner_kind", "owner_member", "owner_name", "due_on", "goal"]
    )
    _log(access, A.UPDATE, action)
    return action


@transaction.atomic
def do_action_status(
    access: RecordAccess, action: ProjectAction, status: str, *, note: str = ""
) -> ProjectAction:
    """Done (with a note if wanted), cancelled, or to do again (``check_task``)."""
    action = ProjectAction.objects.select_for_update().get(pk=action.pk)
    require_project(access, action.project)
    flow.check_task(action.status, status)
    action.status = status
    action.done_at = timezone.now() if status != flow.OPEN else None
    if _clean(note) or status == flow.OPEN:
        action.done_note = _clean(note)
    action.save(update_fields=["status", "done_at", "done_note"])
    _log(access, A.UPDATE, action, reason=status)
    return action


# --- Review points ------------------------------------------------------------------------


@transaction.atomic
def do_add_review(
    access: RecordAccess,
    project: HealthProject,
    *,
    held_on: datetime.date,
    summary: str,
    who_was_there: str = "",
    person_present: bool = True,
    what_changed: str = "",
    next_review_on: datetime.date | None = None,
) -> ReviewPoint:
    """A point d'étape: it sets the next review date and keeps the whole project as it is
    at that moment (``snapshot``), so that this version can be read later."""
    project = HealthProject.objects.select_for_update().get(pk=project.pk)
    require_project(access, project)
    project.next_review_on = next_review_on
    project.save(update_fields=["next_review_on"])
    review = ReviewPoint.objects.create(
        project=project,
        held_on=held_on,
        summary=_clean(summary),
        who_was_there=_clean(who_was_there),
        person_present=person_present,
        what_changed=_clean(what_changed),
        snapshot=project_state(project),
        written_by=access.member,
    )
    _log(access, A.CREATE, review)
    return review


# --- From the person's own space ----------------------------------------------------------


def _require_own(person: Person, user: User, project: HealthProject) -> None:
    """The account is the person's, and the project their living one."""
    if not person_can_see_self(user, person):
        raise PermissionDenied("not the person")
    if (
        project.person_id != person.pk
        or project.structure_id != person.structure_id
        or project.status != ProjectStatus.OPEN
    ):
        raise PermissionDenied("not the person's living project")


def _log_person(person: Person, user: User, obj: Any) -> None:
    log_event(action=A.UPDATE, user=user, person=person, section=SECTION, obj=obj)


@transaction.atomic
def do_person_words(
    person: Person, user: User, problematique: Problematique, text: str
) -> Problematique:
    """The person writes, from their space, a problématique in their own words."""
    problematique = Problematique.objects.select_for_update().get(pk=problematique.pk)
    _require_own(person, user, problematique.project)
    if problematique.ended_at is not None:
        raise PermissionDenied("no longer relevant")
    words = _clean(text)
    problematique.person_words = words
    problematique.person_words_at = timezone.now() if words else None
    problematique.person_words_by_self = True
    problematique.save(update_fields=["person_words", "person_words_at", "person_words_by_self"])
    _log_person(person, user, problematique)
    return problematique


@transaction.atomic
def do_person_goal_view(person: Person, user: User, goal: Goal, agreement: str, view: str) -> Goal:
    """The person says, from their space, whether they agree with a goal and what they
    think of it."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    _require_own(person, user, goal.project)
    if goal.status == flow.CHANGED:
        raise PermissionDenied("a goal that was changed")
    fields = _set_person_side(goal, agreement, view, timezone.now())
    if fields:
        goal.save(update_fields=fields)
        _log_person(person, user, goal)
    return goal
