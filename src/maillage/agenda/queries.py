"""Reads of the agenda: who and what is busy when, the free slots common to several
members, a room and an interpreter, a member's or a room's days, the reception desk's
day. Every period is half-open, [start, end)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.agenda.models import (
    Absence,
    Appointment,
    AppointmentMember,
    MemberLanguage,
    Room,
    WorkingHours,
)
from maillage.coordination.models import Attendee, MeetingStatus
from maillage.coordination.queries.meetings import day_bounds
from maillage.core.access import can, persons_for_member, persons_with_section
from maillage.core.models import Member
from maillage.core.roles import Role, Section
from maillage.lib import appointments as flow
from maillage.lib import slots
from maillage.people.models import Person

Interval = slots.Interval
# A coordination meeting is read as busy from its start; none lasts longer than this.
LONGEST_MEETING = datetime.timedelta(hours=12)
# No appointment lasts longer (the actions refuse it): the appointments overlapping a
# period are then read from a bounded range of starts, on the start index, rather than
# from two open-ended conditions the database cannot estimate.
LONGEST_APPOINTMENT = datetime.timedelta(hours=12)


def overlapping(period: Interval) -> dict[str, datetime.datetime]:
    """Lookups for the appointments (or ``AppointmentMember`` rows) overlapping
    ``period``."""
    start, end = period
    return {
        "starts_at__lt": end,
        "starts_at__gt": start - LONGEST_APPOINTMENT,
        "ends_at__gt": start,
    }


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


# --- Who may be booked ------------------------------------------------------------------


def bookable_members(structure_id: int) -> QuerySet[Member]:
    """Active members of the structure who meet persons (not the administrator)."""
    return (
        Member.objects.active()
        .filter(structure_id=structure_id)
        .exclude(role__in=[Role.ADMIN, Role.PARTNER, Role.NETWORK_OBSERVER])
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def interpreters_for(structure_id: int, language: str) -> list[Member]:
    """The structure's interpreters who interpret ``language``, by name."""
    speaking = MemberLanguage.objects.filter(language=language).values("member_id")
    return list(bookable_members(structure_id).filter(role=Role.INTERPRETER, pk__in=speaking))


def rooms_of(structure_id: int, active: bool = True) -> QuerySet[Room]:
    rooms = Room.objects.filter(structure_id=structure_id)
    return rooms.filter(is_active=True) if active else rooms


# --- Busy and available time ------------------------------------------------------------


@dataclass
class Busy:
    """What keeps each member and room busy over a period, with the reason in words."""

    members: dict[int, list[tuple[Interval, str]]] = field(default_factory=dict)
    rooms: dict[int, list[tuple[Interval, str]]] = field(default_factory=dict)


def busy_over(
    period: Interval,
    member_ids: Iterable[int],
    room_ids: Iterable[int] = (),
    exclude_appointment: int | None = None,
) -> Busy:
    """Appointments that hold the members or rooms, the coordination meetings the members
    are invited to, and the members' absences, overlapping ``period`` (four queries)."""
    start, end = period
    member_ids = sorted(set(member_ids))
    room_ids = sorted(set(room_ids))
    busy = Busy(members={pk: [] for pk in member_ids}, rooms={pk: [] for pk in room_ids})
    held = AppointmentMember.objects.filter(
        member_id__in=member_ids, holding=True, **overlapping(period)
    )
    if exclude_appointment is not None:
        held = held.exclude(appointment_id=exclude_appointment)
    appointment = _("an appointment")
    for member_id, s, e in held.values_list("member_id", "starts_at", "ends_at"):
        busy.members[member_id].append(((s, e), appointment))
    meetings = Attendee.objects.filter(
        member_id__in=member_ids,
        meeting__starts_at__lt=end,
        meeting__starts_at__gt=start - LONGEST_MEETING,
    ).exclude(meeting__status=MeetingStatus.CANCELLED)
    meeting = _("a coordination meeting")
    for member_id, s, minutes in meetings.values_list(
        "member_id", "meeting__starts_at", "meeting__duration_minutes"
    ):
        e = s + datetime.timedelta(minutes=minutes or 60)
        if s < end and e > start:
            busy.members[member_id].append(((s, e), meeting))
    absent = Absence.objects.filter(member_id__in=member_ids, starts_at__lt=end, ends_at__gt=start)
    absence = _("an absence")
    for member_id, s, e in absent.values_list("member_id", "starts_at", "ends_at"):
        busy.members[member_id].append(((s, e), absence))
    if room_ids:
        booked = Appointment.objects.filter(
            room_id__in=room_ids, status__in=flow.HOLDING, **overlapping(period)
        )
        if exclude_appointment is not None:
            booked = booked.exclude(pk=exclude_appointment)
        for room_id, s, e in booked.values_list("room_id", "starts_at", "ends_at"):
            busy.rooms[room_id].append(((s, e), appointment))
    return busy


