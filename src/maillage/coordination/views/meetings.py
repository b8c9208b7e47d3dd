"""Coordination meetings (C5): team meetings, case meetings, synthesis meetings with the
person, practice-analysis sessions. The person is part of the discussion about them
(triangulation): each situation on the agenda says whether they are invited and came.

Seeing a meeting needs ``view_meetings``; changing it ``plan_meetings``. A situation's
notes and decisions belong to the person's coordination section: shown, written and
logged only through the record's access policy."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.coordination.actions import meetings as actions
from maillage.coordination.forms import meetings as meeting_forms
from maillage.coordination.forms.meetings import (
    DecisionForm,
    ExternalForm,
    GeneralNotesForm,
    InviteMembersForm,
    InviteRelativesForm,
    KindFilterForm,
    MeetingForm,
    NotesForm,
    PeriodForm,
    PresenceForm,
    SituationForm,
    StatusForm,
    ThemeForm,
)
from maillage.coordination.models import (
    AgendaItem,
    Attendee,
    AttendeeKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Task,
)
from maillage.coordination.queries import meetings as queries
from maillage.core.access import can, persons_with_section, record_access
from maillage.core.audit import log_event, log_reads
from maillage.core.models import AccessEvent, Member
from maillage.core.pdf import build_pdf, pdf_text
from maillage.core.reports import computed
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.people.queries import search_persons
from maillage.people.views import member_who_may

SECTION = Section.COORDINATION
PAGE_SIZE = 20

ERRORS = {
    "cancelled": lambda: _("A cancelled meeting can no longer be changed."),
    "not_planned": lambda: _("This is done before the meeting: it is already held or cancelled."),
    "practice": lambda: _(
        "A practice-analysis session discusses practice, not named persons: add a theme instead."
    ),
    "already": lambda: _("This person's situation is already on the agenda."),
    "not_empty": lambda: _("This item has notes or decisions: it stays on the agenda."),
    "action_needs_situation": lambda: _(
        "Only a person's situation can lead to an action of their health project."
    ),
}


def _error(request: HttpRequest, exc: actions.MeetingError) -> None:
    message = ERRORS.get(str(exc))
    messages.error(request, message() if message else _("This change is not possible."))


def _meeting(member: Member, meeting_pk: int) -> Meeting:
    return get_object_or_404(queries.meetings_for(member), pk=meeting_pk)


def _item(meeting: Meeting, agenda_pk: int) -> AgendaItem:
    item = get_object_or_404(
        AgendaItem.objects.select_related("person", "meeting"), meeting=meeting, pk=agenda_pk
    )
    return item


def _back(meeting: Meeting, anchor: str = "") -> HttpResponse:
    url = reverse("coordination:meeting", args=[meeting.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- Lists, planning, report -----------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_meetings")
    form = KindFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else ""
    lists = queries.meeting_lists(member, kind)
    page = Paginator(lists.past, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "coordination/meetings.html",
        {
            "form": form,
            "lists": lists,
            "page": page,
            "query": urlencode({"kind": kind}) if kind else "",
            "can_plan": can(member, "plan_meetings", member.structure),
            "can_report": can(member, "view_coordination_report", member.structure),
        },
    )


@login_required
def meeting_add(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "plan_meetings")
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meeting = actions.do_plan_meeting(
            member,
            kind=data["kind"],
            title=data["title"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            place=data["place"],
        )
        messages.success(request, _("The meeting is planned: invite people and set its agenda."))
        return _back(meeting)
    return render(request, "coordination/meeting_form.html", {"form": form})


@login_required
def meeting_edit(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    """Another date, place, title or type, before the meeting."""
    member, meeting = _planner_and_meeting(request, meeting_pk)
    if meeting.status != MeetingStatus.PLANNED:
        _error(request, actions.MeetingError("not_planned"))
        return _back(meeting)
    starts = timezone.localtime(meeting.starts_at)
    form = MeetingForm(
        request.POST or None,
        initial={
            "kind": meeting.kind,
            "title": meeting.title,
            "date": starts.date(),
            "time": starts.time().replace(second=0, microsecond=0),
            "duration_minutes": meeting.duration_minutes,
            "place": meeting.place,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_change_meeting(
                member,
                meeting,
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                place=data["place"],
            )
        except actions.MeetingError as exc:
            message = ERRORS.get(str(exc))
            form.add_error("kind", message() if message else _("This change is not possible."))
        else:
            messages.success(request, _("The meeting is changed."))
            return _back(meeting)
    return render(request, "coordination/meeting_form.html", {"form": form, "meeting": meeting})


@login_required
def meeting_report(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_coordination_report")
    form = PeriodForm(request.GET)
    rows: list[queries.ReportRow] = []
    total = None
    if form.is_valid():
        rows = computed(
            queries.report, member, form.cleaned_data["start"], form.cleaned_data["end"]
        )
        total = queries.report_total(rows)
    return render(
        request,
        "coordination/meeting_report.html",
        {"form": form, "rows": rows, "total": total, "period": form.cleaned_data},
    )


# --- One meeting ------------------------------------------------------------------------


@dataclass
class ItemView:
    """One agenda item as the reader may see it."""

    item: AgendaItem
    situation: queries.Situation | None
    readable: bool
    editable: bool
    notes_form: NotesForm | None = None
    decision_form: DecisionForm | None = None

    @property
    def anchor(self) -> str:
        return f"item-{self.item.pk}"

    @property
    def triangulation(self) -> str:
        """Whether the person is part of the discussion about them, in words."""
        situation = self.situation
        if situation is None:
            return ""
        name = {"name": situation.person}
        held = self.item.meeting.status == MeetingStatus.HELD
        if situation.present:
            return _("%(name)s was present.") % name
        if situation.invited and held and situation.present is False:
            return _("%(name)s was invited but did not come.") % name
        if situation.invited and held:
            return _("%(name)s was invited; their presence is not recorded yet.") % name
        if situation.invited:
            return _("%(name)s is invited.") % name
        if held:
            return _("%(name)s was not invited.") % name
        return _("%(name)s is not invited.") % name

    @property
    def removable(self) -> bool:
        return (
            self.editable
            and self.item.meeting.status == MeetingStatus.PLANNED
            and not self.item.notes
            and not self.item.tasks.all()
            and not self.item.actions.all()
        )


def _page(
    request: HttpRequest,
    member: Member,
    meeting: Meeting,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The meeting's page, with ``bound`` forms (that did not validate) in place of the
    empty ones."""
    bound = bound or {}
    agenda = queries.agenda_for(member, meeting)
    can_plan = can(member, "plan_meetings", member.structure)
    planned = meeting.status == MeetingStatus.PLANNED
    open_ = meeting.status != MeetingStatus.CANCELLED
    views = []
    for item in agenda.items:
        situation = agenda.situation(item)
        readable = situation.readable if situation else True
        writable = situation.writable if situation else True
        editable = can_plan and open_ and writable
        view = ItemView(item=item, situation=situation, readable=readable, editable=editable)
        if editable:
            view.notes_form = bound.get(f"notes-{item.pk}") or NotesForm(
                prefix=f"n{item.pk}", initial={"notes": item.notes}
            )
            view.decision_form = bound.get(f"decision-{item.pk}") or DecisionForm(
                prefix=f"d{item.pk}", member=member, situation=situation is not None
            )
        views.append(view)
    _log_situation_reads(member, agenda)
    context: dict[str, Any] = {
        "meeting": meeting,
        "items": views,
        "attendees": agenda.attendees,
        "not_invited": agenda.not_invited if meeting.kind == MeetingKind.SYNTHESIS else [],
        "can_plan": can_plan and open_,
        "planned": planned,
        "is_practice": meeting.kind == MeetingKind.PRACTICE,
    }
    if can_plan and open_:
        already = {a.member_id for a in agenda.attendees if a.member_id and a.invited}
        relations = actions.invitable_relations(meeting) if planned else []
        members_form: Any = bound.get("members") or InviteMembersForm(
            member=member, already={pk for pk in already if pk is not None}
        )
        if not members_form.is_bound and not members_form.fields["members"].queryset.exists():
            members_form = None
        context |= {
            "members_form": members_form,
            "relatives_form": bound.get("relatives")
            or (InviteRelativesForm(relations=relations) if relations else None),
            "external_form": bound.get("external") or ExternalForm(),
            "presence_form": bound.get("presence")
            or (PresenceForm(attendees=agenda.attendees) if agenda.attendees else None),
            "status_form": bound.get("status") or StatusForm(),
            "general_notes_form": bound.get("general_notes")
            or GeneralNotesForm(initial={"notes": meeting.notes}),
            "theme_form": bound.get("theme") or ThemeForm(),
        }
        if meeting.kind != MeetingKind.PRACTICE:
            query = request.GET.get("q", "")[:150]
            context["q"] = query
            context["candidates"] = _candidates(member, meeting, query)
    return render(request, "coordination/meeting_detail.html", context, status=status)


