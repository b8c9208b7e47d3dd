"""Writes of the agenda. Booking and moving take a lock on every member and room they
hold before looking for conflicts, so that two receptionists booking the same slot at the
same instant cannot both succeed: on PostgreSQL the rows of the members and the room are
locked (``SELECT … FOR NO KEY UPDATE``, always in the same order); on SQLite every write
transaction starts with ``BEGIN IMMEDIATE`` and so runs one at a time.

An appointment with a registered person is a write in the coordination section of their
record, and is audited as such."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from maillage.agenda.models import (
    Absence,
    Appointment,
    AppointmentMember,
    AppointmentStatus,
    Interpreting,
    MemberLanguage,
    ReminderChannel,
    ReminderChoice,
    Room,
    WorkingHours,
)
from maillage.agenda.queries import LONGEST_APPOINTMENT, conflicts
from maillage.agenda.tasks import plan_reminder
from maillage.coordination.models import Task, TaskKind
from maillage.core.access import DESK_ROLES, can
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.lib import appointments as flow
from maillage.people.models import Person
from maillage.record.models import CareTeamMember
from maillage.territory.models import Service

A = AccessEvent.Action
SECTION = Section.COORDINATION


class Conflict(Exception):
    """The slot cannot be booked; ``reasons`` says why, in words for the member."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass
class Booking:
    """What an appointment is: who, when, where, with which interpreter."""

    kind: str
    members: Sequence[Member]
    starts_at: datetime.datetime
    duration: datetime.timedelta
    person: Person | None = None
    unregistered_name: str = ""
    unregistered_phone: str = ""
    room: Room | None = None
    place: str = ""
    reason: str = ""
    reception_notes: str = ""
    interpreting: str = Interpreting.NONE
    language: str = ""
    interpreter: Member | None = None
    interpreter_service: Service | None = None
    outside_hours_ok: bool = False

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + self.duration


def _check_booking(author: Member, booking: Booking) -> None:
    structure_id = author.structure_id
    if not can(author, "book_appointment", author.structure):
        raise PermissionDenied("book_appointment")
    if booking.person is not None and not can(author, "view_identity", booking.person):
        raise PermissionDenied("person of another structure")
    if booking.person is None and not booking.unregistered_name.strip():
        raise ValueError("an appointment is with someone")
    if not booking.members:
        raise ValueError("an appointment needs a member")
    _check_duration(booking.duration)
    held = [*booking.members, *([booking.interpreter] if booking.interpreter else [])]
    if any(m.structure_id != structure_id or not m.is_active for m in held):
        raise PermissionDenied("members of the structure")
    if booking.interpreter is not None and booking.interpreter.role != Role.INTERPRETER:
        raise ValueError("the interpreter is a member with the interpreter role")
    if booking.room is not None and (
        booking.room.structure_id != structure_id or not booking.room.is_active
    ):
        raise PermissionDenied("room of the structure")
    if booking.interpreting == Interpreting.NONE and (
        booking.interpreter is not None or booking.interpreter_service is not None
    ):
        raise ValueError("an interpreter without interpreting")


def _check_duration(duration: datetime.timedelta) -> None:
    if not datetime.timedelta(0) < duration <= LONGEST_APPOINTMENT:
        raise ValueError("an appointment lasts more than nothing and at most 12 hours")


