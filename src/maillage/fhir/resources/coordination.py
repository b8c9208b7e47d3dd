"""Coordination: the person's circle of care (CareTeam), their health project (CarePlan)
and its goals (Goal), the team's tasks (Task) and referrals (ServiceRequest).

Everything here belongs to the coordination section of the person's record and follows
its policy (``section_readable``); tasks follow the task lists' own rule
(``visible_tasks`` / ``may_see_task``). Writes go through the web pages' forms and
actions: a task is created, then only its status moves (done, cancelled, reopened); a
referral is proposed, and its next steps are recorded on the web page.

References to resources other modules render: ``PractitionerRole/{member}``,
``Practitioner/pro-{pk}`` (a professional of the directory), ``HealthcareService/{pk}``,
``Organization/org-{pk}`` (an organisation of the directory), ``RelatedPerson/{pk}`` (a
relation of the person), ``Patient/{pk}``.

Reference search parameters take the type in the value (``participant=RelatedPerson/4``)
or as FHIR's type modifier (``performer:HealthcareService=7``); a bare id is a member
(``PractitionerRole``), and ``pro-12`` a professional of the directory.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    CharField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions import tasks as task_actions
from maillage.coordination.forms.referrals import ReferralForm
from maillage.coordination.forms.tasks import CancelForm, DoneForm, TaskForm
from maillage.coordination.models import (
    Agreement,
    CircleMember,
    CircleRole,
    Goal,
    GoalStatus,
    HealthProject,
    OwnerKind,
    Problematique,
    ProjectAction,
    ProjectStatus,
    ProposedBy,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Task,
    TaskKind,
    WorkStatus,
)
from maillage.coordination.queries.directory import directory_target
from maillage.coordination.queries.referrals import referrals_for
from maillage.coordination.queries.tasks import visible_tasks
from maillage.core.access import RecordAccess, can, get_record_for_member, persons_with_section
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.fhir import systems
from maillage.fhir.access import section_rows
from maillage.fhir.caller import Caller
from maillage.fhir.errors import fail, form_error
from maillage.fhir.registry import (
    Context,
    Include,
    ResourceType,
    Written,
    concept,
    fhir_date,
    instant,
    label,
    member_reference,
    reference,
)
from maillage.fhir.search import (
    EVERY,
    DateRange,
    Param,
    any_of,
    by_type,
    date_param,
    id_values,
    int_id,
    reference_param,
    token_param,
)
from maillage.lib import coordination as flow
from maillage.lib import referrals as path
from maillage.people.models import Person
from maillage.record.models import CareTeamMember

SECTION = Section.COORDINATION

# Code systems of FHIR and HL7 used here.
CARE_TEAM_STATUS = "http://hl7.org/fhir/care-team-status"
REQUEST_STATUS = "http://hl7.org/fhir/request-status"
TASK_STATUS = "http://hl7.org/fhir/task-status"
GOAL_STATUS = "http://hl7.org/fhir/goal-status"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
SNOMED = "http://snomed.info/sct"
REFERRAL_CODE = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}

# The ANS "Cercle de soins" profile of CareTeam (derived from IHE DCTM). It is followed
# (identifier, name, period, participants with their period) but not claimed: it limits
# participant.member to PractitionerRole, RelatedPerson and Organization, and the circle
# also holds professionals of the directory (``Practitioner/pro-…``). Its URL:
# https://interop.esante.gouv.fr/ig/fhir/cds/StructureDefinition/cds-ihe-careteam

# Maillage's own code lists.
CARE_TEAM_ROLE = systems.local("care-team-role")  # referent | member (record.CareTeamMember)
CIRCLE_ROLE = systems.local("circle-role")  # CircleRole
TASK_KIND = systems.local("task-kind")  # TaskKind

MEMBER_TYPES = ("PractitionerRole", "Practitioner")


# --- Small helpers ---------------------------------------------------------------------


def _coordination_rows(caller: Caller, rows: QuerySet[Any], via: str = "") -> QuerySet[Any]:
    """The rows of the coordination section the caller reads; a member reads those of
    their own structure. ``via`` leads from a row to the one holding the person and the
    structure (``project__``)."""
    rows = section_rows(caller, rows, SECTION, via=f"{via}person")
    if caller.member is not None:
        rows = rows.filter(**{f"{via}structure_id": caller.member.structure_id})
    return rows


def _patient_ref(person_id: int | None, display: str = "") -> dict[str, Any] | None:
    return reference("Patient", person_id, display) if person_id is not None else None


def _token_param(name: str, codes: dict[str, Q], system: str, documentation: str) -> Param:
    """A token whose FHIR codes (of ``system``) each stand for a condition on the rows."""
    return token_param(name, codes.get, system, documentation)


def _patient_params(lookup: str) -> dict[str, Param]:
    return {
        "patient": reference_param("patient", lookup, ("Patient",), _("The person.")),
        "subject": reference_param("subject", lookup, ("Patient",), _("The person.")),
    }


def _period_param(name: str, start: str, end: str, documentation: str) -> Param:
    """A date searched against a period ``[start, end]`` (``end`` empty: still going on),
    with FHIR's range semantics (``eq``: the period overlaps the searched one)."""

    def condition(value: DateRange) -> Q:
        s, e = value.start, value.end
        ongoing = Q(**{f"{end}__isnull": True})
        overlaps = Q(**{f"{start}__lt": e}) & (ongoing | Q(**{f"{end}__gte": s}))
        return {
            "eq": overlaps,
            "ne": ~overlaps,
            "lt": Q(**{f"{start}__lt": s}),
            "le": Q(**{f"{start}__lt": e}),
            "gt": ongoing | Q(**{f"{end}__gte": e}),
            "ge": ongoing | Q(**{f"{end}__gte": s}),
            "sa": Q(**{f"{start}__gte": e}),
            "eb": Q(**{f"{end}__lt": s}),
        }[value.prefix]

    return Param(
        name, "date", lambda values, _m: any_of([condition(v) for v in values]), documentation
    )


