"""The person's own sharing choices: what they hide, what they open, and the history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.portal.views import own_person
from maillage.record import actions
from maillage.record.models import SharingChoice
from maillage.record.sharing_forms import SECTION_HELP, GrantForm, RefuseForm, structure_members
from maillage.record.views.sharing import choices_with_people


def _page(
    request: HttpRequest,
    person: Person,
    *,
    refuse_form: RefuseForm | None = None,
    grant_form: GrantForm | None = None,
) -> HttpResponse:
    choices = choices_with_people(person)
    members = structure_members(person)
    if refuse_form is None:
        refuse_form = RefuseForm(person=person, members=members, prefix="refuse")
    if grant_form is None:
        grant_form = GrantForm(person=person, members=members, prefix="grant")
    # Who may read what is an administrative fact of the person's record.
    log_event(
        action=AccessEvent.Action.READ,
        user=request.user,
        person=person,
        section=Section.ADMINISTRATIVE,
        obj=person,
    )
    return render(
        request,
        "portal/sharing.html",
        {
            "person": person,
            "current": [c for c in choices if c.withdrawn_at is None],
            "withdrawn": [c for c in choices if c.withdrawn_at is not None],
            "refuse_form": refuse_form,
            "grant_form": grant_form,
            "section_help": [(label, SECTION_HELP[value]) for value, label in Section.choices],
        },
    )


@login_required
def sharing(request: HttpRequest) -> HttpResponse:
    return _page(request, own_person(request))


def _record(request: HttpRequest, form_class: type[RefuseForm | GrantForm]) -> HttpResponse:
    person = own_person(request)
    prefix = "refuse" if form_class is RefuseForm else "grant"
    form = form_class(request.POST, person=person, members=structure_members(person), prefix=prefix)
    if not form.is_valid():
        forms: dict[str, Any] = {f"{prefix}_form": form}
        return _page(request, person, **forms)
    form.record(request.user)
    messages.success(request, _("Your choice is recorded. You can withdraw it at any time."))
    return redirect("portal:sharing")


@login_required
@require_POST
def refuse(request: HttpRequest) -> HttpResponse:
    return _record(request, RefuseForm)


@login_required
@require_POST
def grant(request: HttpRequest) -> HttpResponse:
    return _record(request, GrantForm)


@login_required
@require_POST
def withdraw(request: HttpRequest, choice_pk: int) -> HttpResponse:
    person = own_person(request)
    choice = get_object_or_404(SharingChoice, pk=choice_pk, person=person)
    if choice.withdrawn_at is None:
        actions.do_withdraw_choice(choice, user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Your choice is withdrawn. It stays in the history below."))
    else:
        messages.info(request, _("This choice was already withdrawn."))
    return redirect("portal:sharing")