def _lock(members: Sequence[Member], room: Room | None) -> None:
    """Hold the members' and the room's rows until the transaction ends (PostgreSQL); the
    order is always the same so that two bookings never wait for each other in a circle."""
    ids = sorted({m.pk for m in members})
    list(Member.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    if room is not None:
        list(Room.objects.select_for_update(no_key=True).filter(pk=room.pk))


def _held_members(booking: Booking) -> list[tuple[Member, bool]]:
    held = [(m, False) for m in dict.fromkeys(booking.members)]
    if booking.interpreter is not None and booking.interpreter not in booking.members:
        held.append((booking.interpreter, True))
    return held


@transaction.atomic
def do_book_appointment(author: Member, booking: Booking) -> Appointment:
    """Book the appointment, or raise ``Conflict`` with every reason it cannot be."""
    _check_booking(author, booking)
    held = _held_members(booking)
    _lock([m for m, _i in held], booking.room)
    found = conflicts(
        (booking.starts_at, booking.ends_at),
        members=[m for m, _i in held],
        room=booking.room,
        outside_hours_ok=booking.outside_hours_ok,
    )
    if found:
        raise Conflict(found)
    appointment = Appointment.objects.create(
        structure_id=author.structure_id,
        kind=booking.kind,
        person=booking.person,
        unregistered_name="" if booking.person else booking.unregistered_name.strip(),
        unregistered_phone="" if booking.person else booking.unregistered_phone.strip(),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        room=booking.room,
        place=booking.place.strip(),
        reason=booking.reason.strip(),
        reception_notes=booking.reception_notes.strip(),
        interpreting=booking.interpreting,
        language=booking.language if booking.interpreting != Interpreting.NONE else "",
        interpreter=booking.interpreter,
        interpreter_service=booking.interpreter_service,
        created_by=author,
    )
    AppointmentMember.objects.bulk_create(
        AppointmentMember(
            appointment=appointment,
            member=member,
            as_interpreter=as_interpreter,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
        )
        for member, as_interpreter in held
    )
    _audit(author, appointment, A.CREATE)
    transaction.on_commit(lambda: plan_reminder(appointment))
    return appointment


@transaction.atomic
def do_move_appointment(
    author: Member,
    appointment: Appointment,
    *,
    starts_at: datetime.datetime,
    duration: datetime.timedelta,
    room: Room | None,
    outside_hours_ok: bool = False,
) -> Appointment:
    """A new time (and room) for an appointment still to come, with the same checks as a
    booking; the members and the interpreter stay."""
    if not can(author, "book_appointment", author.structure):
        raise PermissionDenied("book_appointment")
    if appointment.structure_id != author.structure_id:
        raise PermissionDenied("appointment of another structure")
    if appointment.status != AppointmentStatus.EXPECTED:
        raise flow.TransitionError(appointment.status)
    if room is not None and (room.structure_id != author.structure_id or not room.is_active):
        raise PermissionDenied("room of the structure")
    _check_duration(duration)
    held = [p.member for p in appointment.participants.select_related("member__user")]
    _lock(held, room)
    ends_at = starts_at + duration
    found = conflicts(
        (starts_at, ends_at),
        members=held,
        room=room,
        exclude_appointment=appointment.pk,
        outside_hours_ok=outside_hours_ok,
    )
    if found:
        raise Conflict(found)
    appointment.starts_at, appointment.ends_at, appointment.room = starts_at, ends_at, room
    appointment.save(update_fields=["starts_at", "ends_at", "room"])
    AppointmentMember.objects.filter(appointment=appointment).update(
        starts_at=starts_at, ends_at=ends_at
    )
    _audit(author, appointment, A.UPDATE)
    transaction.on_commit(lambda: plan_reminder(appointment))
    return appointment


# --- The day at the desk ----------------------------------------------------------------

TIMESTAMPS = {
    flow.ARRIVED: "arrived_at",
    flow.IN_CONSULTATION: "called_at",
    flow.SEEN: "seen_at",
}


def may_set_status(member: Member, appointment: Appointment, status: str) -> bool:
    """The desk moves every appointment of the day; a member who takes part in it may call
    the person in and see them out."""
    if appointment.structure_id != member.structure_id:
        return False
    if can(member, "run_desk", member.structure):
        return True
    # The participants are usually prefetched (the desk's list): no query per row.
    takes_part = appointment.interpreter_id == member.pk or any(
        p.member_id == member.pk for p in appointment.participants.all()
    )
    return takes_part and status in {flow.IN_CONSULTATION, flow.SEEN, flow.WAITING}


@transaction.atomic
def do_set_status(
    author: Member, appointment: Appointment, status: str, now: datetime.datetime | None = None
) -> Appointment:
    """Move the appointment along the desk's day; a no-show makes a follow-up task for the
    person's referent. Cancelling goes through ``do_cancel_appointment``."""
    if status == flow.CANCELLED or not may_set_status(author, appointment, status):
        raise PermissionDenied(status)
    flow.check_status(appointment.status, status)
    now = now or timezone.now()
    fields = ["status"]
    going_back = flow.STATUSES.index(status) < flow.STATUSES.index(appointment.status)
    if going_back and appointment.status in TIMESTAMPS:
        setattr(appointment, TIMESTAMPS[appointment.status], None)
        fields.append(TIMESTAMPS[appointment.status])
    if status in TIMESTAMPS and getattr(appointment, TIMESTAMPS[status]) is None:
        setattr(appointment, TIMESTAMPS[status], now)
        fields.append(TIMESTAMPS[status])
    if status in {flow.IN_CONSULTATION, flow.SEEN} and appointment.arrived_at is None:
        # Straight from the waiting room list to the consultation: the person was here.
        appointment.arrived_at = now
        fields.append("arrived_at")
    appointment.status = status
    appointment.save(update_fields=fields)
    AppointmentMember.objects.filter(appointment=appointment).update(holding=status in flow.HOLDING)
    _audit(author, appointment, A.UPDATE)
    if status == flow.NO_SHOW:
        _no_show_task(author, appointment)
    if status == flow.SEEN and appointment.person_id is not None:
        Person.objects.filter(pk=appointment.person_id).update(last_contact_at=now)
    return appointment


def _no_show_task(author: Member, appointment: Appointment) -> Task | None:
    """One follow-up task per missed appointment, for the person's referent (or, without
    one, the members of the appointment)."""
    if appointment.follow_up_task_id is not None:
        return None
    assignees: list[Member] = []
    if appointment.person_id is not None:
        referent = (
            CareTeamMember.objects.current()
            .filter(person_id=appointment.person_id, is_referent=True, member__is_active=True)
            .select_related("member")
            .first()
        )
        if referent is not None:
            assignees = [referent.member]
    if not assignees:
        assignees = [
            p.member
            for p in appointment.participants.filter(
                as_interpreter=False, member__is_active=True
            ).select_related("member")
        ]
    if not assignees:
        return None
    local = timezone.localtime(appointment.starts_at)
    task = Task.objects.create(
        structure_id=appointment.structure_id,
        title=local.strftime("%d/%m/%Y %H:%M"),
        kind=TaskKind.NO_SHOW,
        person_id=appointment.person_id,
        due_on=timezone.localdate() + datetime.timedelta(days=2),
        created_by=author,
    )
    task.assignees.set(assignees)
    appointment.follow_up_task = task
    appointment.save(update_fields=["follow_up_task"])
    log_event(
        action=A.CREATE,
        member=author,
        person=appointment.person,
        section=SECTION if appointment.person_id else "",
        obj=task,
    )
    return task


@transaction.atomic
def do_cancel_appointment(
    appointment: Appointment,
    *,
    reason: str,
    author: Member | None = None,
    by_person: Any = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel an appointment still to come: by a member who may book (``author``), or by
    the person from their space (``by_person``: their user account). The members, room
    and interpreter are free again."""
    if by_person is not None:
        if author is not None or appointment.person is None:
            raise ValueError("the person cancels alone, their own appointment")
        if appointment.person.user_id != by_person.pk:
            raise PermissionDenied("another person's appointment")
    elif author is None or not (
        can(author, "book_appointment", author.structure)
        and appointment.structure_id == author.structure_id
    ):
        raise PermissionDenied("cancel")
    flow.check_status(appointment.status, flow.CANCELLED)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now or timezone.now()
    appointment.cancel_reason = reason.strip()[:300]
    appointment.cancelled_by_person = by_person is not None
    appointment.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "cancelled_by_person"]
    )
    AppointmentMember.objects.filter(appointment=appointment).update(holding=False)
    if author is not None:
        _audit(author, appointment, A.UPDATE)
    else:
        log_event(
            action=A.UPDATE,
            user=by_person,
            person=appointment.person,
            section=SECTION,
            obj=appointment,
            reason="appointment_cancelled_by_person",
        )
    return appointment


def _desk_members(structure_id: int) -> list[Member]:
    return list(
        Member.objects.active().filter(structure_id=structure_id, role=Role.RECEPTION)
    ) or list(Member.objects.active().filter(structure_id=structure_id, role__in=DESK_ROLES))


@transaction.atomic
def do_ask_to_move(appointment: Appointment, *, wish: str, user: Any) -> Task:
    """The person asks, from their space (``user``: their account), for another time:
    reception gets a task."""
    if appointment.status != AppointmentStatus.EXPECTED or appointment.person is None:
        raise flow.TransitionError(appointment.status)
    if appointment.person.user_id != user.pk:
        raise PermissionDenied("another person's appointment")
    assignees = _desk_members(appointment.structure_id) or [
        p.member for p in appointment.participants.select_related("member")
    ]
    local = timezone.localtime(appointment.starts_at)
    task = Task.objects.create(
        structure_id=appointment.structure_id,
        title=local.strftime("%d/%m/%Y %H:%M"),
        details=wish.strip()[:2000],
        kind=TaskKind.MOVE_REQUEST,
        person_id=appointment.person_id,
        due_on=timezone.localdate() + datetime.timedelta(days=1),
        created_by=appointment.created_by,
    )
    task.assignees.set(assignees)
    log_event(
        action=A.CREATE,
        user=user,
        person=appointment.person,
        section=SECTION,
        obj=task,
        reason="appointment_move_requested_by_person",
    )
    return task


def _audit(author: Member, appointment: Appointment, action: str) -> None:
    log_event(
        action=action,
        member=author,
        person=appointment.person,
        section=SECTION if appointment.person_id else "",
        obj=appointment,
    )


class AlreadyAttached(Exception):
    """The appointment is already attached to a person's record."""


@transaction.atomic
def do_attach_person(author: Member, appointment: Appointment, person: Person) -> Appointment:
    """Attach an appointment booked by name and phone to the person's record, once they
    are found or registered (usually when they arrive). The name and phone it was booked
    with stay on it; a follow-up task of a missed appointment follows; its reminder is
    planned if it is still to come."""
    if (
        appointment.structure_id != author.structure_id
        or not can(author, "book_appointment", author.structure)
        or not can(author, "view_identity", person)
        or person.merged_into_id is not None
    ):
        raise PermissionDenied("attach_person")
    # Locked: two members attaching the same appointment at once — one wins.
    current = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
    if current is None or current.person_id is not None:
        raise AlreadyAttached(appointment.pk)
    appointment.person = person
    appointment.save(update_fields=["person"])
    if appointment.follow_up_task_id is not None:
        Task.objects.filter(pk=appointment.follow_up_task_id, person__isnull=True).update(
            person=person
        )
    if appointment.status == flow.SEEN and appointment.seen_at is not None:
        Person.objects.filter(
            Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=appointment.seen_at),
            pk=person.pk,
        ).update(last_contact_at=appointment.seen_at)
    log_event(
        action=A.UPDATE,
        member=author,
        person=person,
        section=SECTION,
        obj=appointment,
        reason="appointment_attached",
    )
    if appointment.status == flow.EXPECTED and appointment.starts_at > timezone.now():
        transaction.on_commit(lambda: plan_reminder(appointment))
    return appointment


@transaction.atomic
def do_link_entry(appointment: Appointment, entry_id: int) -> None:
    """The journal entry written from the appointment (the first one counts, even when
    two are written at once: the row is updated only while it has none)."""
    linked = Appointment.objects.filter(pk=appointment.pk, entry__isnull=True).update(
        entry_id=entry_id
    )
    if linked:
        appointment.entry_id = entry_id
    else:
        appointment.refresh_from_db(fields=["entry"])


# --- The person's choice of reminders ---------------------------------------------------

NO_REMINDERS = "none"


@transaction.atomic
def do_record_reminder_choice(
    person: Person, choice: str, *, member: Member | None = None, user: Any = None
) -> ReminderChoice:
    """Reminders by SMS, by e-mail, or none (``NO_REMINDERS``): said by the person in their
    space (``user``, their account) or recorded by a member on their behalf. The latest
    choice counts; earlier ones stay."""
    if member is not None:
        if not can(member, "book_appointment", member.structure) or not can(
            member, "view_identity", person
        ):
            raise PermissionDenied("record_reminder_choice")
    elif user is None or person.user_id != user.pk:
        raise PermissionDenied("another person")
    if choice not in {NO_REMINDERS, ReminderChannel.SMS, ReminderChannel.EMAIL}:
        raise ValueError(choice)
    made = ReminderChoice.objects.create(
        person=person,
        wants_reminders=choice != NO_REMINDERS,
        channel="" if choice == NO_REMINDERS else choice,
        recorded_by=member,
        by_the_person=member is None,
    )
    log_event(
        action=A.CREATE,
        member=member,
        user=user,
        person=person,
        section=Section.ADMINISTRATIVE,
        obj=made,
    )
    return made


def current_reminder_choice(person: Person) -> str:
    """The person's latest choice as the form shows it ("" when they never said)."""
    latest = ReminderChoice.objects.filter(person=person).first()
    if latest is None:
        return ""
    return latest.channel if latest.wants_reminders else NO_REMINDERS


# --- Rooms, working hours, absences, languages -----------------------------------------


def _keeps(author: Member, member: Member) -> bool:
    """A member keeps their own agenda; the desk, coordinators and the administrator keep
    everyone's in their structure."""
    if member.structure_id != author.structure_id:
        return False
    return member.pk == author.pk or can(author, "manage_agendas", author.structure)


@transaction.atomic
def do_save_room(
    author: Member,
    room: Room | None,
    *,
    name: str,
    equipment: Sequence[str],
    details: str,
    is_active: bool = True,
) -> Room:
    if not can(author, "manage_rooms", author.structure):
        raise PermissionDenied("manage_rooms")
    if room is None:
        room = Room(structure_id=author.structure_id)
    elif room.structure_id != author.structure_id:
        raise PermissionDenied("room of another structure")
    room.name, room.equipment, room.details = name.strip(), list(equipment), details.strip()
    room.is_active = is_active
    room.save()
    log_event(action=A.UPDATE, member=author, obj=room)
    return room


@transaction.atomic
def do_set_working_hours(
    author: Member,
    member: Member,
    hours: Sequence[tuple[int, datetime.time, datetime.time]],
) -> None:
    """Replace the member's weekly working hours (an empty list: available at any time)."""
    if not _keeps(author, member):
        raise PermissionDenied("manage_agendas")
    WorkingHours.objects.filter(member=member).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(member=member, weekday=day, starts=start, ends=end)
        for day, start, end in hours
    )
    log_event(action=A.UPDATE, member=author, obj=member)


