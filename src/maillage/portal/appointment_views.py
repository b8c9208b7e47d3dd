"""The person's appointments, in their space: what is coming and what happened, with whom,
where, with which interpreting; they may cancel an appointment still to come, or ask for
another time (reception gets a task and calls them back).

An appointment is part of the coordination section of the person's record: reading the
list is a read of that section, cancelling is a write by the person, both in their
access log. The notes written for reception are the team's working notes and are not
shown here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from maillage.agenda.actions import (
    current_reminder_choice,
    do_ask_to_move,
    do_cancel_appointment,
    do_record_reminder_choice,
)
from maillage.agenda.forms import AskToMoveForm, CancelForm, ReminderChoiceForm
from maillage.agenda.models import Appointment, AppointmentMember, AppointmentStatus
from maillage.core.audit import log_reads
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.lib import appointments as flow
from maillage.people.models import Person
from maillage.people.queries import record_ids
from maillage.portal.views import own_person

SECTION = Section.COORDINATION
A = AccessEvent.Action
PAST_SHOWN = 20
# Still to come, or happening now.
ONGOING = [flow.EXPECTED, *sorted(flow.PRESENT)]


class PersonCancelForm(CancelForm):
    """The person need not say why."""

    reason = forms.CharField(
        label=gettext_lazy("Why (if you wish to say)"), max_length=300, required=False
    )


def _cancel_form(appointment_id: int, data: Any = None) -> PersonCancelForm:
    return PersonCancelForm(data, prefix=f"cancel-{appointment_id}")


def _move_form(appointment_id: int, data: Any = None) -> AskToMoveForm:
    return AskToMoveForm(data, prefix=f"move-{appointment_id}")


def _appointments(person: Person) -> QuerySet[Appointment]:
    """The person's appointments (their merged records' too), with the members who see
    them (the interpreter is told apart) and the room."""
    return (
        Appointment.objects.filter(person_id__in=record_ids(person))
        .select_related("room")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=AppointmentMember.objects.filter(as_interpreter=False).select_related(
                    "member__user"
                ),
            )
        )
    )


def _upcoming_q(now: Any) -> Q:
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return Q(status=flow.EXPECTED, ends_at__gt=now) | Q(
        status__in=flow.PRESENT, starts_at__gte=today
    )


def may_change(appointment: Appointment, now: Any = None) -> bool:
    """The person may cancel or move an appointment still expected that has not started."""
    now = now or timezone.now()
    return appointment.status == AppointmentStatus.EXPECTED and appointment.starts_at > now


def _page(
    request: HttpRequest,
    person: Person,
    *,
    bound: PersonCancelForm | AskToMoveForm | None = None,
    bound_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    mine = _appointments(person)
    upcoming_q = _upcoming_q(now)
    upcoming = list(mine.filter(upcoming_q).order_by("starts_at", "pk"))
    past = list(mine.exclude(upcoming_q).order_by("-starts_at", "-pk")[:PAST_SHOWN])
    rows: list[dict[str, Any]] = []
    for appointment in upcoming:
        row: dict[str, Any] = {"a": appointment, "may_change": may_change(appointment, now)}
        if row["may_change"]:
            pk = appointment.pk
            row["cancel"] = (
                bound
                if isinstance(bound, PersonCancelForm) and bound_pk == pk
                else _cancel_form(pk)
            )
            row["move"] = (
                bound if isinstance(bound, AskToMoveForm) and bound_pk == pk else _move_form(pk)
            )
        rows.append(row)
    if upcoming or past:
        log_reads(user=request.user, person=person, sections={SECTION})
    return render(
        request,
        "portal/appointments.html",
        {
            "person": person,
            "upcoming": rows,
            "past": past,
            "reminder_form": ReminderChoiceForm(
                initial={"choice": current_reminder_choice(person)}
            ),
        },
        status=status,
    )


@login_required
@require_safe
def my_appointments(request: HttpRequest) -> HttpResponse:
    return _page(request, own_person(request))


def _own_appointment(person: Person, appointment_pk: int) -> Appointment:
    """One of the person's appointments, locked until the end of the transaction; 404 for
    anyone else's (missing and forbidden look the same)."""
    found = (
        Appointment.objects.select_for_update()
        .filter(pk=appointment_pk, person_id__in=record_ids(person))
        .first()
    )
    if found is None:
        raise Http404
    return found


def _no_longer(request: HttpRequest) -> HttpResponse:
    messages.error(
        request,
        _(
            "This appointment can no longer be changed from your space: it has already "
            "started, or it was cancelled or moved. Call the reception desk if you need to."
        ),
    )
    return redirect("portal:appointments")


def _back(appointment: Appointment) -> HttpResponse:
    return redirect(f"{reverse('portal:appointments')}#rdv-{appointment.pk}")


@login_required
@require_POST
def cancel(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    person = own_person(request)
    form = _cancel_form(appointment_pk, request.POST)
    with transaction.atomic():
        found = _own_appointment(person, appointment_pk)
        if not may_change(found):
            return _no_longer(request)
        if form.is_valid():
            try:
                do_cancel_appointment(
                    found, reason=form.cleaned_data["reason"], by_person=request.user
                )
            except flow.TransitionError:
                return _no_longer(request)
    if not form.is_valid():
        return _page(request, person, bound=form, bound_pk=found.pk, status=400)
    messages.success(
        request, _("Your appointment is cancelled. Thank you for letting the team know.")
    )
    return _back(found)


@login_required
@require_POST
def ask_to_move(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    person = own_person(request)
    form = _move_form(appointment_pk, request.POST)
    with transaction.atomic():
        found = _own_appointment(person, appointment_pk)
        if not may_change(found):
            return _no_longer(request)
        if form.is_valid():
            try:
                do_ask_to_move(found, wish=form.cleaned_data["wish"], user=request.user)
            except flow.TransitionError:
                return _no_longer(request)
    if not form.is_valid():
        return _page(request, person, bound=form, bound_pk=found.pk, status=400)
    messages.success(
        request,
        _(
            "Your request is sent. The reception team will call you back to agree on "
            "another time. Until then, your appointment stays as it is."
        ),
    )
    return _back(found)


@login_required
@require_POST
def reminders(request: HttpRequest) -> HttpResponse:
    """The person says whether and how they want to be reminded of their appointments."""
    person = own_person(request)
    form = ReminderChoiceForm(request.POST)
    if form.is_valid():
        do_record_reminder_choice(person, form.cleaned_data["choice"], user=request.user)
        messages.success(request, _("Your choice is recorded."))
    else:
        messages.error(request, _("Choose how you want to be reminded."))
    return redirect(reverse("portal:appointments") + "#reminders-title")