def _ref_parts(value: Any, where: str) -> tuple[str, str]:
    """``{"reference": "Patient/12"}`` (or a full URL ending so) → ("Patient", "12")."""
    raw = value.get("reference", "") if isinstance(value, dict) else ""
    parts = str(raw).rstrip("/").split("/")
    if len(parts) < 2 or not parts[-1] or not parts[-2]:
        raise fail(
            422,
            "value",
            _("%(where)s: give a reference of the form Type/id.") % {"where": where},
            where,
        )
    return parts[-2], parts[-1]


def _note_texts(notes: Iterable[Any]) -> list[str]:
    return [str(n.get("text", "")) for n in notes if isinstance(n, dict) and n.get("text")]


# --- CareTeam: the person's circle of care ----------------------------------------------


def _care_team_participant(row: CareTeamMember) -> dict[str, Any]:
    code, label = ("referent", _("referent")) if row.is_referent else ("member", _("member"))
    return {
        "role": [concept(CARE_TEAM_ROLE, code, label)],
        "member": member_reference(row.member),
        "onBehalfOf": reference("Organization", row.member.structure_id),
        "period": {"start": instant(row.added_at), "end": instant(row.ended_at)},
    }


def _circle_member(row: CircleMember) -> dict[str, Any]:
    if row.member is not None:
        return member_reference(row.member) or {}
    if row.professional is not None:
        return reference("Practitioner", f"pro-{row.professional.pk}", row.professional.name)
    if row.service is not None:
        # A HealthcareService may not be a CareTeam member: its organisation is, named
        # with the service.
        service = row.service
        display = f"{service.nom} — {service.organisation.nom}"
        return reference("Organization", f"org-{service.organisation_id}", display)
    if row.relation is not None:
        return reference("RelatedPerson", row.relation.pk, row.relation.name)
    return {}


def _circle_participant(row: CircleMember) -> dict[str, Any]:
    return {
        "role": [concept(CIRCLE_ROLE, row.role, CircleRole(row.role).label)],
        "member": _circle_member(row),
        "period": {"start": instant(row.added_at), "end": instant(row.ended_at)},
    }


def _participant_param() -> Param:
    """A member of the care team or of the circle (ended rows of the circle included, as
    they are shown with their period)."""

    def build(values: list[str], modifier: str) -> Q:
        groups = by_type(values, modifier, "PractitionerRole")
        in_circle = CircleMember.objects.values("person_id")
        conditions = []
        relations = id_values(groups.get("RelatedPerson", []))
        if relations:
            conditions.append(Q(pk__in=in_circle.filter(relation_id__in=relations)))
        organisations = id_values(groups.get("Organization", []), "org-")
        if organisations:
            conditions.append(
                Q(pk__in=in_circle.filter(service__organisation_id__in=organisations))
            )
        practitioners = groups.get("PractitionerRole", []) + groups.get("Practitioner", [])
        members = id_values(practitioners)
        if members:
            conditions.append(
                Q(
                    pk__in=CareTeamMember.objects.current()
                    .filter(member_id__in=members)
                    .values("person_id")
                )
            )
            conditions.append(Q(pk__in=in_circle.filter(member_id__in=members)))
        professionals = id_values(practitioners, "pro-")
        if professionals:
            conditions.append(Q(pk__in=in_circle.filter(professional_id__in=professionals)))
        return any_of(conditions)

    return Param(
        "participant",
        "reference",
        build,
        _(
            "Who is in the circle: PractitionerRole/{member}, Practitioner/pro-{id}, "
            "RelatedPerson/{id}, Organization/org-{id} (or the type as a modifier: "
            "participant:RelatedPerson={id})."
        ),
        modifiers=("PractitionerRole", "Practitioner", "RelatedPerson", "Organization"),
        targets=("PractitionerRole", "Practitioner", "RelatedPerson", "Organization"),
    )


class CareTeamType(ResourceType):
    name = "CareTeam"
    model = Person
    documentation = gettext_lazy(
        "The person's circle of care (after the ANS “Cercle de soins” profile): the members "
        "of the care team (the referent flagged) and the circle — members, professionals "
        "and services of the directory, the entourage — with their role and period. One "
        "per person; its id is the person's."
    )
    person_path = "self"

    def readable(self, caller: Caller) -> QuerySet[Any]:
        if caller.person is not None:
            return Person.objects.filter(pk=caller.person.pk, merged_into__isnull=True)
        member = caller.member
        if member is None:
            return Person.objects.none()
        return persons_with_section(member, SECTION).filter(
            structure_id=member.structure_id, merged_into__isnull=True
        )

    def person_id_of(self, row: Any) -> int | None:
        return int(row.pk)

    def section_of(self, row: Any) -> str:
        return SECTION

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.current()
                .select_related("member__user")
                .order_by("added_at", "pk"),
                to_attr="fhir_care_team",
            ),
            Prefetch(
                "circle",
                queryset=CircleMember.objects.select_related(
                    "member__user", "professional", "service__organisation", "relation"
                ).order_by("added_at", "pk"),
                to_attr="fhir_circle",
            ),
        )

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        team = getattr(row, "fhir_care_team", None)
        if team is None:
            team = list(row.care_team.current().select_related("member__user"))
        circle = getattr(row, "fhir_circle", None)
        if circle is None:
            circle = list(row.circle.all())
        # The circle of the person's structure only (a record moved keeps its rows).
        circle = [c for c in circle if c.structure_id == row.structure_id]
        moments = [row.created_at]
        for item in [*team, *circle]:
            moments += [item.added_at, item.ended_at]
        return {
            "resourceType": "CareTeam",
            "id": str(row.pk),
            "meta": {"lastUpdated": instant(max(m for m in moments if m is not None))},
            "identifier": [{"system": systems.local("care-team"), "value": str(row.pk)}],
            "status": "active",
            "name": _("Circle of care of %(name)s") % {"name": row.display_name},
            "subject": _patient_ref(row.pk, row.display_name),
            "period": {"start": instant(row.created_at)},
            "participant": [_care_team_participant(t) for t in team]
            + [_circle_participant(c) for c in circle],
            "managingOrganization": [reference("Organization", row.structure_id)],
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **_patient_params("pk"),
            "participant": _participant_param(),
            "status": _token_param(
                "status",
                {"active": EVERY},
                CARE_TEAM_STATUS,
                _("Always “active”: the circle lasts as long as the record."),
            ),
        }