def working_windows(member_ids: Iterable[int], period: Interval) -> dict[int, list[Interval]]:
    """Each member's working hours over the period (one query). A member without any
    working hours recorded is taken as available at any time: hours are optional."""
    tz = local_tz()
    start, end = period
    first = start.astimezone(tz).date()
    last = (end - datetime.timedelta(microseconds=1)).astimezone(tz).date()
    patterns: dict[int, list[tuple[int, datetime.time, datetime.time]]] = defaultdict(list)
    rows = WorkingHours.objects.filter(member_id__in=list(member_ids))
    for member_id, weekday, s, e in rows.values_list("member_id", "weekday", "starts", "ends"):
        patterns[member_id].append((weekday, s, e))
    return {
        member_id: slots.intersect(slots.weekly_windows(pattern, first, last, tz), [period])
        for member_id, pattern in patterns.items()
    }


def conflicts(
    period: Interval,
    *,
    members: Sequence[Member],
    room: Room | None = None,
    exclude_appointment: int | None = None,
    outside_hours_ok: bool = False,
) -> list[str]:
    """Why the members (interpreter included) or the room cannot be booked for the
    period, in words; empty when they all can."""
    busy = busy_over(
        period,
        [m.pk for m in members],
        [room.pk] if room else [],
        exclude_appointment=exclude_appointment,
    )
    start, end = period
    found: list[str] = []
    for member in members:
        for (s, e), what in busy.members[member.pk]:
            if flow.overlaps(start, end, s, e):
                found.append(
                    _("%(member)s already has %(what)s from %(start)s to %(end)s.")
                    % {
                        "member": member.display_name,
                        "what": what,
                        "start": _hm(s),
                        "end": _hm(e),
                    }
                )
                break
    if room is not None:
        for (s, e), _what in busy.rooms.get(room.pk, []):
            if flow.overlaps(start, end, s, e):
                found.append(
                    _("The room %(room)s is taken from %(start)s to %(end)s.")
                    % {"room": room.name, "start": _hm(s), "end": _hm(e)}
                )
                break
    if not outside_hours_ok:
        windows = working_windows([m.pk for m in members], period)
        for member in members:
            hours = windows.get(member.pk)
            if hours is not None and not any(s <= start and end <= e for s, e in hours):
                found.append(
                    _("%(member)s does not work at that time.") % {"member": member.display_name}
                )
    return found


