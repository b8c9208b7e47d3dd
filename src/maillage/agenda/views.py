"""The agenda: a member's or a room's week and day, the reception desk's day, booking with
the free-slot search, an appointment's page (status, move, cancel, the journal entry),
rooms, working hours, absences and languages."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from maillage.agenda import actions, queries, reminders
from maillage.agenda.forms import (
    ANY_ROOM,
    AbsenceForm,
    BookingForm,
    CancelForm,
    LanguagesForm,
    MoveForm,
    ReminderChoiceForm,
    RoomForm,
    SlotSearchForm,
    WorkingHoursForm,
)
from maillage.agenda.models import (
    Absence,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Interpreting,
    MemberLanguage,
    ReminderChannel,
    ReminderOutcome,
    Room,
    WorkingHours,
)
from maillage.coordination.queries.meetings import day_bounds
from maillage.core.access import can
from maillage.core.audit import log_event, log_list_reads, log_reads
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.lib import appointments as flow
from maillage.lib.names import split_full_name
from maillage.people.choices import LANGUAGES
from maillage.people.models import Person
from maillage.people.views import attach_appointment, member_who_may

SECTION = Section.COORDINATION
STATUS_ACTIONS = [
    (flow.ARRIVED, pgettext_lazy("desk action", "Arrived")),
    (flow.WAITING, pgettext_lazy("desk action", "To the waiting room")),
    (flow.IN_CONSULTATION, pgettext_lazy("desk action", "Call in")),
    (flow.SEEN, pgettext_lazy("desk action", "Seen")),
    (flow.NO_SHOW, pgettext_lazy("desk action", "Did not come")),
    (flow.EXPECTED, pgettext_lazy("desk action", "Back to expected")),
]

# Why a reminder was not sent, as the worker records it (``Reminder.detail``).
REMINDER_DETAILS = {
    reminders.OPTED_OUT: pgettext_lazy("reminder", "the person does not want reminders"),
    reminders.NO_CONTACT: pgettext_lazy(
        "reminder", "no French mobile number and no e-mail address in the record"
    ),
    reminders.NO_MOBILE: pgettext_lazy("reminder", "no French mobile number in the record"),
    reminders.NO_EMAIL: pgettext_lazy("reminder", "no e-mail address in the record"),
    reminders.INTERRUPTED: pgettext_lazy(
        "reminder", "interrupted while sending: it may or may not have left"
    ),
}


def _pk(raw: str | None) -> int | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    return int(raw)


def _day(raw: str | None) -> datetime.date:
    if raw:
        try:
            day = datetime.date.fromisoformat(raw)
        except ValueError:
            raise Http404 from None
        if 2000 <= day.year <= 2100:
            return day
        raise Http404
    return timezone.localdate()


def _member_of(member: Member, raw: str | None) -> Member | None:
    pk = _pk(raw)
    if pk is None:
        return None
    found = (
        Member.objects.filter(pk=pk, structure_id=member.structure_id)
        .select_related("user")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _room_of(member: Member, raw: str | None) -> Room | None:
    pk = _pk(raw)
    if pk is None:
        return None
    found = Room.objects.filter(pk=pk, structure_id=member.structure_id).first()
    if found is None:
        raise Http404
    return found


def _shown(member: Member, appointments: list[Appointment], reason: str) -> set[int]:
    """Log the persons an agenda shows, and say whose reasons may be read."""
    readable = queries.readable_reasons(member, appointments)
    persons = {a.person for a in appointments if a.person is not None and a.pk in readable}
    log_list_reads(member=member, persons=persons, section=SECTION, reason=reason)
    return readable


_SENTINEL = 987654321


def _urls(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many pks at the cost of one ``reverse``."""
    before, after = reverse(name, args=[_SENTINEL]).split(str(_SENTINEL))
    return lambda pk: f"{before}{pk}{after}"


def _page_urls() -> dict[str, Callable[[int], str]]:
    return {
        "appointment": _urls("agenda:appointment"),
        "status": _urls("agenda:status"),
        "person": _urls("people:detail"),
    }


# --- Week and day -----------------------------------------------------------------------


