"""Reads of coordination meetings: the structure's meetings, the agenda with what each
reader may see of every situation on it, and the triangulation report."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from maillage.coordination.models import (
    AgendaItem,
    Attendee,
    AttendeeKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ProjectAction,
    Task,
)
from maillage.core.access import RecordAccess, can, record_access
from maillage.core.models import Member
from maillage.core.reports import reporting
from maillage.core.roles import Section
from maillage.people.models import Person

SECTION = Section.COORDINATION


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of ``day`` and of the day after, in local time."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def meetings_for(member: Member) -> QuerySet[Meeting]:
    """The meetings of the member's structure, if they may see meetings at all."""
    if not can(member, "view_meetings", member.structure):
        return Meeting.objects.none()
    return Meeting.objects.filter(structure_id=member.structure_id)


def todays_meetings(member: Member) -> list[Meeting]:
    """Today's meetings of the member's structure, those the member is invited to first,
    then by time: one query. Each meeting carries ``member_invited``."""
    start, end = day_bounds(timezone.localdate())
    invited = Attendee.objects.filter(meeting=OuterRef("pk"), member=member, invited=True)
    return list(
        meetings_for(member)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .annotate(member_invited=Exists(invited))
        .order_by("-member_invited", "starts_at", "pk")
    )


@dataclass
class MeetingLists:
    today: list[Meeting]
    upcoming: list[Meeting]
    past: QuerySet[Meeting]


UPCOMING_SHOWN = 50


def meeting_lists(member: Member, kind: str = "") -> MeetingLists:
    """Today's, the next ones (a bounded number) and the past ones (to paginate)."""
    meetings = meetings_for(member)
    if kind:
        meetings = meetings.filter(kind=kind)
    start, end = day_bounds(timezone.localdate())
    return MeetingLists(
        today=list(meetings.filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at")),
        upcoming=list(meetings.filter(starts_at__gte=end).order_by("starts_at")[:UPCOMING_SHOWN]),
        past=meetings.filter(starts_at__lt=start).order_by("-starts_at", "-pk"),
    )


def attendees_of(meeting: Meeting) -> list[Attendee]:
    return list(
        meeting.attendees.select_related("member__user", "person", "relation").order_by(
            "kind", "pk"
        )
    )


def items_of(meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order, with what each item produced."""
    return list(
        meeting.items.select_related("person")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.prefetch_related("assignees__user").order_by("pk"),
            ),
            Prefetch(
                "actions",
                queryset=ProjectAction.objects.select_related("owner_member__user").order_by("pk"),
            ),
        )
        .order_by("position", "pk")
    )


@dataclass
class Situation:
    """What the reader may see of one situation on the agenda."""

    person: Person
    access: RecordAccess | None
    invited: bool = False
    present: bool | None = None

    @property
    def readable(self) -> bool:
        return self.access is not None and self.access.can_read(SECTION)

    @property
    def writable(self) -> bool:
        return self.access is not None and self.access.can_write(SECTION)


@dataclass
class Agenda:
    items: list[AgendaItem]
    attendees: list[Attendee]
    situations: dict[int, Situation] = field(default_factory=dict)

    def situation(self, item: AgendaItem) -> Situation | None:
        return self.situations.get(item.person_id) if item.person_id else None

    @property
    def readable_persons(self) -> list[Person]:
        return [s.person for s in self.situations.values() if s.readable]

    @property
    def not_invited(self) -> list[Person]:
        return [s.person for s in self.situations.values() if not s.invited]


def agenda_for(member: Member, meeting: Meeting) -> Agenda:
    """The agenda and the attendees, with the member's access to each person on the
    agenda (three small queries per person, the agenda of one meeting being short)."""
    items = items_of(meeting)
    attendees = attendees_of(meeting)
    agenda = Agenda(items=items, attendees=attendees)
    for item in items:
        if item.person is not None and item.person.pk not in agenda.situations:
            agenda.situations[item.person.pk] = Situation(
                person=item.person, access=record_access(member, item.person)
            )
    for attendee in attendees:
        situation = agenda.situations.get(attendee.person_id or 0)
        if attendee.kind == AttendeeKind.PERSON and situation is not None:
            situation.invited = situation.invited or attendee.invited
            if attendee.present is not None:
                situation.present = bool(situation.present) or attendee.present
    return agenda


# --- The report: is the person part of the discussion about them? ---------------------


@dataclass
class ReportRow:
    kind: str
    label: str
    meetings: int = 0
    situations: int = 0
    invited: int = 0
    present: int = 0

    @property
    def invited_percent(self) -> int | None:
        return round(100 * self.invited / self.situations) if self.situations else None

    @property
    def present_percent(self) -> int | None:
        return round(100 * self.present / self.situations) if self.situations else None


def report(member: Member, start: datetime.date, end: datetime.date) -> list[ReportRow]:
    """By type, for the meetings held from ``start`` to ``end`` (both included): how many,
    how many situations discussed, in how many the person was invited, was present. Two
    aggregate queries whatever the number of meetings, on ``settings.REPORTS_DATABASE`` (a
    read-only replica when the server has one)."""
    if not can(member, "view_coordination_report", member.structure):
        return []
    since, _next = day_bounds(start)
    _last, until = day_bounds(end)
    held = reporting(Meeting).filter(
        structure_id=member.structure_id,
        status=MeetingStatus.HELD,
        starts_at__gte=since,
        starts_at__lt=until,
    )
    rows = {kind: ReportRow(kind=kind, label=str(label)) for kind, label in MeetingKind.choices}
    for kind, count in held.values_list("kind").annotate(n=Count("pk")).order_by():
        if kind in rows:
            rows[kind].meetings = count
    person_as = Attendee.objects.filter(
        meeting=OuterRef("meeting"), kind=AttendeeKind.PERSON, person=OuterRef("person")
    )
    items = (
        reporting(AgendaItem)
        .filter(meeting__in=held, person__isnull=False)
        .annotate(
            was_invited=Exists(person_as.filter(invited=True)),
            was_present=Exists(person_as.filter(present=True)),
        )
        .values("meeting__kind")
        .annotate(
            situations=Count("pk"),
            invited=Count("pk", filter=Q(was_invited=True)),
            present=Count("pk", filter=Q(was_present=True)),
        )
        .order_by()
    )
    for row in items:
        found = rows.get(row["meeting__kind"])
        if found is not None:
            found.situations = row["situations"]
            found.invited = row["invited"]
            found.present = row["present"]
    return list(rows.values())


def report_total(rows: list[ReportRow]) -> ReportRow:
    total = ReportRow(kind="", label="")
    for row in rows:
        total.meetings += row.meetings
        total.situations += row.situations
        total.invited += row.invited
        total.present += row.present
    return total
