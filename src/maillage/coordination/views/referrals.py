"""A person's referrals: propose one to the team, a service or a professional of the
directory, and follow it until the loop closes."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from maillage.coordination.actions import referrals as actions
from maillage.coordination.forms.referrals import ReferralForm, StepForm
from maillage.coordination.models import Referral
from maillage.coordination.queries import referrals as queries
from maillage.coordination.queries.directory import (
    directory_candidates,
    directory_target,
    search_words,
)
from maillage.core.access import RecordAccess, get_record_for_member
from maillage.core.audit import log_list_reads, log_reads
from maillage.core.models import Member
from maillage.core.roles import Role, Section
from maillage.lib.names import normalize
from maillage.people.models import Person
from maillage.people.views import current_member, member_who_may

SECTION = Section.COORDINATION
# The period of the response times shown on the team's referrals page.
STATS_DAYS = 90


def _record(request: HttpRequest, pk: int, write: bool = False) -> tuple[Person, RecordAccess]:
    person, access = get_record_for_member(current_member(request), pk)
    if person.merged_into_id or not access.can_read(SECTION):
        raise Http404
    if write and not access.can_write(SECTION):
        raise Http404
    return person, access


@login_required
def referral_list(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    referrals = list(queries.referrals_for(access))
    log_reads(member=access.member, person=person, sections={SECTION}, flagged=access.break_glass)
    return render(
        request,
        "coordination/referrals.html",
        {
            "person": person,
            "rows": [(r, queries.is_overdue(r)) for r in referrals],
            "can_write": access.can_write(SECTION),
        },
    )


def _target(member: Member, value: str) -> dict[str, Any]:
    """``service:12``, ``professional:3`` or ``member:5`` → the action's keyword, checked
    against the member's structure (404 otherwise)."""
    kind, _sep, raw = value.partition(":")
    if not raw.isdigit():
        raise Http404
    if kind in {"service", "professional"}:
        return {f"to_{kind}": directory_target(member.structure, value)}
    if kind == "member":
        return {
            "to_member": get_object_or_404(
                Member.objects.active().exclude(role__in=[Role.PARTNER, Role.NETWORK_OBSERVER]),
                pk=int(raw),
                structure=member.structure,
            )
        }
    raise Http404


def _candidates(member: Member, query: str) -> list[tuple[str, str, str]]:
    """(target value, name, detail) for a search by name among services, professionals
    and the team."""
    words = search_words(query)
    if not words:
        return []
    found = directory_candidates(member.structure, words)
    team = Member.objects.active().filter(structure=member.structure).select_related("user")
    found += [
        (f"member:{m.pk}", m.display_name, m.get_role_display())
        for m in team
        if all(word in normalize(m.display_name) for word in words)
    ][:5]
    return found


@login_required
def referral_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    member = access.member
    chosen = request.POST.get("target") or request.GET.get("cible", "")
    target = _target(member, chosen) if chosen else None
    form = ReferralForm(request.POST or None, initial={"target": chosen})
    if request.method == "POST" and form.is_valid() and target is not None:
        referral = actions.do_propose_referral(
            access,
            reason=form.cleaned_data["reason"],
            wishes=form.cleaned_data["wishes"],
            documents=form.cleaned_data["documents"],
            **target,
        )
        messages.success(request, _("The referral is proposed; follow it from here."))
        return redirect("coordination:referral", pk=person.pk, referral_pk=referral.pk)
    query = request.GET.get("q", "")[:150]
    return render(
        request,
        "coordination/referral_form.html",
        {
            "person": person,
            "form": form,
            "target": next(iter(target.values())) if target else None,
            "q": query,
            "candidates": _candidates(member, query),
        },
    )


def _duration(delay: datetime.timedelta | None) -> str:
    """A delay in words (« 3 jours, 2 heures »), or "" when there is none."""
    if delay is None:
        return ""
    now = timezone.now()
    return timesince(now - delay, now) if delay.total_seconds() >= 60 else _("less than a minute")


def _referral(access: RecordAccess, referral_pk: int) -> Referral:
    return get_object_or_404(queries.referrals_for(access), pk=referral_pk)


@login_required
def referral_detail(request: HttpRequest, pk: int, referral_pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    referral = _referral(access, referral_pk)
    form = StepForm(request.POST or None, current=referral.status)
    if request.method == "POST":
        if not access.can_write(SECTION):
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            appointment = None
            if data.get("appointment_date"):
                appointment = timezone.make_aware(
                    datetime.datetime.combine(
                        data["appointment_date"], data.get("appointment_time") or datetime.time(9)
                    )
                )
            actions.do_advance_referral(
                access,
                referral,
                data["status"],
                note=data.get("note") or "",
                appointment_at=appointment,
                feedback=data.get("feedback") or "",
            )
            messages.success(request, _("The referral is updated."))
            return redirect("coordination:referral", pk=person.pk, referral_pk=referral.pk)
    else:
        log_reads(
            member=access.member, person=person, sections={SECTION}, flagged=access.break_glass
        )
    return render(
        request,
        "coordination/referral_detail.html",
        {
            "person": person,
            "referral": referral,
            "events": referral.events.select_related("by__user"),
            "form": form,
            "overdue": queries.is_overdue(referral),
            "response_time": _duration(queries.response_time(referral)),
            "can_write": access.can_write(SECTION) and not referral.is_closed,
        },
    )


TEAM_VIEWS = {"ouvertes": "open", "sans-nouvelles": "overdue", "closes": "closed"}


@login_required
def team_referrals(request: HttpRequest) -> HttpResponse:
    """The structure's referrals, with how long receivers take to answer."""
    member = member_who_may(request, "view_team_tasks")
    view = request.GET.get("vue", "ouvertes")
    if view not in TEAM_VIEWS:
        view = "ouvertes"
    page = Paginator(queries.team_referrals(member, TEAM_VIEWS[view]), 30).get_page(
        request.GET.get("page")
    )
    log_list_reads(
        member=member, persons={r.person for r in page}, section=SECTION, reason="referrals"
    )
    since = timezone.now() - datetime.timedelta(days=STATS_DAYS)
    return render(
        request,
        "coordination/team_referrals.html",
        {
            "page": page,
            "rows": [(r, queries.is_overdue(r)) for r in page],
            "view": view,
            "views": [
                ("ouvertes", pgettext("referrals", "Open")),
                ("sans-nouvelles", _("Without news")),
                ("closes", pgettext("referrals", "Closed")),
            ],
            "query": f"vue={view}",
            "stats": queries.response_stats(member, since),
            "stats_days": STATS_DAYS,
            "overdue_days": settings.REFERRAL_OVERDUE_DAYS,
        },
    )


urlpatterns = [
    path("coordination/orientations/", team_referrals, name="team_referrals"),
    path("personnes/<int:pk>/orientations/", referral_list, name="referrals"),
    path("personnes/<int:pk>/orientations/nouvelle/", referral_add, name="referral_add"),
    path("personnes/<int:pk>/orientations/<int:referral_pk>/", referral_detail, name="referral"),
]
