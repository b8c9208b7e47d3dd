"""Writes of coordination meetings: atomic, checked against the access policy, audited.

Planning (the meeting, its attendees, its agenda) needs the ``plan_meetings`` verb on the
structure. A situation on the agenda belongs to the person's coordination section: its
notes and decisions need the member's right to write that section, and every write on
it is logged for the person."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from maillage.coordination.actions.projects import do_add_action, do_open_project
from maillage.coordination.actions.tasks import do_create_task
from maillage.coordination.models import (
    AgendaItem,
    Attendee,
    AttendeeKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    OwnerKind,
    ProjectAction,
    Task,
    TaskKind,
)
from maillage.core.access import RecordAccess, can, persons_with_section
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.people.models import Person, Relation

A = AccessEvent.Action
SECTION = Section.COORDINATION


class MeetingError(ValueError):
    """A change the meeting's state does not allow (an English key the views translate)."""


def require_plan(member: Member, meeting: Meeting | None = None) -> None:
    if not can(member, "plan_meetings", member.structure):
        raise PermissionDenied("plan_meetings")
    if meeting is not None and meeting.structure_id != member.structure_id:
        raise PermissionDenied("a meeting of another structure")


def require_open(meeting: Meeting) -> None:
    """Nothing changes in a cancelled meeting."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError("cancelled")


def require_planned(meeting: Meeting) -> None:
    """Invitations and removals happen before the meeting."""
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingError("not_planned")


def require_situation_write(member: Member, item: AgendaItem, access: RecordAccess | None) -> None:
    if (
        item.person_id is None
        or access is None
        or access.member.pk != member.pk
        or access.person.pk != item.person_id
        or not access.can_write(SECTION)
    ):
        raise PermissionDenied("no write right on this situation")


def _log_item(member: Member, item: AgendaItem, action: str) -> None:
    """A write on a situation is a write in the person's coordination section."""
    if item.person_id is not None:
        log_event(action=action, member=member, person=item.person, section=SECTION, obj=item)


@transaction.atomic
def do_plan_meeting(
    member: Member,
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    duration_minutes: int = 60,
    place: str = "",
) -> Meeting:
    require_plan(member)
    if kind not in MeetingKind.values:
        raise ValueError("kind")
    meeting = Meeting.objects.create(
        structure_id=member.structure_id,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place.strip(),
        created_by=member,
    )
    log_event(action=A.CREATE, member=member, obj=meeting)
    return meeting


@transaction.atomic
def do_change_meeting(
    member: Member,
    meeting: Meeting,
    *,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    duration_minutes: int,
    place: str = "",
) -> Meeting:
    """Another date, place or title before the meeting. A meeting with situations on its
    agenda cannot become a practice-analysis session."""
    require_plan(member, meeting)
    require_planned(meeting)
    if kind not in MeetingKind.values:
        raise ValueError("kind")
    if kind == MeetingKind.PRACTICE and meeting.items.filter(person__isnull=False).exists():
        raise MeetingError("practice")
    meeting.kind = kind
    meeting.title = title.strip()
    meeting.starts_at = starts_at
    meeting.duration_minutes = duration_minutes
    meeting.place = place.strip()
    meeting.save(update_fields=["kind", "title", "starts_at", "duration_minutes", "place"])
    log_event(action=A.UPDATE, member=member, obj=meeting)
    return meeting


@transaction.atomic
def do_write_general_notes(member: Member, meeting: Meeting, notes: str) -> Meeting:
    """The meeting's general notes: about the team's work, not about a named person
    (those go in a situation's notes, which follow the person's access policy)."""
    require_plan(member, meeting)
    require_open(meeting)
    meeting.notes = notes.replace("\x00", "").strip()
    meeting.save(update_fields=["notes"])
    log_event(action=A.UPDATE, member=member, obj=meeting)
    return meeting


@transaction.atomic
def do_set_status(member: Member, meeting: Meeting, status: str) -> Meeting:
    """A planned meeting is held or cancelled, once."""
    require_plan(member, meeting)
    require_planned(meeting)
    if status not in {MeetingStatus.HELD, MeetingStatus.CANCELLED}:
        raise ValueError("status")
    meeting.status = status
    meeting.save(update_fields=["status"])
    log_event(action=A.UPDATE, member=member, obj=meeting)
    return meeting


# --- Attendees ------------------------------------------------------------------------


def _invite(meeting: Meeting, **who: object) -> Attendee:
    """Invite once: an earlier attendee row for the same someone is invited again."""
    kind = str(who.pop("kind"))
    existing = Attendee.objects.filter(meeting=meeting, **who).first()
    if existing is not None:
        if not existing.invited:
            existing.invited = True
            existing.save(update_fields=["invited"])
        return existing
    return Attendee.objects.create(meeting=meeting, kind=kind, invited=True, **who)