def _line(
    a: Appointment,
    reason_readable: bool,
    labels: dict[str, dict[str, str]],
    urls: dict[str, Callable[[int], str]],
) -> dict[str, Any]:
    """What an agenda shows of one appointment, worked out here rather than in the
    template: a busy week holds dozens of them."""
    start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
    details = [", ".join(p.member.display_name for p in a.participants.all())]
    if a.room is not None:
        details.append(a.room.name)
    if a.interpreting != Interpreting.NONE:
        language = labels["language"].get(a.language, a.language)
        text = _("interpreting: %(language)s") % {"language": language}
        if a.interpreting == Interpreting.PHONE:
            text += " (" + _("by phone") + ")"
        details.append(text)
    return {
        "url": urls["appointment"](a.pk),
        "time": f"{start:%H:%M}–{end:%H:%M}",
        "kind": labels["kind"][a.kind],
        "person_url": urls["person"](a.person_id) if a.person_id else "",
        "name": str(a.person) if a.person is not None else a.unregistered_name,
        "status": labels["status"][a.status] if a.status != flow.EXPECTED else "",
        "cancelled": a.status == flow.CANCELLED,
        "details": " · ".join(d for d in details if d),
        "reason": a.reason[:120] if reason_readable else "",
    }


def _labels() -> dict[str, dict[str, str]]:
    """The words of the choices, once per page (``get_FOO_display`` per row costs)."""
    return {
        "kind": {k: str(v) for k, v in AppointmentKind.choices},
        "status": {k: str(v) for k, v in AppointmentStatus.choices},
        "language": {k: str(v) for k, v in LANGUAGES},
        "role": {k: str(v) for k, v in Role.choices},
    }