# --- CarePlan: the health project ---------------------------------------------------------

# A living project is active. A closed one is "completed" when none of its goals was left
# in progress, and "revoked" when it was closed with goals still in progress (stopped
# before they were settled); ``closing_reason`` says why, in the notes.


def _open_goals() -> Exists:
    return Exists(Goal.objects.filter(project=OuterRef("pk"), status=flow.IN_PROGRESS))


def _project_status(project: HealthProject) -> str:
    if project.status == ProjectStatus.OPEN:
        return "active"
    open_goals = getattr(project, "fhir_open_goals", None)
    if open_goals is None:
        open_goals = project.goals.filter(status=flow.IN_PROGRESS).exists()
    return "revoked" if open_goals else "completed"


# Actions of the project: "to do" is not-started (the application does not record when
# work began), done is completed, cancelled is cancelled.
ACTION_STATUS: dict[str, str] = {
    WorkStatus.OPEN: "not-started",
    WorkStatus.DONE: "completed",
    WorkStatus.CANCELLED: "cancelled",
}


def _action_performer(action: ProjectAction, person_id: int) -> dict[str, Any] | None:
    if action.owner_member_id is not None:
        return member_reference(action.owner_member)
    if action.owner_kind == "person":
        return _patient_ref(person_id)
    name = action.owner_name or label(OwnerKind, action.owner_kind)
    return {"display": name}


def _activity(action: ProjectAction, person_id: int) -> dict[str, Any]:
    return {
        "detail": {
            "kind": "Task",
            "code": {"text": label(OwnerKind, action.owner_kind)},
            "status": ACTION_STATUS.get(action.status, "unknown"),
            "statusReason": {"text": action.done_note} if action.done_note else None,
            "goal": [reference("Goal", action.goal_id)] if action.goal_id else [],
            "scheduledPeriod": {"end": fhir_date(action.due_on)} if action.due_on else None,
            "performer": [_action_performer(action, person_id)],
            "description": action.description,
        }
    }


def _problematique_notes(item: Problematique, person_id: int) -> list[dict[str, Any]]:
    notes = []
    if item.person_words:
        notes.append(
            {
                "authorReference": _patient_ref(person_id) if item.person_words_by_self else None,
                "time": instant(item.person_words_at),
                "text": _("%(title)s — in the person's own words: %(text)s")
                % {"title": item.title, "text": item.person_words},
            }
        )
    if item.understanding:
        notes.append(
            {
                "authorReference": member_reference(item.written_by),
                "time": instant(item.written_at),
                "text": _("%(title)s — as the team understands it: %(text)s")
                % {"title": item.title, "text": item.understanding},
            }
        )
    return notes


