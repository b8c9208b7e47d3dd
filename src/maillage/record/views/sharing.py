"""Care team, the person's sharing choices, emergency access (break-glass)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maillage.core.access import (
    TEAM_ROLES,
    can_manage_care_team,
    can_record_choice,
    get_record_for_member,
)
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.people.actions import log_read
from maillage.people.models import Person
from maillage.people.views import current_member, require
from maillage.record import actions
from maillage.record.choices import SharingKind
from maillage.record.models import CareTeamMember, SharingChoice
from maillage.record.sharing_forms import (
    SECTION_HELP,
    BreakGlassForm,
    CareTeamAddForm,
    CareTeamRemoveForm,
    GrantForm,
    RefuseForm,
    structure_members,
)

# Why a care-team row ended, when the reason is a code written by the actions.
END_REASONS = {
    "referent_changed": gettext_lazy("Another member became the referent"),
    "became_referent": gettext_lazy("Became the referent (continued on a new line)"),
    "removed": gettext_lazy("Removed from the care team"),
}


def end_reason_label(row: CareTeamMember) -> str:
    return str(END_REASONS.get(row.end_reason, row.end_reason))


# --- Care team -------------------------------------------------------------------------


def _care_team_page(
    request: HttpRequest,
    member: Member,
    person: Person,
    *,
    add_form: CareTeamAddForm | None = None,
    remove_form: CareTeamRemoveForm | None = None,
    remove_row: int | None = None,
) -> HttpResponse:
    rows = list(
        CareTeamMember.objects.filter(person=person)
        .select_related("member__user", "added_by__user", "ended_by__user")
        .order_by("-is_referent", "-added_at", "-pk")
    )
    current = [r for r in rows if r.ended_at is None]
    ended = sorted(
        (r for r in rows if r.ended_at is not None),
        key=lambda r: (r.ended_at, r.pk),
        reverse=True,
    )
    can_manage = can_manage_care_team(member, person)
    if can_manage and add_form is None:
        add_form = CareTeamAddForm(person=person)
    log_event(
        action=AccessEvent.Action.READ,
        member=member,
        person=person,
        section=Section.COORDINATION,
        obj=person,
    )
    return render(
        request,
        "record/care_team.html",
        {
            "person": person,
            "current": current,
            "referent": next((r for r in current if r.is_referent), None),
            "ended": [(r, end_reason_label(r)) for r in ended],
            "can_manage": can_manage,
            "add_form": add_form,
            "remove_form": remove_form,
            "remove_row": remove_row,
            "whole_structure": person.structure.is_care_team,
        },
    )


@login_required
def care_team(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    return _care_team_page(request, member, person)


@login_required
@require_POST
def care_team_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    require(can_manage_care_team(member, person))
    form = CareTeamAddForm(request.POST, person=person)
    if not form.is_valid():
        return _care_team_page(request, member, person, add_form=form)
    added: Member = form.cleaned_data["member"]
    actions.do_add_to_care_team(member, person, added, referent=form.cleaned_data["referent"])
    messages.success(
        request,
        _("%(name)s is in the care team of %(person)s.")
        % {"name": added.display_name, "person": person},
    )
    return redirect("record:care_team", pk=person.pk)


def _current_row(person: Person, row_pk: int) -> CareTeamMember:
    return get_object_or_404(
        CareTeamMember.objects.current().select_related("member__user"),
        pk=row_pk,
        person=person,
    )


@login_required
@require_POST
def care_team_referent(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    require(can_manage_care_team(member, person))
    row = _current_row(person, row_pk)
    if not row.is_referent:
        actions.do_set_referent(member, person, row)
    messages.success(
        request,
        _("%(name)s is now the referent of %(person)s.")
        % {"name": row.member.display_name, "person": person},
    )
    return redirect("record:care_team", pk=person.pk)


@login_required
@require_POST
def care_team_remove(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    require(can_manage_care_team(member, person))
    row = _current_row(person, row_pk)
    form = CareTeamRemoveForm(request.POST)
    if not form.is_valid():
        return _care_team_page(request, member, person, remove_form=form, remove_row=row.pk)
    actions.do_remove_from_care_team(member, row, form.cleaned_data["reason"].strip())
    messages.success(
        request,
        _("%(name)s has left the care team (kept in the history).")
        % {"name": row.member.display_name},
    )
    return redirect("record:care_team", pk=person.pk)


# --- The person's sharing choices, recorded by a member on their behalf ---------------


def choices_with_people(person: Person) -> list[SharingChoice]:
    """Every choice of the person, current and withdrawn, newest first (one query)."""
    return list(
        SharingChoice.objects.filter(person=person).select_related(
            "member__user",
            "recorded_by_user",
            "recorded_by_member__user",
            "withdrawn_by_user",
            "withdrawn_by_member__user",
        )
    )


def concerns(choice: SharingChoice, member: Member) -> bool:
    """Whether withdrawing this refusal would give the member more access."""
    return choice.kind == SharingKind.REFUSE and (
        choice.member_id == member.pk or choice.role == member.role
    )


def _sharing_page(
    request: HttpRequest,
    member: Member,
    person: Person,
    *,
    refuse_form: RefuseForm | None = None,
    grant_form: GrantForm | None = None,
) -> HttpResponse:
    choices = choices_with_people(person)
    if member.role not in TEAM_ROLES:
        # An external partner sees only the choices that name them.
        choices = [c for c in choices if c.member_id == member.pk]
    may_record = can_record_choice(member, person)
    if may_record and (refuse_form is None or grant_form is None):
        members = structure_members(person)
        if refuse_form is None:
            refuse_form = RefuseForm(person=person, members=members, me=member, prefix="refuse")
        if grant_form is None:
            grant_form = GrantForm(person=person, members=members, me=member, prefix="grant")
    # The choices are about who may read what: an administrative fact of the record.
    log_read(member, person)
    return render(
        request,
        "record/sharing.html",
        {
            "person": person,
            "current": [(c, concerns(c, member)) for c in choices if c.withdrawn_at is None],
            "withdrawn": [c for c in choices if c.withdrawn_at is not None],
            "may_record": may_record,
            "refuse_form": refuse_form,
            "grant_form": grant_form,
            "section_help": [(label, SECTION_HELP[value]) for value, label in Section.choices],
        },
    )


@login_required
def sharing(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    return _sharing_page(request, member, person)


def _record(
    request: HttpRequest, pk: int, form_class: type[RefuseForm | GrantForm]
) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    require(can_record_choice(member, person))
    members = structure_members(person)
    prefix = "refuse" if form_class is RefuseForm else "grant"
    form = form_class(request.POST, person=person, members=members, me=member, prefix=prefix)
    if not form.is_valid():
        forms: dict[str, Any] = {f"{prefix}_form": form}
        return _sharing_page(request, member, person, **forms)
    form.record(member.user, on_behalf_by=member)
    messages.success(request, _("The choice of %(person)s is recorded.") % {"person": person})
    return redirect("record:sharing", pk=person.pk)


@login_required
@require_POST
def sharing_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return _record(request, pk, RefuseForm)


@login_required
@require_POST
def sharing_grant(request: HttpRequest, pk: int) -> HttpResponse:
    return _record(request, pk, GrantForm)


@login_required
@require_POST
def sharing_withdraw(request: HttpRequest, pk: int, choice_pk: int) -> HttpResponse:
    member = current_member(request)
    person, _access = get_record_for_member(member, pk)
    require(can_record_choice(member, person))
    choice = get_object_or_404(SharingChoice, pk=choice_pk, person=person)
    # Nobody lifts a refusal that keeps them out: the person or a colleague does.
    require(not concerns(choice, member))
    if choice.withdrawn_at is None:
        actions.do_withdraw_choice(choice, user=member.user, on_behalf_by=member)
        messages.success(request, _("The choice is withdrawn; it stays in the history."))
    else:
        messages.info(request, _("This choice was already withdrawn."))
    return redirect("record:sharing", pk=person.pk)


# --- Emergency access ------------------------------------------------------------------


@login_required
def break_glass(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person, access = get_record_for_member(member, pk)
    require(access.may_break_glass)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_break_glass(access, form.cleaned_data["reason"])
        messages.warning(
            request,
            _(
                "Emergency access is open for a few hours. It is flagged in the access log; "
                "the referent and the person are told."
            ),
        )
        return redirect("record:timeline", pk=person.pk)
    # The page names the person: an identity read.
    log_read(member, person)
    return render(
        request,
        "record/break_glass.html",
        {"person": person, "form": form, "not_in_team": not access.in_care_team},
    )


urlpatterns: list[URLPattern] = [
    path("<int:pk>/equipe-de-soins/", care_team, name="care_team"),
    path("<int:pk>/equipe-de-soins/ajouter/", care_team_add, name="care_team_add"),
    path(
        "<int:pk>/equipe-de-soins/<int:row_pk>/referent/",
        care_team_referent,
        name="care_team_referent",
    ),
    path(
        "<int:pk>/equipe-de-soins/<int:row_pk>/retirer/",
        care_team_remove,
        name="care_team_remove",
    ),
    path("<int:pk>/partage/", sharing, name="sharing"),
    path("<int:pk>/partage/refuser/", sharing_refuse, name="sharing_refuse"),
    path("<int:pk>/partage/ouvrir/", sharing_grant, name="sharing_grant"),
    path("<int:pk>/partage/<int:choice_pk>/retirer/", sharing_withdraw, name="sharing_withdraw"),
    path("<int:pk>/acces-urgence/", break_glass, name="break_glass"),
]
