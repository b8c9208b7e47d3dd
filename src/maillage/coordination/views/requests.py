"""Requests to the coordination function (sollicitations): taking one down as it arrives
(any member of the team, a phone call at the desk), then the first contact, the triage and
the outcome (those who handle requests)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.coordination.actions import requests as actions
from maillage.coordination.forms.requests import (
    AssignForm,
    CloseForm,
    FirstContactForm,
    LinkPersonForm,
    RequestForm,
)
from maillage.coordination.models import Concerns, CoordinationRequest, Referral
from maillage.coordination.queries import requests as queries
from maillage.coordination.queries.referrals import referrals_for
from maillage.core.access import RecordAccess, can, get_record_for_member, persons_for_member
from maillage.core.audit import log_event, log_list_reads, log_reads
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.models import Person
from maillage.people.views import member_who_may

SECTION = Section.COORDINATION
PAGE_SIZE = 30
# The period of the times to first contact shown above the list.
STATS_DAYS = 90
VIEWS = {"attente": flow.WAITING, "tri": flow.IN_TRIAGE, "closes": flow.CLOSED}
VIEW_LABELS = {
    "attente": gettext_lazy("Waiting for a first contact"),
    "tri": gettext_lazy("In triage"),
    "closes": gettext_lazy("Closed"),
}
# The state machine's refusals (lib/coordination.py), said to the member.
REFUSALS = {
    "not_allowed": gettext_lazy(
        "This is no longer possible: the request has changed meanwhile. Reload the page."
    ),
    "outcome_needed": gettext_lazy("Choose the outcome."),
    "reason_needed": gettext_lazy("Say why the request is closed."),
    "person_needed": gettext_lazy("Link the request to a registered person first."),
    "referral_needed": gettext_lazy("Choose the referral."),
    "contact_time": gettext_lazy(
        "The first contact cannot be before the request arrived, nor in the future."
    ),
}


def duration(minutes: int | None) -> str:
    """Minutes in words (« 2 heures, 5 minutes »), or "" when there is none."""
    if minutes is None:
        return ""
    if minutes < 1:
        return _("less than a minute")
    now = timezone.now()
    return timesince(now - datetime.timedelta(minutes=minutes), now)


def _pk(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    return int(raw)


def _chosen(persons: QuerySet[Person], raw: str) -> Person | None:
    """The person chosen with ``?personne=<pk>``, among those given; 404 otherwise."""
    if not raw:
        return None
    return get_object_or_404(persons, pk=_pk(raw))


def _posted(persons: QuerySet[Person], raw: object) -> Person | None:
    """The person a posted hidden field names, to show them again (None if it is bad)."""
    value = str(raw or "")
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return persons.filter(pk=int(value)).first()


def _search(member: Member, text: str) -> list[Person]:
    found = queries.find_persons(member, text)
    if text.strip():
        log_event(action=AccessEvent.Action.SEARCH, member=member)
    return found


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "handle_requests")
    view = request.GET.get("vue", "attente")
    if view not in VIEWS:
        view = "attente"
    page = Paginator(queries.by_status(member, VIEWS[view]), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    log_list_reads(
        member=member,
        persons={r.person for r in page if r.person is not None},
        section=SECTION,
        reason="requests",
    )
    counts = queries.counts(member)
    stats = queries.first_contact_stats(
        member.structure_id, timezone.now() - datetime.timedelta(days=STATS_DAYS)
    )
    return render(
        request,
        "coordination/requests.html",
        {
            "page": page,
            "rows": [(r, duration(r.minutes_to_first_contact)) for r in page],
            "view": view,
            "view_label": VIEW_LABELS[view],
            "views": [(key, VIEW_LABELS[key], counts[status]) for key, status in VIEWS.items()],
            "waiting": counts[flow.WAITING],
            "stats": stats,
            "median": duration(stats["median_minutes"]),
            "p90": duration(stats["p90_minutes"]),
            "stats_days": STATS_DAYS,
            "query": f"vue={view}",
            "now": timezone.now(),
        },
    )


@login_required
def request_add(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "receive_request")
    persons = persons_for_member(member)
    chosen = _chosen(persons, request.GET.get("personne", ""))
    initial: dict[str, Any] = {}
    if chosen is not None:
        initial = {"person": chosen.pk, "concerns": Concerns.REGISTERED}
    form = RequestForm(
        request.POST or None, initial=initial, persons=persons, structure_id=member.structure_id
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created = actions.do_receive_request(
                member,
                concerns=data["concerns"],
                person=data["person"],
                unregistered_name=data["unregistered_name"],
                source=data["source"],
                source_name=data["source_name"],
                source_contact=data["source_contact"],
                channel=data["channel"],
                first_words=data["first_words"],
                urgency=data["urgency"],
                received_at=data["received_at"],
                assigned_to=data["assigned_to"],
            )
            messages.success(request, _("The request is taken down."))
            if can(member, "handle_requests", member.structure):
                return redirect("coordination:request", request_pk=created.pk)
            return redirect("coordination:request_add")
        chosen = _posted(persons, form["person"].value())
    query = request.GET.get("q", "")[:150]
    return render(
        request,
        "coordination/request_form.html",
        {
            "form": form,
            "chosen": chosen,
            "q": query,
            "found": _search(member, query) if chosen is None else [],
        },
    )


def _request(member: Member, request_pk: int) -> tuple[CoordinationRequest, RecordAccess | None]:
    """The request, if the member handles requests and, when it concerns a registered
    person, reads that person's coordination section; 404 otherwise."""
    found = get_object_or_404(
        CoordinationRequest.objects.select_related(
            "person",
            "received_by__user",
            "assigned_to__user",
            "first_contact_by__user",
            "closed_by__user",
            "referral__to_member__user",
            "referral__to_service__organisation",
            "referral__to_professional",
            "project",
        ),
        pk=request_pk,
        structure_id=member.structure_id,
    )
    if found.person_id is None:
        return found, None
    _person, access = get_record_for_member(member, found.person_id)
    if not access.can_read(SECTION):
        raise Http404
    return found, access