def _candidates(member: Member, meeting: Meeting, query: str) -> list[Person]:
    """Persons whose coordination section the member reads, found by name, not yet on
    the agenda."""
    if not query.strip():
        return []
    log_event(action=AccessEvent.Action.SEARCH, member=member)
    on_agenda = set(meeting.items.filter(person__isnull=False).values_list("person_id", flat=True))
    found = search_persons(
        persons_with_section(member, SECTION), member.structure_id, query, limit=10
    )
    return [p for p in found if p.pk not in on_agenda]


def _log_situation_reads(member: Member, agenda: queries.Agenda) -> None:
    """Notes and decisions of a situation are the person's coordination section: each
    person whose situation the reader sees is logged."""
    for situation in agenda.situations.values():
        if situation.readable and situation.access is not None:
            log_reads(
                member=member,
                person=situation.person,
                sections={SECTION},
                flagged=situation.access.break_glass,
            )


@login_required
def meeting_detail(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member = member_who_may(request, "view_meetings")
    meeting = _meeting(member, meeting_pk)
    if request.method == "POST":
        return _back(meeting)
    return _page(request, member, meeting)


def _planner_and_meeting(request: HttpRequest, meeting_pk: int) -> tuple[Member, Meeting]:
    member = member_who_may(request, "plan_meetings")
    return member, _meeting(member, meeting_pk)


def _apply(
    request: HttpRequest,
    member: Member,
    meeting: Meeting,
    form: Any,
    key: str,
    change: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], tuple[str, str]],
) -> HttpResponse:
    """One change of the meeting's page from one of its forms: the page again with the
    form's errors, the refusal in words, or ``done(result)`` → (message, anchor)."""
    if not form.is_valid():
        return _page(request, member, meeting, {key: form})
    try:
        result = change(form.cleaned_data)
    except actions.MeetingError as exc:
        _error(request, exc)
        return _back(meeting)
    message, anchor = done(result)
    messages.success(request, message)
    return _back(meeting, anchor)