@transaction.atomic
def do_add_absence(
    author: Member,
    member: Member,
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    kind: str,
    note: str = "",
) -> Absence:
    if not _keeps(author, member):
        raise PermissionDenied("manage_agendas")
    absence = Absence.objects.create(
        member=member,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        note=note.strip(),
        created_by=author,
    )
    log_event(action=A.CREATE, member=author, obj=absence)
    return absence


@transaction.atomic
def do_remove_absence(author: Member, absence: Absence) -> None:
    if not _keeps(author, absence.member):
        raise PermissionDenied("manage_agendas")
    log_event(action=A.UPDATE, member=author, obj=absence, reason="removed")
    absence.delete()


@transaction.atomic
def do_set_languages(author: Member, member: Member, languages: Sequence[str]) -> None:
    if not _keeps(author, member):
        raise PermissionDenied("manage_agendas")
    MemberLanguage.objects.filter(member=member).exclude(language__in=languages).delete()
    known = set(MemberLanguage.objects.filter(member=member).values_list("language", flat=True))
    MemberLanguage.objects.bulk_create(
        MemberLanguage(member=member, language=code) for code in languages if code not in known
    )
    log_event(action=A.UPDATE, member=author, obj=member)


__all__ = [
    "Booking",
    "Conflict",
    "do_add_absence",
    "do_ask_to_move",
    "do_book_appointment",
    "do_cancel_appointment",
    "do_link_entry",
    "do_move_appointment",
    "do_remove_absence",
    "do_save_room",
    "do_set_languages",
    "do_set_status",
    "do_set_working_hours",
    "may_set_status",
]