@login_required
def week(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_agenda")
    return _calendar(request, member, days=7)


@login_required
def day(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_agenda")
    return _calendar(request, member, days=1)


def _calendar(request: HttpRequest, member: Member, days: int) -> HttpResponse:
    room = _room_of(member, request.GET.get("salle"))
    whose = None if room else (_member_of(member, request.GET.get("membre")) or member)
    chosen = _day(request.GET.get("date"))
    first = queries.monday_of(chosen) if days == 7 else chosen
    period = (
        day_bounds(first)[0],
        day_bounds(first + datetime.timedelta(days=days - 1))[1],
    )
    if room is not None:
        appointments = queries.room_agenda(room, period)
        meetings = []
    else:
        assert whose is not None
        appointments = queries.member_agenda(whose, period)
        meetings = queries.member_meetings(whose, period)
    readable = _shown(member, appointments, "agenda")
    labels = _labels()
    urls = _page_urls()
    lines = [
        (timezone.localtime(a.starts_at).date(), _line(a, a.pk in readable, labels, urls))
        for a in appointments
    ]
    columns = []
    for offset in range(days):
        date = first + datetime.timedelta(days=offset)
        columns.append(
            {
                "date": date,
                "appointments": [line for day, line in lines if day == date],
                "meetings": [
                    m for m in meetings if timezone.localtime(m.meeting.starts_at).date() == date
                ],
            }
        )
    step = datetime.timedelta(days=days)
    query = {"salle": room.pk} if room else {"membre": whose.pk if whose else member.pk}
    return render(
        request,
        "agenda/calendar.html",
        {
            "days": days,
            "columns": columns,
            "whose": whose,
            "room": room,
            "readable": readable,
            "first": first,
            "previous": urlencode({**query, "date": (first - step).isoformat()}),
            "next": urlencode({**query, "date": (first + step).isoformat()}),
            "this": urlencode({**query, "date": first.isoformat()}),
            "members": [
                (m.pk, f"{m.display_name} ({labels['role'].get(m.role, m.role)})")
                for m in queries.bookable_members(member.structure_id)
            ],
            "rooms": queries.rooms_of(member.structure_id),
            "today": timezone.localdate(),
            "can_book": can(member, "book_appointment", member.structure),
        },
    )


# --- The desk ---------------------------------------------------------------------------


def _status_actions(member: Member, a: Appointment) -> list[tuple[str, Any]]:
    """The buttons the member may press on the appointment, from its status."""
    return [
        (status, label)
        for status, label in STATUS_ACTIONS
        if status in flow.NEXT[a.status] and actions.may_set_status(member, a, status)
    ]


def _desk_row(
    member: Member,
    a: Appointment,
    readable: bool,
    labels: dict[str, dict[str, str]],
    now: datetime.datetime,
    urls: dict[str, Callable[[int], str]],
) -> dict[str, Any]:
    """What the desk shows of one appointment, worked out here rather than in the
    template: a day holds a couple of hundred of them, each with its buttons."""
    with_whom = ", ".join(p.member.display_name for p in a.participants.all())
    if a.room is not None:
        with_whom += " · " + a.room.name
    return {
        "pk": a.pk,
        "url": urls["appointment"](a.pk),
        "status_url": urls["status"](a.pk),
        "time": f"{timezone.localtime(a.starts_at):%H:%M}",
        "person_url": urls["person"](a.person_id) if a.person_id else "",
        "name": str(a.person) if a.person is not None else a.unregistered_name,
        "language": (
            labels["language"].get(a.language, a.language)
            if a.interpreting != Interpreting.NONE
            else ""
        ),
        "notes": a.reception_notes[:100] if readable else "",
        "kind": labels["kind"][a.kind],
        "with": with_whom,
        "status": labels["status"][a.status],
        "waited": flow.waited(a.arrived_at, a.called_at, now),
        "actions": _status_actions(member, a),
    }


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_agenda")
    date = _day(request.GET.get("date"))
    appointments = queries.desk_day(member.structure_id, date)
    readable = _shown(member, appointments, "desk")
    now = timezone.now()
    labels = _labels()
    urls = _page_urls()
    rows = [_desk_row(member, a, a.pk in readable, labels, now, urls) for a in appointments]
    counts = {
        status: sum(1 for a in appointments if a.status == status)
        for status, _label in AppointmentStatus.choices
    }
    return render(
        request,
        "agenda/desk.html",
        {
            "rows": rows,
            "date": date,
            "counts": [(label, counts[status]) for status, label in AppointmentStatus.choices],
            "previous": (date - datetime.timedelta(days=1)).isoformat(),
            "next": (date + datetime.timedelta(days=1)).isoformat(),
            "today": timezone.localdate(),
            "can_book": can(member, "book_appointment", member.structure),
        },
    )


# --- Booking ----------------------------------------------------------------------------


def _person_for_booking(member: Member, raw: str | None) -> Person | None:
    pk = _pk(raw)
    if pk is None:
        return None
    person = Person.objects.filter(pk=pk).first()
    if person is None or not can(member, "view_identity", person) or person.merged_into_id:
        raise Http404
    return person


@login_required
def book(request: HttpRequest) -> HttpResponse:
    """Step one: who, how long, which room and interpreter, over which days — the common
    free slots, best first."""
    member = member_who_may(request, "book_appointment")
    person = _person_for_booking(member, request.GET.get("personne"))
    rooms = list(queries.rooms_of(member.structure_id))
    searched = "members" in request.GET
    form = SlotSearchForm(request.GET if searched else None, member=member, rooms=rooms)
    found: list[dict[str, Any]] = []
    interpreters_missing = False
    if searched and form.is_valid():
        data = form.cleaned_data
        interpreters: list[Member] = []
        if data["interpreting"] != Interpreting.NONE:
            interpreters = queries.interpreters_for(member.structure_id, data["language"])
            interpreters_missing = not interpreters
        candidates: list[Room | None] = (
            [*rooms] if data.get("room") == ANY_ROOM else [form.chosen_room()]
        )
        kept = {"kind", "members", "duration", "interpreting", "language", "personne"}
        searched_for = {k: v for k, v in request.GET.lists() if k in kept}
        for slot, room in _search(data, interpreters, candidates, interpreters_missing):
            params = searched_for | {
                "room": [str(room.pk) if room else ""],
                "date": [timezone.localtime(slot.start).date().isoformat()],
                "time": [timezone.localtime(slot.start).strftime("%H:%M")],
                "interpreter": [str(slot.interpreter.pk) if slot.interpreter else ""],
            }
            found.append(
                {
                    "slot": slot,
                    "room": room,
                    "url": reverse("agenda:book_confirm") + "?" + urlencode(params, doseq=True),
                }
            )
    return render(
        request,
        "agenda/book.html",
        {
            "form": form,
            "person": person,
            "found": found,
            "searched": searched and form.is_valid(),
            "interpreters_missing": interpreters_missing,
        },
    )


def _search(
    data: dict[str, Any],
    interpreters: list[Member],
    rooms: list[Room | None],
    interpreters_missing: bool,
) -> list[tuple[queries.FreeSlot, Room | None]]:
    """The best slots; with "any free room", each room is tried and a slot is kept once,
    with the first room free for it."""
    if interpreters_missing:
        return []
    best: dict[datetime.datetime, tuple[queries.FreeSlot, Room | None]] = {}
    for room in rooms or [None]:
        for slot in queries.free_slots(
            members=list(data["members"]),
            period=data["period"],
            duration=datetime.timedelta(minutes=data["duration"]),
            room=room,
            interpreters=interpreters,
            not_before=timezone.now(),
        ):
            best.setdefault(slot.start, (slot, room))
    ranked = sorted(
        best.values(),
        key=lambda pair: (
            timezone.localtime(pair[0].start).date(),
            not pair[0].compact,
            pair[0].start,
        ),
    )
    return ranked[:30]


@login_required
def book_confirm(request: HttpRequest) -> HttpResponse:
    """Step two: the appointment with everything the desk and the members need."""
    member = member_who_may(request, "book_appointment")
    source = request.POST if request.method == "POST" else request.GET
    person = _person_for_booking(member, source.get("personne"))
    rooms = list(queries.rooms_of(member.structure_id))
    initial = {"reason": "", "kind": "consultation"}
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, **dict(request.GET.items())}
        | {"members": request.GET.getlist("members")},
        member=member,
        rooms=rooms,
        registered=person is not None,
    )
    conflicts: list[str] = []
    if request.method == "POST" and form.is_valid():
        booking = form.booking(person)
        try:
            appointment = actions.do_book_appointment(member, booking)
        except actions.Conflict as exc:
            conflicts = exc.reasons
        else:
            messages.success(request, _("The appointment is booked."))
            return redirect("agenda:appointment", appointment_pk=appointment.pk)
    return render(
        request,
        "agenda/book_confirm.html",
        {"form": form, "person": person, "conflicts": conflicts},
    )