def _forms(
    request: HttpRequest,
    member: Member,
    item: CoordinationRequest,
    access: RecordAccess | None,
    step: str,
    link_persons: QuerySet[Person],
) -> dict[str, Any]:
    """The forms the request's status allows, the posted one bound."""

    def data(name: str) -> Any:
        return request.POST if step == name else None

    forms: dict[str, Any] = {}
    if item.status == flow.CLOSED:
        return forms
    if item.status == flow.WAITING:
        forms["contact"] = FirstContactForm(
            data("contact"), prefix="contact", received_at=item.received_at
        )
    if item.concerns == Concerns.UNREGISTERED:
        forms["link"] = LinkPersonForm(data("link"), prefix="link", persons=link_persons)
    forms["assign"] = AssignForm(
        data("assign"),
        prefix="assign",
        structure_id=member.structure_id,
        initial={"assigned_to": item.assigned_to_id},
    )
    referrals = referrals_for(access) if access is not None else Referral.objects.none()
    forms["close"] = CloseForm(
        data("close"), prefix="close", referrals=referrals, has_person=access is not None
    )
    return forms


def _apply(member: Member, item: CoordinationRequest, step: str, data: dict[str, Any]) -> str:
    """Run the step; the message to show."""
    if step == "contact":
        actions.do_first_contact(
            member,
            item,
            at=data["at"],
            listening_notes=data["listening_notes"],
            at_stake=data["at_stake"],
        )
        return _("The first contact is recorded; the request is in triage.")
    if step == "link":
        actions.do_link_person(member, item, data["person"])
        return _("The request is linked to the person's record.")
    if step == "assign":
        actions.do_assign_request(member, item, data["assigned_to"])
        return _("Who follows the request is saved.")
    actions.do_close_request(
        member, item, outcome=data["outcome"], note=data["note"], referral=data["referral"]
    )
    return _("The request is closed.")


@login_required
def request_detail(request: HttpRequest, request_pk: int) -> HttpResponse:
    member = member_who_may(request, "handle_requests")
    item, access = _request(member, request_pk)
    can_write = access is None or access.can_write(SECTION)
    persons = persons_for_member(member)
    linking = item.concerns == Concerns.UNREGISTERED and item.status != flow.CLOSED
    link_to = _chosen(persons, request.GET.get("personne", "")) if linking else None
    step = request.POST.get("step", "") if request.method == "POST" else ""
    forms = _forms(request, member, item, access, step, persons)
    if request.method == "POST":
        if not can_write:
            raise Http404
        form = forms.get(step)
        if form is None:
            messages.error(request, REFUSALS["not_allowed"])
            return redirect("coordination:request", request_pk=item.pk)
        if form.is_valid():
            try:
                done = _apply(member, item, step, form.cleaned_data)
            except flow.TransitionError as error:
                form.add_error(None, REFUSALS.get(str(error), REFUSALS["not_allowed"]))
            except PermissionDenied:
                form.add_error(None, _("You may not write in this person's coordination part."))
            else:
                messages.success(request, done)
                return redirect("coordination:request", request_pk=item.pk)
        if step == "link" and link_to is None:
            link_to = _posted(persons, form["person"].value())
    elif access is not None:
        log_reads(
            member=member, person=access.person, sections={SECTION}, flagged=access.break_glass
        )
    query = request.GET.get("q", "")[:150] if linking else ""
    if link_to is not None and "link" in forms and not forms["link"].is_bound:
        forms["link"].initial = {"person": link_to.pk}
    return render(
        request,
        "coordination/request_detail.html",
        {
            "item": item,
            "person": access.person if access is not None else None,
            "forms": forms,
            "can_write": can_write and item.status != flow.CLOSED,
            "waited": duration(item.minutes_to_first_contact),
            "now": timezone.now(),
            "q": query,
            "found": _search(member, query) if linking and link_to is None else [],
            "link_to": link_to,
            "can_register": can(member, "register_person", member.structure),
        },
    )


urlpatterns = [
    path("coordination/demandes/", request_list, name="requests"),
    path("coordination/demandes/nouvelle/", request_add, name="request_add"),
    path("coordination/demandes/<int:request_pk>/", request_detail, name="request"),
]
