"""Potential rights: the household form, the estimate with OpenFisca-France (computed in
this warm process), and one step from a likely right not claimed to an application."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maillage.core.audit import log_reads
from maillage.rights import actions, queries
from maillage.rights.estimate_forms import EstimateForm, initial_for
from maillage.rights.models import RightKind, RightsEstimate
from maillage.rights.views import SECTION, social_record

NAMES = {
    "css": gettext_lazy("Complémentaire santé solidaire (free)"),
    "css_participation": gettext_lazy("Complémentaire santé solidaire (with a participation)"),
    "rsa": gettext_lazy("RSA"),
    "ppa": gettext_lazy("Prime d'activité"),
    "housing_aid": gettext_lazy("Housing aid (APL, ALS or ALF)"),
    "aah": gettext_lazy("AAH (disabled adult allowance)"),
    "ame": gettext_lazy("AME (state medical aid)"),
}
NOTES = {
    "not_for_undocumented": gettext_lazy("not open to a person without a residence permit"),
    "rent_missing": gettext_lazy("the rent is needed"),
    "commune_missing": gettext_lazy("the commune is needed"),
    "stay_missing": gettext_lazy("the right to stay in France is needed"),
    "since_missing": gettext_lazy("the date of arrival in France is needed"),
    "has_residence_permit": gettext_lazy("for persons without a residence permit"),
    "less_than_three_months": gettext_lazy("after three months in France"),
    "over_ceiling": gettext_lazy("resources above the ceiling"),
}
MISSING = {
    "birth_date": gettext_lazy("a date of birth (30 years old assumed)"),
    "rent": gettext_lazy("the rent"),
    "commune": gettext_lazy("the commune"),
    "stay": gettext_lazy("the right to stay in France"),
    "housing": gettext_lazy("the housing"),
}
ASSUMED = {
    "child_age": gettext_lazy("a child without a date of birth is counted as 10 years old"),
    "no_resources": gettext_lazy("no resource entered for an adult: none received"),
    "no_disability": gettext_lazy("no disability rate given: AAH not estimated"),
}


def _lines(found: RightsEstimate, not_claimed: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "code": line["code"],
            "name": NAMES.get(line["code"], line["code"]),
            "likely": line["likely"],
            "monthly": line["monthly"],
            "note": NOTES.get(line["note"], ""),
            "not_claimed": line["code"] in not_claimed,
        }
        for line in found.lines
    ]


@login_required
def estimate(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk)
    writes = access.can_write(SECTION)
    latest = queries.latest_estimate(person)
    status = 200
    if request.method == "POST":
        if not writes:
            raise Http404
        form = EstimateForm(request.POST)
        if form.is_valid():
            actions.do_estimate_rights(access, form.household())
            messages.success(request, _("The estimate is done."))
            return redirect(reverse("rights:estimate", args=[person.pk]) + "#result-title")
        status = 400
    else:
        living = queries.current_living_conditions(person)
        form = EstimateForm(initial=initial_for(person, living, latest))
    log_reads(person=person, sections=[SECTION], member=access.member, obj=latest)
    not_claimed = queries.potential_non_take_up(person, latest) if latest else []
    return render(
        request,
        "rights/estimate.html",
        {
            "person": person,
            "form": form,
            "writes": writes,
            "latest": latest,
            "lines": _lines(latest, not_claimed) if latest else [],
            "missing": [MISSING.get(code, code) for code in latest.missing] if latest else [],
            "assumed": [ASSUMED[code] for code in latest.assumed if code in ASSUMED]
            if latest
            else [],
        },
        status=status,
    )


def _kind_for(code: str, found: RightsEstimate, structure_id: int) -> RightKind:
    """The right of the catalogue an application for an estimated right is about."""
    kinds = queries.ESTIMATED_AS[code]
    if code == "housing_aid":
        inputs = found.inputs
        has_children = any(m["role"] == "child" for m in inputs.get("members", []))
        kinds = (
            ("apl",)
            if inputs.get("housing") == "social_tenant"
            else ("alf",)
            if has_children
            else ("als",)
        )
    kind = queries.kinds_for(structure_id).filter(structure__isnull=True, code=kinds[0]).first()
    if kind is None:
        raise Http404
    return kind


@login_required
@require_POST
def estimate_apply(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Start the application for a right the latest estimate finds likely and the person
    does not claim yet."""
    person, access = social_record(request, person_pk, write=True)
    latest = queries.latest_estimate(person)
    code = request.POST.get("right", "")
    if latest is None or code not in queries.potential_non_take_up(person, latest):
        raise Http404
    application = actions.do_open_application(
        access, _kind_for(code, latest, person.structure_id), from_estimate=True
    )
    messages.success(request, _("The application is started."))
    return redirect("rights:application", person_pk=person.pk, application_pk=application.pk)
