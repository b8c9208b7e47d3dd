"""The person's rights, in their space: their rights and health coverage with their dates,
the applications made with them and the documents still to bring, and their latest
estimate of potential rights. Reading it is a read of the social section of their record,
in their access log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from maillage.core.audit import log_reads
from maillage.core.roles import Section
from maillage.people.queries import record_ids
from maillage.portal.views import own_person
from maillage.rights.models import Application, PersonRight, RightsEstimate
from maillage.rights.queries import potential_non_take_up
from maillage.rights.views.estimate import NAMES


@login_required
@require_safe
def my_rights(request: HttpRequest) -> HttpResponse:
    person = own_person(request)
    ids = record_ids(person)
    rights = list(PersonRight.objects.filter(person_id__in=ids).select_related("kind"))
    applications = list(
        Application.objects.filter(person_id__in=ids)
        .select_related("kind")
        .prefetch_related("documents")
    )
    estimate = RightsEstimate.objects.filter(person_id__in=ids).first()
    log_reads(person=person, sections=[Section.SOCIAL], user=request.user)
    not_claimed = potential_non_take_up(person, estimate) if estimate else []
    return render(
        request,
        "portal/rights.html",
        {
            "person": person,
            "rights": rights,
            "applications": [
                (a, [d for d in a.documents.all() if d.received_on is None]) for a in applications
            ],
            "estimate": estimate,
            "likely": [
                (
                    NAMES.get(line["code"], line["code"]),
                    line["monthly"],
                    line["code"] in not_claimed,
                )
                for line in (estimate.lines if estimate else [])
                if line["likely"]
            ],
        },
    )