@transaction.atomic
def do_invite_members(
    member: Member, meeting: Meeting, members: Iterable[Member]
) -> list[Attendee]:
    """Members of the team (or partners with an account) of the meeting's structure."""
    require_plan(member, meeting)
    require_planned(meeting)
    invited = []
    for someone in members:
        if (
            someone.structure_id != meeting.structure_id
            or not someone.is_active
            or someone.role == Role.NETWORK_OBSERVER
        ):
            raise PermissionDenied("a member of the structure")
        kind = AttendeeKind.PARTNER if someone.role == Role.PARTNER else AttendeeKind.MEMBER
        invited.append(_invite(meeting, kind=kind, member=someone))
    if invited:
        log_event(action=A.UPDATE, member=member, obj=meeting)
    return invited


def _situation_persons(meeting: Meeting) -> set[int]:
    return set(meeting.items.filter(person__isnull=False).values_list("person_id", flat=True))


@transaction.atomic
def do_invite_person(member: Member, meeting: Meeting, person: Person) -> Attendee:
    """The person whose situation is on the agenda: part of the discussion about them."""
    require_plan(member, meeting)
    require_planned(meeting)
    if person.pk not in _situation_persons(meeting):
        raise PermissionDenied("a person whose situation is on the agenda")
    attendee = _invite(meeting, kind=AttendeeKind.PERSON, person=person)
    log_event(action=A.UPDATE, member=member, person=person, section=SECTION, obj=attendee)
    return attendee


def invitable_relations(meeting: Meeting) -> list[Relation]:
    """Current relatives, whom the person agreed the team may contact, of the persons on
    the agenda and not invited yet."""
    invited = Attendee.objects.filter(meeting=meeting, relation__isnull=False, invited=True).values(
        "relation_id"
    )
    return list(
        Relation.objects.filter(
            person_id__in=_situation_persons(meeting),
            ended_at__isnull=True,
            team_may_contact=True,
        )
        .exclude(pk__in=invited)
        .select_related("person")
        .order_by("person_id", "name", "pk")
    )


@transaction.atomic
def do_invite_relatives(
    member: Member, meeting: Meeting, relations: Iterable[Relation]
) -> list[Attendee]:
    require_plan(member, meeting)
    require_planned(meeting)
    allowed = _situation_persons(meeting)
    invited = []
    for relation in relations:
        if (
            relation.person_id not in allowed
            or relation.ended_at is not None
            or not relation.team_may_contact
        ):
            raise PermissionDenied("a relative of a person on the agenda")
        attendee = _invite(meeting, kind=AttendeeKind.RELATIVE, relation=relation)
        if not attendee.name:
            attendee.name = relation.name
            attendee.save(update_fields=["name"])
        log_event(
            action=A.UPDATE,
            member=member,
            person=relation.person,
            section=SECTION,
            obj=attendee,
        )
        invited.append(attendee)
    return invited


@transaction.atomic
def do_invite_external(member: Member, meeting: Meeting, name: str) -> Attendee:
    """Someone from outside the team, by name."""
    require_plan(member, meeting)
    require_planned(meeting)
    if not name.strip():
        raise ValueError("name")
    attendee = Attendee.objects.create(
        meeting=meeting, kind=AttendeeKind.PARTNER, name=name.strip(), invited=True
    )
    log_event(action=A.UPDATE, member=member, obj=meeting)
    return attendee


@transaction.atomic
def do_withdraw_invitation(member: Member, attendee: Attendee) -> Attendee:
    """The invitation is withdrawn; the row stays, so that nothing is lost."""
    meeting = attendee.meeting
    require_plan(member, meeting)
    require_planned(meeting)
    attendee.invited = False
    attendee.save(update_fields=["invited"])
    person = attendee.person or (attendee.relation.person if attendee.relation else None)
    log_event(
        action=A.UPDATE,
        member=member,
        person=person,
        section=SECTION if person else "",
        obj=attendee,
    )
    return attendee


@transaction.atomic
def do_record_presence(member: Member, meeting: Meeting, presence: dict[int, bool | None]) -> int:
    """Who was there: ``{attendee pk: True, False or None (not known)}``. Returns how many
    answers changed."""
    require_plan(member, meeting)
    require_open(meeting)
    changed = 0
    attendees = meeting.attendees.select_related("person", "relation__person")
    for attendee in attendees.filter(pk__in=list(presence)):
        value = presence[attendee.pk]
        if attendee.present == value:
            continue
        attendee.present = value
        attendee.save(update_fields=["present"])
        changed += 1
        person = attendee.relation.person if attendee.relation else attendee.person
        if person is not None:
            log_event(action=A.UPDATE, member=member, person=person, section=SECTION, obj=attendee)
    if changed:
        log_event(action=A.UPDATE, member=member, obj=meeting)
    return changed


# --- The agenda -----------------------------------------------------------------------


