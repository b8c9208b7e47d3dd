"""The circle of care (the « communauté » around the person's situation): members of the
team, external partners, professionals and services of the directory, people close to
the person, each with a role and the date the person agreed. It belongs to the
coordination section of the record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from maillage.coordination.actions import circle as actions
from maillage.coordination.forms.circle import (
    CircleDirectoryForm,
    CircleMemberForm,
    CircleRelationForm,
)
from maillage.coordination.queries import circle as queries
from maillage.coordination.queries.directory import (
    directory_candidates,
    directory_target,
    search_words,
)
from maillage.coordination.views.projects import SECTION, _record
from maillage.core.access import RecordAccess
from maillage.core.audit import log_reads
from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.people.models import Person
from maillage.territory.models import Professional, Service


def _page(
    request: HttpRequest,
    person: Person,
    access: RecordAccess,
    *,
    member_form: CircleMemberForm | None = None,
    directory_form: CircleDirectoryForm | None = None,
    relation_form: CircleRelationForm | None = None,
) -> HttpResponse:
    circle = queries.circle_for(access)
    grants = queries.granted_sections(
        person, [row.member_id for row in circle.partners if row.member_id]
    )
    can_write = access.can_write(SECTION)
    structure = access.member.structure
    query = request.GET.get("q", "")[:150]
    chosen: Any = None
    if can_write:
        if member_form is None:
            member_form = CircleMemberForm(structure_id=structure.pk, prefix="member")
        if relation_form is None:
            relation_form = CircleRelationForm(person=person, prefix="relation")
        if directory_form is None:
            value = request.GET.get("cible", "")
            if value:
                chosen = directory_target(structure, value)
                directory_form = CircleDirectoryForm(
                    structure=structure, prefix="directory", initial={"target": value}
                )
        else:
            chosen = directory_form.entry
    log_reads(member=access.member, person=person, sections={SECTION}, flagged=access.break_glass)
    return render(
        request,
        "coordination/circle.html",
        {
            "person": person,
            "circle": circle,
            "partners": [(row, grants.get(row.member_id or 0, [])) for row in circle.partners],
            "can_write": can_write,
            "member_form": member_form,
            "relation_form": relation_form,
            "has_relations": can_write and queries.current_relations(person).exists(),
            "directory_form": directory_form,
            "chosen": chosen,
            "q": query,
            "candidates": directory_candidates(structure, search_words(query)) if can_write else [],
        },
    )


@login_required
@require_safe
def circle_page(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    return _page(request, person, access)


def _added(request: HttpRequest, name: str, care_team_changed: bool, member: Member | None) -> None:
    if member is not None and member.role == Role.PARTNER:
        messages.success(
            request,
            _(
                "%(name)s is in the circle of care. This opens nothing: they read only the "
                "parts of the record the person opens to them."
            )
            % {"name": name},
        )
    elif member is not None and care_team_changed:
        messages.success(
            request,
            _("%(name)s is in the circle of care and in the care team.") % {"name": name},
        )
    elif member is not None:
        messages.warning(
            request,
            _(
                "%(name)s is in the circle of care. The care team was not changed: only the "
                "referent or a coordinator adds someone to it."
            )
            % {"name": name},
        )
    else:
        messages.success(request, _("%(name)s is in the circle of care.") % {"name": name})


def _already(form: Any) -> None:
    form.add_error(None, _("This person is already in the circle of care."))


@login_required
@require_POST
def circle_add_member(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    form = CircleMemberForm(request.POST, structure_id=access.member.structure_id, prefix="member")
    if form.is_valid():
        data = form.cleaned_data
        added: Member = data["member"]
        try:
            _row, changed = actions.do_add_to_circle(
                access,
                member=added,
                role=data["role"],
                agreed_on=data["agreed_on"],
                note=data["note"],
            )
        except actions.AlreadyInCircle:
            _already(form)
        else:
            _added(request, added.display_name, changed, added)
            return redirect("coordination:circle", pk=person.pk)
    return _page(request, person, access, member_form=form)


@login_required
@require_POST
def circle_add_directory(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    form = CircleDirectoryForm(request.POST, structure=access.member.structure, prefix="directory")
    if form.is_valid() and form.entry is not None:
        data = form.cleaned_data
        entry = form.entry
        service = entry if isinstance(entry, Service) else None
        professional = entry if isinstance(entry, Professional) else None
        try:
            actions.do_add_to_circle(
                access,
                role=data["role"],
                agreed_on=data["agreed_on"],
                note=data["note"],
                service=service,
                professional=professional,
            )
        except actions.AlreadyInCircle:
            _already(form)
        else:
            _added(request, str(entry), False, None)
            return redirect("coordination:circle", pk=person.pk)
    return _page(request, person, access, directory_form=form)


@login_required
@require_POST
def circle_add_relation(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    form = CircleRelationForm(request.POST, person=person, prefix="relation")
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_add_to_circle(
                access,
                relation=data["relation"],
                role=data["role"],
                agreed_on=data["agreed_on"],
                note=data["note"],
            )
        except actions.AlreadyInCircle:
            _already(form)
        else:
            _added(request, data["relation"].name, False, None)
            return redirect("coordination:circle", pk=person.pk)
    return _page(request, person, access, relation_form=form)


@login_required
@require_POST
def circle_end(request: HttpRequest, pk: int, circle_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    row = queries.circle_row(access, circle_pk)
    if row is None:
        raise Http404
    actions.do_end_circle_member(access, row)
    messages.success(request, _("They are no longer in the circle of care."))
    return redirect("coordination:circle", pk=person.pk)


P = "personnes/<int:pk>/cercle/"
urlpatterns: list[URLPattern] = [
    path(P, circle_page, name="circle"),
    path(P + "membre/", circle_add_member, name="circle_add_member"),
    path(P + "annuaire/", circle_add_directory, name="circle_add_directory"),
    path(P + "entourage/", circle_add_relation, name="circle_add_relation"),
    path(P + "<int:circle_pk>/fin/", circle_end, name="circle_end"),
]