class CarePlanType(ResourceType):
    name = "CarePlan"
    model = HealthProject
    documentation = gettext_lazy(
        "The person's individual health project: its problématiques (title, description "
        "and notes, the person's words first), goals (Goal) and actions (activities), "
        "opened and closed by members of the team."
    )

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return _coordination_rows(caller, HealthProject.objects.all())

    def section_of(self, row: Any) -> str:
        return SECTION

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return (
            rows.select_related("opened_by__user", "closed_by__user")
            .annotate(fhir_open_goals=_open_goals())
            .prefetch_related(
                Prefetch(
                    "problematiques",
                    queryset=Problematique.objects.select_related("written_by__user").order_by(
                        "written_at", "pk"
                    ),
                ),
                Prefetch("goals", queryset=Goal.objects.only("pk", "project_id").order_by("pk")),
                Prefetch(
                    "actions",
                    queryset=ProjectAction.objects.select_related("owner_member__user").order_by(
                        "written_at", "pk"
                    ),
                ),
            )
        )

    def order(self) -> tuple[str, ...]:
        return ("-opened_at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        current = [p for p in row.problematiques.all() if p.ended_at is None]
        notes: list[dict[str, Any]] = []
        for item in current:
            notes += _problematique_notes(item, row.person_id)
        if row.closing_reason:
            notes.append(
                {
                    "authorReference": member_reference(row.closed_by),
                    "time": instant(row.closed_at),
                    "text": _("Closed: %(reason)s") % {"reason": row.closing_reason},
                }
            )
        return {
            "resourceType": "CarePlan",
            "id": str(row.pk),
            "status": _project_status(row),
            "intent": "plan",
            "title": _("Health project"),
            "description": "; ".join(p.title for p in current),
            "subject": _patient_ref(row.person_id),
            "period": {"start": instant(row.opened_at), "end": instant(row.closed_at)},
            "created": instant(row.opened_at),
            "author": member_reference(row.opened_by),
            "careTeam": [reference("CareTeam", row.person_id)],
            "goal": [reference("Goal", g.pk) for g in row.goals.all()],
            "activity": [_activity(a, row.person_id) for a in row.actions.all()],
            "note": notes,
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **_patient_params("person_id"),
            "status": _token_param(
                "status",
                {
                    "active": Q(status=ProjectStatus.OPEN),
                    "completed": Q(status=ProjectStatus.CLOSED) & ~Q(_open_goals()),
                    "revoked": Q(status=ProjectStatus.CLOSED) & Q(_open_goals()),
                },
                REQUEST_STATUS,
                _("active (living), completed or revoked (closed with goals in progress)."),
            ),
            "date": _period_param(
                "date", "opened_at", "closed_at", _("The period the project covers.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {
            "CarePlan:goal": Include(
                "Goal", lambda rows: {str(g.pk) for row in rows for g in row.goals.all()}
            )
        }


# --- Goal ------------------------------------------------------------------------------------

# in progress → active / in-progress; reached → completed / achieved; abandoned →
# cancelled / not-achieved; changed (replaced by a new goal in the person's words) →
# cancelled, with no achievement status (the new goal carries on).
GOAL_LIFECYCLE: dict[str, str] = {
    flow.IN_PROGRESS: "active",
    flow.REACHED: "completed",
    flow.ABANDONED: "cancelled",
    flow.CHANGED: "cancelled",
}
GOAL_ACHIEVED: dict[str, tuple[str, str]] = {
    flow.IN_PROGRESS: ("in-progress", "In Progress"),
    flow.REACHED: ("achieved", "Achieved"),
    flow.ABANDONED: ("not-achieved", "Not Achieved"),
}


def _status_changed_at() -> Subquery:
    """When the goal's status last changed: the write's entry in the access log (the
    status actions log the new status as the reason)."""
    return Subquery(
        AccessEvent.objects.filter(
            person_id=OuterRef("project__person_id"),
            action=AccessEvent.Action.UPDATE,
            object_type="coordination.goal",
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            reason__in=GoalStatus.values,
        )
        .order_by("-at")
        .values("at")[:1]
    )


def _expressed_by(goal: Goal, person_id: int) -> dict[str, Any] | None:
    if goal.proposed_by == ProposedBy.PERSON:
        return _patient_ref(person_id)
    name = goal.proposed_by_name
    writer = goal.written_by
    # A member who proposed it without writing another name is the member who wrote it.
    if goal.proposed_by == ProposedBy.MEMBER and (not name or name == writer.display_name):
        return member_reference(writer)
    return {"display": name or label(ProposedBy, goal.proposed_by)}


def _goal_notes(goal: Goal, person_id: int) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    if goal.agreement:
        text = (
            _("The person agrees.")
            if goal.agreement == Agreement.AGREES
            else _("The person does not agree.")
        )
        notes.append({"time": instant(goal.agreement_at), "text": text})
    if goal.person_view:
        notes.append(
            {
                "authorReference": _patient_ref(person_id),
                "time": instant(goal.person_view_at),
                "text": goal.person_view,
            }
        )
    if goal.replaced_by_id is not None and goal.replaced_by is not None:
        notes.append({"text": _("Replaced by: %(words)s") % {"words": goal.replaced_by.words}})
    return notes


def _goal_status_param(
    name: str, mapping: dict[str, list[str]], system: str, documentation: str
) -> Param:
    return _token_param(
        name,
        {code: Q(status__in=stored) for code, stored in mapping.items()},
        system,
        documentation,
    )


class GoalType(ResourceType):
    name = "Goal"
    model = Goal
    documentation = gettext_lazy(
        "A goal of the health project in the person's words: who proposed it, whether the "
        "person agrees and what they think of it, when to look at it again, where it stands."
    )
    person_path = "project__person"

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return _coordination_rows(caller, Goal.objects.all(), via="project__")

    def section_of(self, row: Any) -> str:
        return SECTION

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("project", "written_by__user", "replaced_by").annotate(
            fhir_status_at=_status_changed_at()
        )

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        person_id = row.project.person_id
        achieved = GOAL_ACHIEVED.get(row.status)
        # When the status last changed; a goal whose status never changed since it was
        # written has been in progress since then.
        status_date = timezone.localdate(getattr(row, "fhir_status_at", None) or row.written_at)
        return {
            "resourceType": "Goal",
            "id": str(row.pk),
            "lifecycleStatus": GOAL_LIFECYCLE.get(row.status, "active"),
            "achievementStatus": {
                "coding": [
                    {"system": GOAL_ACHIEVEMENT, "code": achieved[0], "display": achieved[1]}
                ]
            }
            if achieved
            else None,
            "description": {"text": row.words},
            "subject": _patient_ref(person_id),
            "startDate": fhir_date(timezone.localdate(row.written_at)),
            "target": [{"dueDate": fhir_date(row.review_on)}] if row.review_on else [],
            "statusDate": fhir_date(status_date),
            "statusReason": row.status_note,
            "expressedBy": _expressed_by(row, person_id),
            "note": _goal_notes(row, person_id),
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **_patient_params("project__person_id"),
            "lifecycle-status": _goal_status_param(
                "lifecycle-status",
                {
                    "active": [flow.IN_PROGRESS],
                    "completed": [flow.REACHED],
                    "cancelled": [flow.ABANDONED, flow.CHANGED],
                },
                GOAL_STATUS,
                _("active, completed or cancelled (abandoned or changed)."),
            ),
            "achievement-status": _goal_status_param(
                "achievement-status",
                {
                    "in-progress": [flow.IN_PROGRESS],
                    "achieved": [flow.REACHED],
                    "not-achieved": [flow.ABANDONED],
                },
                GOAL_ACHIEVEMENT,
                _("in-progress, achieved or not-achieved."),
            ),
        }


# --- Task ---------------------------------------------------------------------------------

# open → requested (waiting for its owner), done → completed, cancelled → cancelled.
TASK_STATUS_CODES: dict[str, str] = {
    WorkStatus.OPEN: "requested",
    WorkStatus.DONE: "completed",
    WorkStatus.CANCELLED: "cancelled",
}
TASK_STATUSES = {code: status for status, code in TASK_STATUS_CODES.items()}

TASK_REFUSALS: dict[str, Any] = {
    "not_allowed": gettext_lazy(
        "This is no longer possible: the task has changed meanwhile. Reload the page."
    ),
    "reason_needed": gettext_lazy("Say why it will not be done."),
    "already_open": gettext_lazy("Another follow-up of this referral is already open."),
}

TASK_FORM_FIELDS = {
    "title": "Task.description",
    "details": "Task.note",
    "due_on": "Task.restriction.period.end",
    "assignees": "Task.owner",
}

# Elements a Task write maps (or the server sets); the others are kept beside the row.
TASK_MAPPED = frozenset(
    {
        "resourceType",
        "id",
        "meta",
        "identifier",
        "status",
        "statusReason",
        "intent",
        "code",
        "description",
        "for",
        "focus",
        "basedOn",
        "owner",
        "requester",
        "restriction",
        "note",
        "authoredOn",
        "lastModified",
        "executionPeriod",
    }
)


def _done_note(task: Task) -> str:
    if task.done_note in task_actions.AUTOMATIC_NOTES:
        return _(task.done_note)
    return task.done_note


def _assignees(task: Task) -> list[Member]:
    return sorted(
        task.assignees.all(),
        key=lambda m: (m.user.last_name, m.user.first_name, m.pk),
    )


def _task_core_of_row(task: Task, assignees: list[Member]) -> dict[str, Any]:
    return {
        "description": task.label,
        "for": task.person_id,
        "assignees": {m.pk for m in assignees},
        "due": task.due_on,
        "details": task.details,
        "basedOn": task.referral_id,
        "focus": task.project_id,
    }


def _parse_due(resource: dict[str, Any]) -> datetime.date | None:
    restriction = resource.get("restriction") or {}
    raw = (restriction.get("period") or {}).get("end")
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise fail(400, "value", _("This is not a date."), "Task.restriction.period.end") from None


def _one_ref(resource: dict[str, Any], key: str, kinds: tuple[str, ...]) -> int | None:
    """The integer id of a single reference element (or of the first of a list)."""
    value = resource.get(key)
    if isinstance(value, list):
        if len(value) > 1:
            raise fail(
                422,
                "business-rule",
                _("%(where)s: at most one reference.") % {"where": f"Task.{key}"},
                f"Task.{key}",
            )
        value = value[0] if value else None
    if not value:
        return None
    kind, raw = _ref_parts(value, f"Task.{key}")
    pk = int_id(raw)
    if kind not in kinds or pk is None:
        raise fail(
            422,
            "value",
            _("%(where)s must point to %(types)s.")
            % {"where": f"Task.{key}", "types": ", ".join(kinds)},
            f"Task.{key}",
        )
    return pk


def _task_core(resource: dict[str, Any]) -> dict[str, Any]:
    """What a Task resource says of the task's content (not of its status)."""
    assignee_ids: list[int | str] = []
    owners = [resource["owner"]] if resource.get("owner") else []
    recipients = (resource.get("restriction") or {}).get("recipient") or []
    for value in owners + list(recipients):
        kind, raw = _ref_parts(value, "Task.owner")
        pk = int_id(raw)
        if kind not in MEMBER_TYPES or pk is None:
            raise fail(
                422,
                "value",
                _("A task is assigned to members of the team (PractitionerRole/{id})."),
                "Task.owner",
            )
        assignee_ids.append(pk)
    return {
        "description": str(resource.get("description") or "").strip(),
        "for": _one_ref(resource, "for", ("Patient",)),
        "assignees": set(assignee_ids),
        "assignee_list": list(dict.fromkeys(assignee_ids)),
        "due": _parse_due(resource),
        "details": "\n\n".join(_note_texts(resource.get("note") or [])).strip(),
        "basedOn": _one_ref(resource, "basedOn", ("ServiceRequest",)),
        "focus": _one_ref(resource, "focus", ("CarePlan",)),
    }


def _task_kept(resource: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kept = {k: v for k, v in resource.items() if k not in TASK_MAPPED}
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    return kept, identifiers


def _record_for(member: Member, person_id: int, where: str) -> tuple[Person, RecordAccess]:
    try:
        return get_record_for_member(member, person_id)
    except Http404:
        raise fail(
            422,
            "value",
            _("Patient/%(id)s is not here, or you may not read it.") % {"id": person_id},
            where,
        ) from None


def _task_links(
    member: Member, core: dict[str, Any]
) -> tuple[RecordAccess | None, Referral | None, HealthProject | None]:
    """The person, referral and living project a new task is about, as the task page
    links them (``?personne=``, ``?orientation=``, ``?projet=``)."""
    if core["for"] is None:
        if core["basedOn"] is not None or core["focus"] is not None:
            raise fail(
                422,
                "business-rule",
                _("A task linked to a referral or a project is about its person (Task.for)."),
                "Task.for",
            )
        return None, None, None
    person, access = _record_for(member, core["for"], "Task.for")
    if not access.can_write(SECTION):
        raise fail(403, "forbidden", _("You may not write in this person's coordination part."))
    referral = project = None
    if core["basedOn"] is not None:
        referral = referrals_for(access).filter(person_id=person.pk, pk=core["basedOn"]).first()
        if referral is None:
            raise fail(
                422,
                "value",
                _("This referral is not one of the person's."),
                "Task.basedOn",
            )
    if core["focus"] is not None:
        project = HealthProject.objects.filter(
            pk=core["focus"],
            structure_id=member.structure_id,
            person_id=person.pk,
            status=ProjectStatus.OPEN,
        ).first()
        if project is None:
            raise fail(
                422,
                "value",
                _("A task is linked to the person's living health project only."),
                "Task.focus",
            )
    return access, referral, project


class TaskType(ResourceType):
    name = "Task"
    model = Task
    documentation = gettext_lazy(
        "The team's tasks: what to do, for whom, by when, assigned to members (the first "
        "is the owner, the others recipients); linked to a person, a referral or their "
        "health project. Created here as on the web page; afterwards only the status "
        "changes: done (statusReason: what was done), cancelled (statusReason: why), "
        "reopened."
    )
    writable = frozenset({"create", "update"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        member = caller.member
        # The team's tasks are its work lists: the person's own space does not show them.
        if member is None:
            return Task.objects.none()
        tasks = visible_tasks(member)
        if not can(member, "view_team_tasks", member.structure):
            # As ``may_see_task``: a member who does not see the team's tasks sees theirs.
            mine = Task.assignees.through.objects.filter(member=member).values("task_id")
            tasks = tasks.filter(pk__in=mine)
        return tasks

    def section_of(self, row: Any) -> str:
        return SECTION

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("created_by__user", "done_by__user", "person").prefetch_related(
            Prefetch("assignees", queryset=Member.objects.select_related("user")),
        )

    def order(self) -> tuple[str, ...]:
        return ("due_on", "pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        assignees = _assignees(row)
        owner, others = (assignees[0], assignees[1:]) if assignees else (None, [])
        done = row.status != WorkStatus.OPEN
        note = _done_note(row) if done else ""
        return {
            "resourceType": "Task",
            "id": str(row.pk),
            "meta": {"lastUpdated": instant(row.done_at or row.created_at)},
            "status": TASK_STATUS_CODES.get(row.status, "requested"),
            "statusReason": {"text": note} if note else None,
            "intent": "order",
            "code": concept(TASK_KIND, row.kind, TaskKind(row.kind).label),
            "description": row.label,
            "for": _patient_ref(row.person_id, row.person.display_name if row.person else ""),
            "focus": reference("CarePlan", row.project_id) if row.project_id else None,
            "basedOn": [reference("ServiceRequest", row.referral_id)] if row.referral_id else [],
            "authoredOn": instant(row.created_at),
            "lastModified": instant(row.done_at or row.created_at),
            "requester": member_reference(row.created_by),
            "owner": member_reference(owner),
            "executionPeriod": {"end": instant(row.done_at)} if done and row.done_at else None,
            "restriction": {
                "period": {"end": fhir_date(row.due_on)} if row.due_on else None,
                "recipient": [member_reference(m) for m in others],
            },
            "note": [
                {
                    "authorReference": member_reference(row.created_by),
                    "time": instant(row.created_at),
                    "text": row.details,
                }
            ]
            if row.details
            else [],
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        def owner(values: list[str], modifier: str) -> Q:
            ids = id_values(values)
            through = Task.assignees.through.objects.filter(member_id__in=ids)
            return Q(pk__in=through.values("task_id"))

        return {
            **_patient_params("person_id"),
            "status": _token_param(
                "status",
                {code: Q(status=status) for code, status in TASK_STATUSES.items()},
                TASK_STATUS,
                _("requested (to do), completed or cancelled."),
            ),
            "owner": Param(
                "owner",
                "reference",
                owner,
                _("A member the task is assigned to (owner or recipient)."),
                targets=MEMBER_TYPES,
            ),
            "authored-on": date_param(
                "authored-on", "created_at", documentation=_("When it was created.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {
            "Task:patient": Include(
                "Patient", lambda rows: {str(r.person_id) for r in rows if r.person_id}
            )
        }

    # -- writing -------------------------------------------------------------------------

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None or not can(member, "add_task", member.structure):
            raise fail(403, "forbidden", _("You may not create tasks in this structure."))
        if resource.get("status") != "requested":
            raise fail(
                422,
                "business-rule",
                _("A new task is “requested” (to do)."),
                "Task.status",
            )
        if resource.get("intent") != "order":
            raise fail(422, "business-rule", _("A task is an “order”."), "Task.intent")
        core = _task_core(resource)
        access, referral, project = _task_links(member, core)
        form = TaskForm(
            data={
                "title": core["description"],
                "details": core["details"],
                "due_on": core["due"] or "",
                "assignees": [str(pk) for pk in core["assignee_list"]],
            },
            author=member,
        )
        if not form.is_valid():
            raise form_error(form, TASK_FORM_FIELDS, "Task")
        try:
            task = task_actions.do_create_task(
                member, **form.task(), access=access, referral=referral, project=project
            )
        except PermissionDenied:
            raise fail(
                403, "forbidden", _("You may not write in this person's coordination part.")
            ) from None
        kept, identifiers = _task_kept(resource)
        return Written(task, kept, identifiers)

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None:
            raise fail(403, "forbidden", _("You may not do this."))
        task = Task.objects.select_for_update().get(pk=row.pk)
        current = _task_core_of_row(task, list(row.assignees.all()))
        sent = _task_core(resource)
        changed = [key for key, value in current.items() if sent[key] != value]
        if changed:
            raise fail(
                422,
                "business-rule",
                _(
                    "Only the status of a task changes after it is created (done, cancelled, "
                    "reopened); these elements differ: %(elements)s."
                )
                % {"elements": ", ".join(f"Task.{key}" for key in changed)},
                f"Task.{changed[0]}",
            )
        wanted = TASK_STATUSES.get(str(resource.get("status", "")))
        if wanted is None:
            raise fail(
                422,
                "business-rule",
                _("A task is requested (to do), completed or cancelled."),
                "Task.status",
            )
        note = str((resource.get("statusReason") or {}).get("text") or "").strip()
        if wanted == task.status and task.status != WorkStatus.OPEN and note != _done_note(task):
            raise fail(
                422,
                "business-rule",
                _("The note of a task done or cancelled does not change."),
                "Task.statusReason",
            )
        if note and wanted != task.status:
            # The length rules of the done and cancel forms.
            step_form = (DoneForm if wanted == WorkStatus.DONE else CancelForm)(data={"note": note})
            if not step_form.is_valid():
                raise form_error(step_form, {"note": "Task.statusReason"}, "Task")
        try:
            if wanted == task.status:
                pass
            elif wanted == WorkStatus.DONE:
                task = task_actions.do_finish_task(member, task, note=note)
            elif wanted == WorkStatus.CANCELLED:
                task = task_actions.do_cancel_task(member, task, note=note)
            elif task.status == WorkStatus.DONE:
                task = task_actions.do_reopen_task(member, task)
            else:
                raise flow.TransitionError("not_allowed")
        except flow.TransitionError as error:
            refusal = TASK_REFUSALS.get(str(error), TASK_REFUSALS["not_allowed"])
            raise fail(422, "business-rule", str(refusal), "Task.status") from None
        except PermissionDenied:
            raise fail(403, "forbidden", _("You may not do this.")) from None
        kept, identifiers = _task_kept(resource)
        return Written(task, kept, identifiers)


# --- ServiceRequest: referrals ----------------------------------------------------------

# The referral's path (lib/referrals.py) → FHIR request status:
# proposed (to the person, who has not agreed yet) → draft;
# agreed, sent, received, appointment set → active (in force, being acted upon);
# done → completed; not done (closed with a reason) → revoked.
# Each step of the path, with its note, is a note of the resource (id "step-{pk}").
REFERRAL_STATUS: dict[str, str] = {
    path.PROPOSED: "draft",
    path.AGREED: "active",
    path.SENT: "active",
    path.RECEIVED: "active",
    path.APPOINTMENT: "active",
    path.DONE: "completed",
    path.NOT_DONE: "revoked",
}
REFERRAL_STATUSES = {
    code: [step for step, mapped in REFERRAL_STATUS.items() if mapped == code]
    for code in dict.fromkeys(REFERRAL_STATUS.values())
}

REFERRAL_FORM_FIELDS = {
    "reason": "ServiceRequest.reasonCode",
    "wishes": "ServiceRequest.note",
    "documents": "ServiceRequest.note",
    "target": "ServiceRequest.performer",
}

# Notes of a ServiceRequest are told apart by their element id.
NOTE_WISHES, NOTE_DOCUMENTS = "wishes", "documents"

REFERRAL_MAPPED = frozenset(
    {
        "resourceType",
        "id",
        "meta",
        "identifier",
        "status",
        "intent",
        "code",
        "subject",
        "requester",
        "performer",
        "reasonCode",
        "note",
        "authoredOn",
    }
)


def _referral_performer(referral: Referral) -> dict[str, Any] | None:
    if referral.to_member is not None:
        return member_reference(referral.to_member)
    professional, service = referral.to_professional, referral.to_service
    if professional is not None:
        return reference("Practitioner", f"pro-{professional.pk}", professional.name)
    if service is not None:
        return reference("HealthcareService", service.pk, service.nom)
    return None


def _step_note(event: ReferralEvent) -> dict[str, Any]:
    label = str(ReferralStatus(event.status).label)
    text = f"{label}: {event.note}" if event.note else label
    return {
        "id": f"step-{event.pk}",
        "authorReference": member_reference(event.by),
        "time": instant(event.at),
        "text": text,
    }


def _performer_param() -> Param:
    def build(values: list[str], modifier: str) -> Q:
        groups = by_type(values, modifier, "PractitionerRole")
        practitioners = groups.get("PractitionerRole", []) + groups.get("Practitioner", [])
        return (
            Q(to_service_id__in=id_values(groups.get("HealthcareService", [])))
            | Q(to_member_id__in=id_values(practitioners))
            | Q(to_professional_id__in=id_values(practitioners, "pro-"))
        )

    return Param(
        "performer",
        "reference",
        build,
        _(
            "Who it is sent to: PractitionerRole/{member}, Practitioner/pro-{id}, "
            "HealthcareService/{id} (or the type as a modifier)."
        ),
        modifiers=("PractitionerRole", "Practitioner", "HealthcareService"),
        targets=("PractitionerRole", "Practitioner", "HealthcareService"),
    )


def _referral_target(member: Member, resource: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one receiver of a new referral, checked as the referral page checks it: an
    active member of the team, or an active entry of the structure's directory."""
    performers = resource.get("performer") or []
    where = "ServiceRequest.performer"
    if len(performers) != 1:
        raise fail(
            422,
            "business-rule",
            _("A referral is sent to one receiver (one performer)."),
            where,
        )
    kind, raw = _ref_parts(performers[0], where)
    unknown = fail(
        422,
        "value",
        _("%(ref)s is not a member of the team nor an entry of your directory.")
        % {"ref": f"{kind}/{raw}"[:80]},
        where,
    )
    if kind == "Practitioner" and raw.startswith("pro-"):
        target = f"professional:{raw[4:]}"
    elif kind == "HealthcareService":
        target = f"service:{raw}"
    elif kind in MEMBER_TYPES and (member_pk := int_id(raw)) is not None:
        found = (
            Member.objects.active()
            .exclude(role__in=[Role.PARTNER, Role.NETWORK_OBSERVER])
            .filter(pk=member_pk, structure_id=member.structure_id)
            .first()
        )
        if found is None:
            raise unknown
        return f"member:{found.pk}", {"to_member": found}
    else:
        raise unknown
    try:
        entry = directory_target(member.structure, target)
    except Http404:
        raise unknown from None
    kind_name = target.partition(":")[0]
    return target, {f"to_{kind_name}": entry}


class ServiceRequestType(ResourceType):
    name = "ServiceRequest"
    model = Referral
    documentation = gettext_lazy(
        "Referrals (orientations) of the person to a member of the team, a service or a "
        "professional of the directory, with each step of their path (notes) until the "
        "loop closes. Status: proposed → draft; agreed, sent, received, appointment set → "
        "active; done → completed; not done → revoked. Created here as on the web page "
        "(status draft); the next steps are recorded on the web page."
    )
    last_updated = "last_news_at"
    writable = frozenset({"create"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return _coordination_rows(caller, Referral.objects.all())

    def section_of(self, row: Any) -> str:
        return SECTION

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related(
            "to_member__user", "to_service", "to_professional", "created_by__user"
        ).prefetch_related(
            Prefetch(
                "events",
                queryset=ReferralEvent.objects.select_related("by__user").order_by("at", "pk"),
            )
        )

    def order(self) -> tuple[str, ...]:
        return ("-created_at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        notes: list[dict[str, Any]] = []
        for note_id, text in (
            (NOTE_WISHES, row.wishes),
            (NOTE_DOCUMENTS, row.documents),
            ("feedback", row.feedback),
            ("closing-reason", row.closing_reason),
        ):
            if text:
                notes.append({"id": note_id, "text": text})
        notes += [_step_note(e) for e in row.events.all()]
        return {
            "resourceType": "ServiceRequest",
            "id": str(row.pk),
            "meta": {"lastUpdated": instant(row.last_news_at)},
            "status": REFERRAL_STATUS.get(row.status, "unknown"),
            "intent": "order",
            "code": {"coding": [REFERRAL_CODE]},
            "subject": _patient_ref(row.person_id),
            "occurrenceDateTime": instant(row.appointment_at),
            "authoredOn": instant(row.created_at),
            "requester": member_reference(row.created_by),
            "performer": [_referral_performer(row)],
            "reasonCode": [{"text": row.reason}],
            "note": notes,
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **_patient_params("person_id"),
            "status": _token_param(
                "status",
                {code: Q(status__in=steps) for code, steps in REFERRAL_STATUSES.items()},
                REQUEST_STATUS,
                _("draft (proposed), active (agreed to appointment set), completed, revoked."),
            ),
            "authored": date_param(
                "authored", "created_at", documentation=_("When it was proposed.")
            ),
            "requester": reference_param(
                "requester", "created_by_id", MEMBER_TYPES, _("The member who proposed it.")
            ),
            "performer": _performer_param(),
        }

    # -- writing -------------------------------------------------------------------------

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None:
            raise fail(403, "forbidden", _("You may not propose referrals."))
        if resource.get("status") != "draft":
            raise fail(
                422,
                "business-rule",
                _(
                    "A new referral is proposed to the person first (status “draft”); its "
                    "next steps are recorded on its page."
                ),
                "ServiceRequest.status",
            )
        if resource.get("intent") != "order":
            raise fail(
                422, "business-rule", _("A referral is an “order”."), "ServiceRequest.intent"
            )
        for key in ("occurrenceDateTime", "occurrencePeriod", "occurrenceTiming"):
            if key in resource:
                raise fail(
                    422,
                    "business-rule",
                    _("The appointment is recorded once the referral was sent, on its page."),
                    f"ServiceRequest.{key}",
                )
        kind, raw = _ref_parts(resource.get("subject"), "ServiceRequest.subject")
        person_id = int_id(raw)
        if kind != "Patient" or person_id is None:
            raise fail(
                422,
                "value",
                _("%(where)s must point to %(types)s.")
                % {"where": "ServiceRequest.subject", "types": "Patient"},
                "ServiceRequest.subject",
            )
        person, access = _record_for(member, person_id, "ServiceRequest.subject")
        if person.merged_into_id is not None or not access.can_write(SECTION):
            raise fail(403, "forbidden", _("You may not write in this person's coordination part."))
        target, receiver = _referral_target(member, resource)
        reasons = [
            str(r.get("text") or "").strip()
            for r in resource.get("reasonCode") or []
            if isinstance(r, dict)
        ]
        notes = [n for n in resource.get("note") or [] if isinstance(n, dict)]
        wishes = _note_texts(n for n in notes if n.get("id") == NOTE_WISHES)
        documents = _note_texts(n for n in notes if n.get("id") == NOTE_DOCUMENTS)
        form = ReferralForm(
            data={
                "target": target,
                "reason": "\n\n".join(r for r in reasons if r),
                "wishes": "\n\n".join(wishes),
                "documents": "\n\n".join(documents),
            }
        )
        if not form.is_valid():
            raise form_error(form, REFERRAL_FORM_FIELDS, "ServiceRequest")
        data = form.cleaned_data
        try:
            referral = referral_actions.do_propose_referral(
                access,
                reason=data["reason"],
                wishes=data["wishes"],
                documents=data["documents"],
                **receiver,
            )
        except PermissionDenied:
            raise fail(
                403, "forbidden", _("You may not write in this person's coordination part.")
            ) from None
        kept = {k: v for k, v in resource.items() if k not in REFERRAL_MAPPED}
        other_notes = [n for n in notes if n.get("id") not in {NOTE_WISHES, NOTE_DOCUMENTS}]
        if other_notes:
            kept["note"] = other_notes
        identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
        return Written(referral, kept, identifiers)