@login_required
@require_POST
def meeting_status(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    return _apply(
        request,
        member,
        meeting,
        StatusForm(request.POST),
        "status",
        lambda data: actions.do_set_status(member, meeting, data["status"]),
        lambda changed: (
            _("The meeting is marked as held.")
            if changed.status == MeetingStatus.HELD
            else _("The meeting is cancelled."),
            "",
        ),
    )


@login_required
@require_POST
def meeting_general_notes(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    return _apply(
        request,
        member,
        meeting,
        GeneralNotesForm(request.POST),
        "general_notes",
        lambda data: actions.do_write_general_notes(member, meeting, data["notes"]),
        lambda _done: (_("The notes are saved."), "general-notes"),
    )


def _invited(_done: object) -> tuple[str, str]:
    return _("The invitations are recorded."), "attendees"


@login_required
@require_POST
def meeting_invite_members(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    already = set(
        meeting.attendees.filter(member__isnull=False, invited=True).values_list(
            "member_id", flat=True
        )
    )
    return _apply(
        request,
        member,
        meeting,
        InviteMembersForm(request.POST, member=member, already={pk for pk in already if pk}),
        "members",
        lambda data: actions.do_invite_members(member, meeting, data["members"]),
        _invited,
    )


@login_required
@require_POST
def meeting_invite_person(request: HttpRequest, meeting_pk: int, pk: int) -> HttpResponse:
    """The one-click invitation of the person whose situation is on the agenda."""
    member, meeting = _planner_and_meeting(request, meeting_pk)
    item = meeting.items.select_related("person").filter(person_id=pk).first()
    if item is None or item.person is None:
        raise Http404
    try:
        actions.do_invite_person(member, meeting, item.person)
    except actions.MeetingError as exc:
        _error(request, exc)
        return _back(meeting)
    messages.success(request, _("%(name)s is invited to the meeting.") % {"name": item.person})
    return _back(meeting, f"item-{item.pk}")


@login_required
@require_POST
def meeting_invite_relatives(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    relations = actions.invitable_relations(meeting)
    return _apply(
        request,
        member,
        meeting,
        InviteRelativesForm(request.POST, relations=relations),
        "relatives",
        lambda data: actions.do_invite_relatives(
            member, meeting, [r for r in relations if r.pk in set(data["relatives"])]
        ),
        _invited,
    )


@login_required
@require_POST
def meeting_invite_external(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    return _apply(
        request,
        member,
        meeting,
        ExternalForm(request.POST),
        "external",
        lambda data: actions.do_invite_external(member, meeting, data["name"]),
        _invited,
    )


@login_required
@require_POST
def meeting_withdraw(request: HttpRequest, meeting_pk: int, attendee_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    attendee = get_object_or_404(
        Attendee.objects.select_related("meeting", "person", "relation__person"),
        meeting=meeting,
        pk=attendee_pk,
    )
    try:
        actions.do_withdraw_invitation(member, attendee)
    except actions.MeetingError as exc:
        _error(request, exc)
        return _back(meeting)
    messages.success(request, _("The invitation is withdrawn."))
    return _back(meeting, "attendees")


@login_required
@require_POST
def meeting_presence(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    form = PresenceForm(request.POST, attendees=queries.attendees_of(meeting))
    return _apply(
        request,
        member,
        meeting,
        form,
        "presence",
        lambda _data: actions.do_record_presence(member, meeting, form.presence()),
        lambda _done: (_("Who was present is recorded."), "attendees"),
    )


@login_required
@require_POST
def meeting_add_theme(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    return _apply(
        request,
        member,
        meeting,
        ThemeForm(request.POST),
        "theme",
        lambda data: actions.do_add_theme(member, meeting, data["theme"]),
        lambda item: (_("The theme is on the agenda."), f"item-{item.pk}"),
    )


@login_required
@require_POST
def meeting_add_situation(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    form = SituationForm(request.POST, persons=persons_with_section(member, SECTION))
    if meeting.kind == MeetingKind.PRACTICE:
        _error(request, actions.MeetingError("practice"))
        return _back(meeting, "agenda")
    if not form.is_valid():
        messages.error(request, _("Choose a person among those found by the search."))
        return _back(meeting, "agenda")
    person = form.cleaned_data["person"]
    access = record_access(member, person)
    if access is None or not access.can_write(SECTION):
        raise Http404
    try:
        item = actions.do_add_situation(member, meeting, person, access)
    except actions.MeetingError as exc:
        _error(request, exc)
        return _back(meeting, "agenda")
    messages.success(request, _("%(name)s's situation is on the agenda.") % {"name": person})
    return _back(meeting, f"item-{item.pk}")


def _situation_access(member: Member, item: AgendaItem) -> Any:
    """The member's access to the person of a situation item, if they may write its
    coordination section (404 otherwise); None for a theme."""
    if item.person is None:
        return None
    access = record_access(member, item.person)
    if access is None or not access.can_write(SECTION):
        raise Http404
    return access


@login_required
@require_POST
def meeting_item_move(request: HttpRequest, meeting_pk: int, agenda_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    item = _item(meeting, agenda_pk)
    direction = request.POST.get("direction", "")
    if direction not in {"up", "down"}:
        return _back(meeting, "agenda")
    try:
        actions.do_move_item(member, item, up=direction == "up")
    except actions.MeetingError as exc:
        _error(request, exc)
    return _back(meeting, f"item-{item.pk}")


@login_required
@require_POST
def meeting_item_notes(request: HttpRequest, meeting_pk: int, agenda_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    item = _item(meeting, agenda_pk)
    access = _situation_access(member, item)
    return _apply(
        request,
        member,
        meeting,
        NotesForm(request.POST, prefix=f"n{item.pk}"),
        f"notes-{item.pk}",
        lambda data: actions.do_write_notes(member, item, data["notes"], access),
        lambda _done: (_("The notes are saved."), f"item-{item.pk}"),
    )


@login_required
@require_POST
def meeting_item_decision(request: HttpRequest, meeting_pk: int, agenda_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    item = _item(meeting, agenda_pk)
    access = _situation_access(member, item)
    form = DecisionForm(
        request.POST, prefix=f"d{item.pk}", member=member, situation=item.person is not None
    )
    return _apply(
        request,
        member,
        meeting,
        form,
        f"decision-{item.pk}",
        lambda data: actions.do_record_decision(
            member,
            item,
            text=data["text"],
            outcome=data["outcome"],
            assignees=data.get("assignees") or [],
            owner_kind=data.get("owner_kind") or "",
            owner_name=data.get("owner_name") or "",
            due_on=data.get("due_on"),
            access=access,
        ),
        lambda made: (
            _("The decision is a task now.")
            if isinstance(made, Task)
            else _("The decision is an action of the health project now."),
            f"item-{item.pk}",
        ),
    )


@login_required
@require_POST
def meeting_item_remove(request: HttpRequest, meeting_pk: int, agenda_pk: int) -> HttpResponse:
    member, meeting = _planner_and_meeting(request, meeting_pk)
    item = _item(meeting, agenda_pk)
    access = _situation_access(member, item)
    try:
        actions.do_remove_item(member, item, access)
    except actions.MeetingError as exc:
        _error(request, exc)
        return _back(meeting, f"item-{item.pk}")
    messages.success(request, _("The item is withdrawn from the agenda."))
    return _back(meeting, "agenda")


# --- Minutes ----------------------------------------------------------------------------


@dataclass
class MinutesItem:
    item: AgendaItem
    readable: bool


def _minutes(member: Member, meeting: Meeting) -> tuple[list[MinutesItem], list[Attendee]]:
    agenda = queries.agenda_for(member, meeting)
    rows = []
    for item in agenda.items:
        situation = agenda.situation(item)
        rows.append(MinutesItem(item=item, readable=situation.readable if situation else True))
    _log_situation_reads(member, agenda)
    return rows, agenda.attendees


def presence_word(attendee: Attendee) -> str:
    if attendee.present is True:
        return _("present")
    if attendee.present is False:
        return _("absent")
    return _("not recorded")


def invitation_word(attendee: Attendee) -> str:
    return _("invited") if attendee.invited else _("not invited")


def attendee_kind_word(attendee: Attendee) -> str:
    return str(AttendeeKind(attendee.kind).label)


@login_required
def meeting_minutes(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member = member_who_may(request, "view_meetings")
    meeting = _meeting(member, meeting_pk)
    rows, attendees = _minutes(member, meeting)
    return render(
        request,
        "coordination/meeting_minutes.html",
        {
            "meeting": meeting,
            "rows": rows,
            "attendees": [
                (
                    meeting_forms.attendee_name(a),
                    attendee_kind_word(a),
                    invitation_word(a),
                    presence_word(a),
                )
                for a in attendees
            ],
        },
    )


def minutes_pdf(meeting: Meeting, rows: list[MinutesItem], attendees: list[Attendee]) -> bytes:
    """The minutes as a PDF, with reportlab's standard Helvetica (WinAnsi: French accents,
    œ, ’ and « » are drawn)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body, h1, h2, h3 = styles["BodyText"], styles["Title"], styles["Heading2"], styles["Heading3"]
    starts = timezone.localtime(meeting.starts_at)
    facts = [
        (_("Type:"), meeting.get_kind_display()),
        (_("Date:"), formats.date_format(starts, "l j F Y, H:i")),
        (_("Place:"), meeting.place or "—"),
        (_("Status:"), meeting.get_status_display()),
    ]
    story: list[Any] = [
        Paragraph(pdf_text(_("Minutes")) + " — " + pdf_text(meeting.title), h1),
        *(Paragraph(f"<b>{pdf_text(k)}</b> {pdf_text(v)}", body) for k, v in facts),
    ]
    story += [Spacer(1, 0.3 * cm), Paragraph(pdf_text(_("Attendees")), h2)]
    if attendees:
        table = [
            [
                Paragraph(pdf_text(t), body)
                for t in (_("Name"), _("Who"), _("Invited"), _("Present"))
            ]
        ]
        for a in attendees:
            table.append(
                [
                    Paragraph(pdf_text(t), body)
                    for t in (
                        meeting_forms.attendee_name(a),
                        attendee_kind_word(a),
                        invitation_word(a),
                        presence_word(a),
                    )
                ]
            )
        grid = Table(table, colWidths=[6 * cm, 4 * cm, 3 * cm, 3 * cm], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        story.append(grid)
    else:
        story.append(Paragraph(pdf_text(_("Nobody is invited.")), body))
    if meeting.notes:
        story += [
            Paragraph(pdf_text(_("General notes")), h2),
            Paragraph(pdf_text(meeting.notes), body),
        ]
    story.append(Paragraph(pdf_text(_("Agenda")), h2))
    if not rows:
        story.append(Paragraph(pdf_text(_("The agenda is empty.")), body))
    for number, row in enumerate(rows, start=1):
        item = row.item
        subject = item.person if item.person is not None else item.theme
        story.append(Paragraph(f"{number}. {pdf_text(subject)}", h3))
        if not row.readable:
            story.append(
                Paragraph(pdf_text(_("You do not have access to this situation's notes.")), body)
            )
            continue
        story.append(
            Paragraph(pdf_text(item.notes) if item.notes else pdf_text(_("No notes.")), body)
        )
        decisions = [_decision_line(t) for t in item.tasks.all()]
        decisions += [_action_line(a) for a in item.actions.all()]
        if decisions:
            story.append(Paragraph(f"<b>{pdf_text(_('Decisions'))}</b>", body))
            story += [Paragraph("• " + pdf_text(line), body) for line in decisions]
    return build_pdf(story, meeting.title)


def _due(date: datetime.date | None) -> str:
    if date is None:
        return ""
    return " — " + _("by %(date)s") % {"date": formats.date_format(date, "SHORT_DATE_FORMAT")}


def _decision_line(task: Any) -> str:
    who = ", ".join(m.display_name for m in task.assignees.all())
    return _("Task: %(what)s (%(who)s)") % {"what": task.title, "who": who} + _due(task.due_on)


def _action_line(action: Any) -> str:
    who = (
        action.owner_member.display_name
        if action.owner_member is not None
        else action.owner_name or action.get_owner_kind_display()
    )
    return _("Action of the health project: %(what)s (%(who)s)") % {
        "what": action.description,
        "who": who,
    } + _due(action.due_on)


@login_required
def meeting_minutes_pdf(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    member = member_who_may(request, "view_meetings")
    meeting = _meeting(member, meeting_pk)
    rows, attendees = _minutes(member, meeting)
    response = HttpResponse(minutes_pdf(meeting, rows, attendees), content_type="application/pdf")
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    response["Content-Disposition"] = f'inline; filename="compte-rendu-{day}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("coordination/reunions/", meeting_list, name="meetings"),
    path("coordination/reunions/nouvelle/", meeting_add, name="meeting_add"),
    path("coordination/reunions/bilan/", meeting_report, name="meeting_report"),
    path("coordination/reunions/<int:meeting_pk>/", meeting_detail, name="meeting"),
    path(
        "coordination/reunions/<int:meeting_pk>/compte-rendu/",
        meeting_minutes,
        name="meeting_minutes",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/compte-rendu.pdf",
        meeting_minutes_pdf,
        name="meeting_minutes_pdf",
    ),
    path("coordination/reunions/<int:meeting_pk>/statut/", meeting_status, name="meeting_status"),
    path("coordination/reunions/<int:meeting_pk>/modifier/", meeting_edit, name="meeting_edit"),
    path(
        "coordination/reunions/<int:meeting_pk>/notes/",
        meeting_general_notes,
        name="meeting_general_notes",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/invitations/membres/",
        meeting_invite_members,
        name="meeting_invite_members",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/invitations/personne/<int:pk>/",
        meeting_invite_person,
        name="meeting_invite_person",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/invitations/proches/",
        meeting_invite_relatives,
        name="meeting_invite_relatives",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/invitations/externe/",
        meeting_invite_external,
        name="meeting_invite_external",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/invitations/<int:attendee_pk>/retirer/",
        meeting_withdraw,
        name="meeting_withdraw",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/presences/",
        meeting_presence,
        name="meeting_presence",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/theme/",
        meeting_add_theme,
        name="meeting_add_theme",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/situation/",
        meeting_add_situation,
        name="meeting_add_situation",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/<int:agenda_pk>/deplacer/",
        meeting_item_move,
        name="meeting_item_move",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/<int:agenda_pk>/notes/",
        meeting_item_notes,
        name="meeting_item_notes",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/<int:agenda_pk>/decision/",
        meeting_item_decision,
        name="meeting_item_decision",
    ),
    path(
        "coordination/reunions/<int:meeting_pk>/ordre-du-jour/<int:agenda_pk>/retirer/",
        meeting_item_remove,
        name="meeting_item_remove",
    ),
]