def _hm(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%d/%m %H:%M")


# --- Free slots -------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSlot:
    start: datetime.datetime
    end: datetime.datetime
    interpreter: Member | None
    compact: bool


def free_slots(
    *,
    members: Sequence[Member],
    period: Interval,
    duration: datetime.timedelta,
    room: Room | None = None,
    interpreters: Sequence[Member] = (),
    step: datetime.timedelta = datetime.timedelta(minutes=15),
    limit: int = 30,
    not_before: datetime.datetime | None = None,
) -> list[FreeSlot]:
    """The slots of ``duration`` when every member, the room and one of the interpreters
    are all free and at work, best first (see ``lib.slots``). Four queries for the busy
    time and one for the working hours, whatever the size of the agendas."""
    start, end = period
    if not_before is not None and not_before > start:
        start = not_before
    if start >= end:
        return []
    period = (start, end)
    people = {m.pk: m for m in [*members, *interpreters]}
    busy = busy_over(period, people, [room.pk] if room else [])
    windows = working_windows(people, period)

    def resource(member: Member) -> slots.Resource:
        hours = windows.get(member.pk)
        return slots.Resource(
            key=f"m{member.pk}",
            busy=tuple(interval for interval, _what in busy.members[member.pk]),
            available=tuple(hours) if hours is not None else None,
        )

    requirements = [slots.Requirement((resource(m),)) for m in members]
    if room is not None:
        room_busy = tuple(interval for interval, _what in busy.rooms[room.pk])
        requirements.append(slots.Requirement((slots.Resource(key=f"r{room.pk}", busy=room_busy),)))
    if interpreters:
        requirements.append(slots.Requirement(tuple(resource(m) for m in interpreters)))
    found = slots.free_slots(requirements, period, duration, step=step, tz=local_tz(), limit=limit)
    return [
        FreeSlot(
            start=slot.start,
            end=slot.end,
            interpreter=people[int(slot.chosen[-1][1:])] if interpreters else None,
            compact=slot.compact,
        )
        for slot in found
    ]


# --- Agendas ----------------------------------------------------------------------------


def _with_people(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.select_related("person", "room", "interpreter__user").prefetch_related(
        Prefetch(
            "participants",
            queryset=AppointmentMember.objects.filter(as_interpreter=False).select_related(
                "member__user"
            ),
        )
    )


def member_agenda(member: Member, period: Interval) -> list[Appointment]:
    """The appointments that hold ``member`` (as a member or as interpreter) over the
    period, cancelled ones included, in order."""
    ids = AppointmentMember.objects.filter(member=member, **overlapping(period)).values(
        "appointment_id"
    )
    return list(_with_people(Appointment.objects.filter(pk__in=ids)).order_by("starts_at", "pk"))


def room_agenda(room: Room, period: Interval) -> list[Appointment]:
    return list(
        _with_people(Appointment.objects.filter(room=room, **overlapping(period))).order_by(
            "starts_at", "pk"
        )
    )


def member_meetings(member: Member, period: Interval) -> list[Attendee]:
    """The coordination meetings ``member`` is invited to over the period."""
    start, end = period
    return list(
        Attendee.objects.filter(
            member=member,
            meeting__starts_at__lt=end,
            meeting__starts_at__gte=start - LONGEST_MEETING,
        )
        .exclude(meeting__status=MeetingStatus.CANCELLED)
        .select_related("meeting")
        .order_by("meeting__starts_at")
    )


def desk_day(structure_id: int, day: datetime.date) -> list[Appointment]:
    """Every appointment of the structure on ``day``, for the reception desk."""
    start, end = day_bounds(day)
    return list(
        _with_people(
            Appointment.objects.filter(
                structure_id=structure_id, starts_at__gte=start, starts_at__lt=end
            )
        ).order_by("starts_at", "pk")
    )


def readable_reasons(member: Member, appointments: Iterable[Appointment]) -> set[int]:
    """Ids of the appointments whose reason and notes ``member`` may read: they take part
    in it, or they read the person's coordination section (one query), or — for someone
    not registered yet — they may book appointments."""
    listed = list(appointments)
    mine = {
        a.pk
        for a in listed
        if a.interpreter_id == member.pk
        or any(p.member_id == member.pk for p in a.participants.all())
    }
    person_ids = {a.person_id for a in listed if a.person_id and a.pk not in mine}
    readable: set[int] = set()
    if person_ids:
        readable = set(
            persons_with_section(member, Section.COORDINATION)
            .filter(pk__in=person_ids)
            .values_list("pk", flat=True)
        )
    # Someone not registered yet has no record: who may book reads what was booked.
    booking = can(member, "book_appointment", member.structure)
    unregistered = {a.pk for a in listed if a.person_id is None and booking}
    return mine | {a.pk for a in listed if a.person_id in readable} | unregistered


def get_appointment_for_member(member: Member, pk: int) -> Appointment:
    """The appointment, when it is of the member's structure and they may see agendas;
    404 otherwise (missing and forbidden look the same)."""
    from django.http import Http404

    if not can(member, "view_agenda", member.structure):
        raise Http404
    found = (
        _with_people(Appointment.objects.filter(pk=pk, structure_id=member.structure_id))
        .select_related("interpreter_service", "entry", "created_by__user")
        .first()
    )
    if found is None:
        raise Http404
    return found


def upcoming_for_person(
    person_id: int, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    now = now or timezone.now()
    return _with_people(Appointment.objects.filter(person_id=person_id, ends_at__gt=now)).order_by(
        "starts_at", "pk"
    )


def past_for_person(person_id: int, now: datetime.datetime | None = None) -> QuerySet[Appointment]:
    now = now or timezone.now()
    return _with_people(Appointment.objects.filter(person_id=person_id, ends_at__lte=now)).order_by(
        "-starts_at", "-pk"
    )


# --- From the appointment to the journal ------------------------------------------------

ENCOUNTER_KIND = {
    "consultation": "consultation",
    "co_consultation": "co_consultation",
    "social_interview": "social_interview",
    "home_visit": "home_visit",
    "phone_call": "phone_call",
    "video_call": "phone_call",
}
ENCOUNTER_PLACE = {"home_visit": "home", "phone_call": "phone", "video_call": "video"}


def encounter_initial(member: Member, appointment: Appointment) -> dict[str, object]:
    """The journal entry of an appointment, prefilled: its kind, time, length, place, the
    other members who took part, the interpreter and the reason."""
    local = timezone.localtime(appointment.starts_at)
    others = [
        p.member_id
        for p in appointment.participants.filter(as_interpreter=False)
        if p.member_id != member.pk
    ]
    initial: dict[str, object] = {
        "kind": ENCOUNTER_KIND.get(appointment.kind, "consultation"),
        "date": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "duration_minutes": appointment.duration_minutes,
        "place": ENCOUNTER_PLACE.get(appointment.kind, "centre"),
        "place_detail": appointment.place,
        "members": others,
        "reason": appointment.reason,
    }
    if appointment.interpreting != "none":
        initial["interpreting_language"] = appointment.language
        if appointment.interpreter_id:
            initial["interpreter"] = appointment.interpreter_id
        elif appointment.interpreter_service is not None:
            initial["interpreter_name"] = appointment.interpreter_service.nom
    return initial


def persons_who_may_be(member: Member, appointment: Appointment, text: str = "") -> list[Person]:
    """The registered persons who may be the one an appointment was booked for by name
    and phone: found by that name and that phone (or by ``text``, what the member
    searched), among the persons whose identity ``member`` may read."""
    from maillage.people.queries import search_persons

    persons = persons_for_member(member)
    asked = (
        [text] if text.strip() else [appointment.unregistered_name, appointment.unregistered_phone]
    )
    found: dict[int, Person] = {}
    for query in asked:
        if query.strip():
            for person in search_persons(persons, member.structure_id, query[:200], limit=10):
                found.setdefault(person.pk, person)
    return list(found.values())[:10]