# --- One appointment --------------------------------------------------------------------


def _appointment(request: HttpRequest, raw: int) -> tuple[Member, Appointment]:
    member = member_who_may(request, "view_agenda")
    return member, queries.get_appointment_for_member(member, raw)


@login_required
def appointment(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    member, found = _appointment(request, appointment_pk)
    readable = queries.readable_reasons(member, [found])
    if found.person is not None and found.pk in readable:
        log_reads(person=found.person, sections=[SECTION], member=member, obj=found)
    rooms = list(queries.rooms_of(member.structure_id))
    local = timezone.localtime(found.starts_at)
    move = MoveForm(
        initial={
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration": found.duration_minutes,
            "room": str(found.room_id or ""),
        },
        rooms=rooms,
    )
    return _appointment_page(request, member, found, readable, move, CancelForm(), [])


def _appointment_page(
    request: HttpRequest,
    member: Member,
    found: Appointment,
    readable: set[int],
    move: MoveForm,
    cancel: CancelForm,
    conflicts: list[str],
    status: int = 200,
) -> HttpResponse:
    may_book = can(member, "book_appointment", member.structure)
    attach = _attach_context(request, member, found) if may_book and not found.person_id else None
    journal = None
    if (
        found.person_id
        and found.entry_id is None
        and found.status
        in {
            flow.IN_CONSULTATION,
            flow.SEEN,
            flow.ARRIVED,
            flow.WAITING,
        }
    ):
        journal = reverse("record:encounter_add", args=[found.person_id]) + f"?rdv={found.pk}"
    return render(
        request,
        "agenda/appointment.html",
        {
            "a": found,
            "reason_readable": found.pk in readable,
            "actions": _status_actions(member, found),
            "may_move": may_book and found.status == flow.EXPECTED,
            "may_cancel": may_book and flow.CANCELLED in flow.NEXT[found.status],
            "move": move,
            "cancel": cancel,
            "conflicts": conflicts,
            "journal": journal,
            "waited": flow.waited(found.arrived_at, found.called_at, timezone.now()),
            "attach": attach,
            "reminders": _reminders_of(found),
            "reminder_hours": settings.REMINDER_HOURS,
        },
        status=status,
    )


def _attach_context(request: HttpRequest, member: Member, found: Appointment) -> dict[str, Any]:
    """For an appointment booked by name and phone: the registered persons who may be
    the one (by the booked name and phone, or by what the member searched), and where to
    register them if they are new."""
    text = request.GET.get("cherche", "")[:200]
    candidates = queries.persons_who_may_be(member, found, text)
    log_event(action=AccessEvent.Action.SEARCH, member=member)
    family, given = split_full_name(found.unregistered_name)
    register = ""
    if can(member, "register_person", member.structure):
        query = {"nom": family, "prenoms": given, "telephone": found.unregistered_phone}
        register = (
            reverse("people:register")
            + "?"
            + urlencode({k: v for k, v in query.items() if v} | {"rdv": found.pk})
        )
    return {"candidates": candidates, "q": text, "register": register}


def _reminders_of(found: Appointment) -> list[dict[str, Any]]:
    """What became of the appointment's reminders, newest first, in words."""
    outcomes = dict(ReminderOutcome.choices)
    channels = dict(ReminderChannel.choices)
    return [
        {
            "at": r.at,
            "outcome": outcomes.get(r.outcome, r.outcome),
            "failed": r.outcome == ReminderOutcome.FAILED,
            "channel": channels.get(r.channel, ""),
            "why": REMINDER_DETAILS.get(r.detail, r.detail),
            "former_start": r.for_start if r.for_start != found.starts_at else None,
        }
        for r in found.reminders.all()
    ]


def _appointment_to_book(request: HttpRequest, raw: int) -> tuple[Member, Appointment]:
    """The appointment, for a member who may book (move, cancel, attach); 404 else."""
    member, found = _appointment(request, raw)
    if not can(member, "book_appointment", member.structure):
        raise Http404
    return member, found


@login_required
@require_POST
def attach(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    """Attach an appointment booked by name to the record of the person it was for."""
    member, found = _appointment_to_book(request, appointment_pk)
    person = _person_for_booking(member, request.POST.get("personne"))
    if person is None:
        raise Http404
    return attach_appointment(request, member, found, person)


@login_required
@require_POST
def status(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    member, found = _appointment(request, appointment_pk)
    new = request.POST.get("status", "")
    try:
        actions.do_set_status(member, found, new)
    except (PermissionDenied, flow.TransitionError):
        messages.error(
            request, _("This is no longer possible: the appointment has changed. Reload the page.")
        )
    else:
        if new == flow.NO_SHOW and found.follow_up_task_id:
            messages.success(request, _("Noted. A task asks the referent to contact the person."))
        else:
            messages.success(request, _("Noted."))
    back = request.POST.get("back", "")
    if (
        new == flow.ARRIVED
        and found.status == flow.ARRIVED
        and found.person_id is None
        and can(member, "book_appointment", member.structure)
    ):
        messages.info(
            request,
            _("Find the person's record, or register them, to attach the appointment to it."),
        )
        return redirect(reverse("agenda:appointment", args=[found.pk]) + "#attach-title")
    if back == "desk":
        day = timezone.localtime(found.starts_at).date().isoformat()
        return redirect(reverse("agenda:desk") + f"?date={day}#rdv-{found.pk}")
    return redirect("agenda:appointment", appointment_pk=found.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    member, found = _appointment_to_book(request, appointment_pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            actions.do_cancel_appointment(found, reason=form.cleaned_data["reason"], author=member)
        except flow.TransitionError:
            messages.error(request, _("This appointment can no longer be cancelled."))
        else:
            messages.success(request, _("The appointment is cancelled."))
        return redirect("agenda:appointment", appointment_pk=found.pk)
    readable = queries.readable_reasons(member, [found])
    move = MoveForm(rooms=list(queries.rooms_of(member.structure_id)))
    return _appointment_page(request, member, found, readable, move, form, [], status=400)


@login_required
@require_POST
def move(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    member, found = _appointment_to_book(request, appointment_pk)
    form = MoveForm(request.POST, rooms=list(queries.rooms_of(member.structure_id)))
    conflicts: list[str] = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_move_appointment(
                member,
                found,
                starts_at=data["starts_at"],
                duration=datetime.timedelta(minutes=data["duration"]),
                room=data["room_object"],
                outside_hours_ok=data["outside_hours_ok"],
            )
        except actions.Conflict as exc:
            conflicts = exc.reasons
        except flow.TransitionError:
            messages.error(request, _("Only an appointment still expected can be moved."))
            return redirect("agenda:appointment", appointment_pk=found.pk)
        else:
            messages.success(request, _("The appointment is moved."))
            return redirect("agenda:appointment", appointment_pk=found.pk)
    readable = queries.readable_reasons(member, [found])
    return _appointment_page(
        request, member, found, readable, form, CancelForm(), conflicts, status=400
    )


# --- Rooms ------------------------------------------------------------------------------


@login_required
def rooms(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_agenda")
    return render(
        request,
        "agenda/rooms.html",
        {
            "rooms": queries.rooms_of(member.structure_id, active=False),
            "may_manage": can(member, "manage_rooms", member.structure),
        },
    )


@login_required
def room_edit(request: HttpRequest, room_pk: int | None = None) -> HttpResponse:
    member = member_who_may(request, "manage_rooms")
    room = _room_of(member, str(room_pk)) if room_pk is not None else None
    initial = (
        {
            "name": room.name,
            "equipment": room.equipment,
            "details": room.details,
            "is_active": room.is_active,
        }
        if room
        else {"is_active": True}
    )
    form = RoomForm(
        request.POST or None, initial=initial, structure_id=member.structure_id, room=room
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_save_room(
            member,
            room,
            name=data["name"],
            equipment=data["equipment"],
            details=data["details"],
            is_active=data["is_active"],
        )
        messages.success(request, _("The room is saved."))
        return redirect("agenda:rooms")
    return render(request, "agenda/room_form.html", {"form": form, "room": room})


# --- Working hours, absences, languages -------------------------------------------------


def _kept_member(request: HttpRequest, member_pk: int) -> tuple[Member, Member, bool]:
    member = member_who_may(request, "view_agenda")
    whose = _member_of(member, str(member_pk))
    assert whose is not None
    keeps = whose.pk == member.pk or can(member, "manage_agendas", member.structure)
    return member, whose, keeps


@login_required
def hours(request: HttpRequest, member_pk: int) -> HttpResponse:
    member, whose, keeps = _kept_member(request, member_pk)
    current = list(WorkingHours.objects.filter(member=whose))
    form = WorkingHoursForm(
        request.POST if request.method == "POST" else None,
        initial=WorkingHoursForm.initial_from(current),
    )
    if request.method == "POST":
        if not keeps:
            raise Http404
        if form.is_valid():
            actions.do_set_working_hours(member, whose, form.cleaned_data["hours"])
            messages.success(request, _("The working hours are saved."))
            return redirect("agenda:hours", member_pk=whose.pk)
    return _hours_page(
        request, whose, keeps, form, AbsenceForm(), status=400 if form.errors else 200
    )


def _hours_page(
    request: HttpRequest,
    whose: Member,
    keeps: bool,
    form: WorkingHoursForm,
    absence_form: AbsenceForm,
    status: int = 200,
) -> HttpResponse:
    languages = list(MemberLanguage.objects.filter(member=whose).values_list("language", flat=True))
    return render(
        request,
        "agenda/hours.html",
        {
            "whose": whose,
            "keeps": keeps,
            "form": form,
            "absence_form": absence_form,
            "languages_form": LanguagesForm(initial={"languages": languages}),
            "languages": [
                label
                for code, label in LanguagesForm.base_fields["languages"].choices  # type: ignore[attr-defined]
                if code in languages
            ],
            "absences": Absence.objects.filter(
                member=whose, ends_at__gt=timezone.now() - datetime.timedelta(days=30)
            ),
        },
        status=status,
    )


@login_required
@require_POST
def absence_add(request: HttpRequest, member_pk: int) -> HttpResponse:
    member, whose, keeps = _kept_member(request, member_pk)
    if not keeps:
        raise Http404
    form = AbsenceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actions.do_add_absence(
            member,
            whose,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            kind=data["kind"],
            note=data["note"],
        )
        messages.success(request, _("The absence is recorded."))
        return redirect("agenda:hours", member_pk=whose.pk)
    hours_form = WorkingHoursForm(
        initial=WorkingHoursForm.initial_from(list(WorkingHours.objects.filter(member=whose)))
    )
    return _hours_page(request, whose, keeps, hours_form, form, status=400)


@login_required
@require_POST
def absence_remove(request: HttpRequest, member_pk: int, absence_pk: int) -> HttpResponse:
    member, whose, keeps = _kept_member(request, member_pk)
    absence = Absence.objects.filter(pk=absence_pk, member=whose).first()
    if not keeps or absence is None:
        raise Http404
    actions.do_remove_absence(member, absence)
    messages.success(request, _("The absence is removed."))
    return redirect("agenda:hours", member_pk=whose.pk)


@login_required
@require_POST
def languages(request: HttpRequest, member_pk: int) -> HttpResponse:
    member, whose, keeps = _kept_member(request, member_pk)
    if not keeps:
        raise Http404
    form = LanguagesForm(request.POST)
    if form.is_valid():
        actions.do_set_languages(member, whose, form.cleaned_data["languages"])
        messages.success(request, _("The languages are saved."))
    return redirect("agenda:hours", member_pk=whose.pk)


@login_required
@require_POST
def reminder_choice(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The person's choice of reminders, recorded by a member on their behalf."""
    member = member_who_may(request, "book_appointment")
    person = _person_for_booking(member, str(person_pk))
    assert person is not None
    form = ReminderChoiceForm(request.POST)
    if form.is_valid():
        actions.do_record_reminder_choice(person, form.cleaned_data["choice"], member=member)
        messages.success(request, _("The choice of reminders is recorded."))
    else:
        messages.error(request, _("Choose how the person wants to be reminded."))
    return redirect(reverse("people:detail", args=[person.pk]) + "#appointments-title")


app_name = "agenda"
urlpatterns = [
    path("", week, name="week"),
    path("jour/", day, name="day"),
    path("accueil/", desk, name="desk"),
    path("nouveau/", book, name="book"),
    path("nouveau/confirmer/", book_confirm, name="book_confirm"),
    path("rdv/<int:appointment_pk>/", appointment, name="appointment"),
    path("rdv/<int:appointment_pk>/statut/", status, name="status"),
    path("rdv/<int:appointment_pk>/annuler/", cancel, name="cancel"),
    path("rdv/<int:appointment_pk>/deplacer/", move, name="move"),
    path("rdv/<int:appointment_pk>/rattacher/", attach, name="attach"),
    path("salles/", rooms, name="rooms"),
    path("salles/nouvelle/", room_edit, name="room_add"),
    path("salles/<int:room_pk>/", room_edit, name="room_edit"),
    path("horaires/<int:member_pk>/", hours, name="hours"),
    path("horaires/<int:member_pk>/absence/", absence_add, name="absence_add"),
    path(
        "horaires/<int:member_pk>/absence/<int:absence_pk>/retirer/",
        absence_remove,
        name="absence_remove",
    ),
    path("horaires/<int:member_pk>/langues/", languages, name="languages"),
    path("rappels/<int:person_pk>/", reminder_choice, name="reminder_choice"),
]
from maillage.agenda import feed_views  # noqa: E402 (after the views: no import cycle)

urlpatterns += feed_views.urlpatterns