def _next_position(meeting: Meeting) -> int:
    top = meeting.items.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


@transaction.atomic
def do_add_situation(
    member: Member, meeting: Meeting, person: Person, access: RecordAccess | None
) -> AgendaItem:
    """A person's situation on the agenda: a write in their coordination section. A
    practice-analysis session discusses practice, not named persons."""
    require_plan(member, meeting)
    require_open(meeting)
    if meeting.kind == MeetingKind.PRACTICE:
        raise MeetingError("practice")
    if not persons_with_section(member, SECTION).filter(pk=person.pk).exists():
        raise PermissionDenied("coordination section not readable")
    if (
        access is None
        or access.member.pk != member.pk
        or access.person.pk != person.pk
        or not access.can_write(SECTION)
    ):
        raise PermissionDenied("no write right on coordination")
    if meeting.items.filter(person=person).exists():
        raise MeetingError("already")
    item = AgendaItem.objects.create(
        meeting=meeting, person=person, position=_next_position(meeting)
    )
    _log_item(member, item, A.CREATE)
    return item


@transaction.atomic
def do_add_theme(member: Member, meeting: Meeting, theme: str) -> AgendaItem:
    require_plan(member, meeting)
    require_open(meeting)
    if not theme.strip():
        raise ValueError("theme")
    item = AgendaItem.objects.create(
        meeting=meeting, theme=theme.strip(), position=_next_position(meeting)
    )
    log_event(action=A.UPDATE, member=member, obj=meeting)
    return item


@transaction.atomic
def do_move_item(member: Member, item: AgendaItem, up: bool) -> None:
    """One place up or down; the agenda's positions are renumbered 0, 1, 2…"""
    meeting = item.meeting
    require_plan(member, meeting)
    require_open(meeting)
    items = list(
        meeting.items.select_related("person")
        .select_for_update(of=("self",))
        .order_by("position", "pk")
    )
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if up else index + 1
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])
            _log_item(member, other, A.UPDATE)
    log_event(action=A.UPDATE, member=member, obj=meeting)


@transaction.atomic
def do_write_notes(
    member: Member, item: AgendaItem, notes: str, access: RecordAccess | None = None
) -> AgendaItem:
    """The notes of an item. Those of a situation need the right to write the person's
    coordination section (``access``)."""
    meeting = item.meeting
    require_plan(member, meeting)
    require_open(meeting)
    if item.person_id is not None:
        require_situation_write(member, item, access)
    item.notes = notes.replace("\x00", "").strip()
    item.save(update_fields=["notes"])
    if item.person_id is not None:
        _log_item(member, item, A.UPDATE)
    else:
        log_event(action=A.UPDATE, member=member, obj=meeting)
    return item


@transaction.atomic
def do_remove_item(member: Member, item: AgendaItem, access: RecordAccess | None = None) -> None:
    """An item withdrawn before the meeting, if nothing was written on it yet (nothing
    written is ever deleted)."""
    meeting = item.meeting
    require_plan(member, meeting)
    require_planned(meeting)
    if item.person_id is not None:
        require_situation_write(member, item, access)
    if item.notes or item.tasks.exists() or item.actions.exists():
        raise MeetingError("not_empty")
    _log_item(member, item, A.UPDATE)
    if item.person_id is None:
        log_event(action=A.UPDATE, member=member, obj=meeting)
    item.delete()


@transaction.atomic
def do_record_decision(
    member: Member,
    item: AgendaItem,
    *,
    text: str,
    outcome: str,
    assignees: Iterable[Member] = (),
    owner_kind: str = "",
    owner_name: str = "",
    due_on: datetime.date | None = None,
    access: RecordAccess | None = None,
) -> Task | ProjectAction:
    """A decision of the meeting, in one step: a task for members of the team (about the
    person for a situation), or an action of the person's health project (opened if
    needed), both linked to the item."""
    meeting = item.meeting
    require_plan(member, meeting)
    require_open(meeting)
    if item.person_id is not None:
        require_situation_write(member, item, access)
    else:
        access = None
    people = list(assignees)
    if outcome == "task":
        return do_create_task(
            member,
            title=text,
            assignees=people,
            due_on=due_on,
            access=access,
            meeting_item_id=item.pk,
            kind=TaskKind.DECISION,
        )
    if outcome != "action" or access is None:
        raise MeetingError("action_needs_situation")
    if owner_kind not in OwnerKind.values:
        raise ValueError("owner_kind")
    owner_member = None
    if owner_kind == OwnerKind.MEMBER:
        if len(people) != 1:
            raise ValueError("one member")
        owner_member = people[0]
        owner_name = ""
    project = do_open_project(access)
    return do_add_action(
        access,
        project,
        description=text,
        owner_kind=owner_kind,
        owner_member=owner_member,
        owner_name=owner_name,
        due_on=due_on,
        meeting_item_id=item.pk,
    )
