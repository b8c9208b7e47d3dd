"""A person's right (record one, change it, read its history) and the structure's
catalogue of rights."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from maillage.core.access import TEAM_ROLES, RecordAccess
from maillage.core.audit import log_reads
from maillage.core.models import Member
from maillage.people.models import Person
from maillage.people.views import current_member
from maillage.rights import catalogue_actions
from maillage.rights.actions import RightInput, do_add_right, do_update_right
from maillage.rights.forms import KindForm, RightForm
from maillage.rights.models import PersonRight, RightKind
from maillage.rights.queries import kinds_for, rights_of
from maillage.rights.views import SECTION, social_record


def _kind_by_code(structure_id: int, code: str) -> RightKind | None:
    """The right of the catalogue a link asks for (``?droit=css``), national first."""
    if not code or len(code) > 40:
        return None
    return (
        kinds_for(structure_id)
        .filter(code=code)
        .order_by(F("structure_id").asc(nulls_first=True))
        .first()
    )


def _input(data: dict[str, Any]) -> RightInput:
    return RightInput(
        kind=data["kind"],
        status=data["status"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        reference=data["reference"],
        follower=data["follower"],
        notes=data["notes"],
    )


def _refused(form: RightForm, exc: ValidationError | PermissionDenied) -> None:
    """What the action refused, said on the form."""
    if isinstance(exc, ValidationError):
        form.add_error(None, exc)
    else:  # a right put out of use, or a member who left, since the page was opened
        form.add_error(
            None, _("This right or this member can no longer be chosen: choose another.")
        )


@login_required
def right_add(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk, write=True)
    kind = _kind_by_code(person.structure_id, request.GET.get("droit", ""))
    form = RightForm(
        request.POST if request.method == "POST" else None,
        structure_id=person.structure_id,
        initial={"kind": kind.pk if kind else None, "follower": access.member.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_add_right(access, _input(form.cleaned_data))
        except (ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The right is recorded."))
            return redirect("rights:overview", person_pk=person.pk)
    return render(
        request,
        "rights/right_form.html",
        {"person": person, "form": form, "right": None},
        status=400 if form.errors else 200,
    )


def _right_of(person: Person, right_pk: int) -> PersonRight:
    right = rights_of(person).filter(pk=right_pk).first()
    if right is None:
        raise Http404
    return right


@login_required
def right_edit(request: HttpRequest, person_pk: int, right_pk: int) -> HttpResponse:
    """A reader sees the right and its history; a writer also changes it there."""
    writing = request.method == "POST"
    person, access = social_record(request, person_pk, write=writing)
    right = _right_of(person, right_pk)
    form = None
    if access.can_write(SECTION):
        form = RightForm(
            request.POST if writing else None,
            structure_id=person.structure_id,
            right=right,
            initial=RightForm.initial_from(right),
        )
    if writing and form is not None and form.is_valid():
        try:
            do_update_right(access, right, _input(form.cleaned_data))
        except (ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The right is saved."))
            return redirect("rights:right_edit", person_pk=person.pk, right_pk=right.pk)
    return _right_page(request, person, access, right, form)


def _right_page(
    request: HttpRequest,
    person: Person,
    access: RecordAccess,
    right: PersonRight,
    form: RightForm | None,
) -> HttpResponse:
    changes = list(right.changes.select_related("by__user"))
    applications = list(right.applications.select_related("kind").order_by("-opened_on", "-pk"))
    log_reads(
        member=access.member,
        person=person,
        sections=[SECTION],
        obj=right,
        flagged=access.break_glass,
    )
    return render(
        request,
        "rights/right_form.html",
        {
            "person": person,
            "right": right,
            "form": form,
            "changes": changes,
            "applications": applications,
        },
        status=400 if form is not None and form.errors else 200,
    )


# --- The catalogue ----------------------------------------------------------------------


def _catalogue_member(request: HttpRequest) -> Member:
    """A member of the structure's team (404 for anyone else)."""
    member = current_member(request)
    if not (member.is_active and member.role in TEAM_ROLES):
        raise Http404
    return member


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The national rights and the structure's own; its keepers add rights of their own
    and put them out of use (or back)."""
    member = _catalogue_member(request)
    keeps = catalogue_actions.may_keep_catalogue(member)
    form = KindForm(prefix="add")
    if request.method == "POST":
        if not keeps:
            raise Http404
        if "kind" in request.POST:
            return _set_active(request, member)
        form = KindForm(request.POST, prefix="add")
        if form.is_valid():
            try:
                kind = catalogue_actions.do_add_right_kind(
                    member, form.cleaned_data["label"], form.cleaned_data["category"]
                )
            except ValidationError as exc:
                form.add_error("label", exc)
            else:
                messages.success(
                    request, _("“%(name)s” is added to the catalogue.") % {"name": kind.label}
                )
                return redirect("rights:catalogue")
    kinds = list(kinds_for(member.structure_id, active=False))
    return render(
        request,
        "rights/catalogue.html",
        {
            "national": [k for k in kinds if k.structure_id is None],
            "own": [k for k in kinds if k.structure_id is not None],
            "keeps": keeps,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def _set_active(request: HttpRequest, member: Member) -> HttpResponse:
    raw = request.POST.get("kind", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    kind = RightKind.objects.filter(pk=int(raw), structure_id=member.structure_id).first()
    if kind is None:
        raise Http404
    active = request.POST.get("active") == "1"
    catalogue_actions.do_set_right_kind_active(member, kind, active)
    if active:
        messages.success(request, _("“%(name)s” is in use again.") % {"name": kind.label})
    else:
        messages.success(
            request,
            _("“%(name)s” is no longer in use: the rights already recorded stay.")
            % {"name": kind.label},
        )
    return redirect("rights:catalogue")
