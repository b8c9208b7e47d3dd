"""The person's page "Social situation and rights": their current living conditions, their
EPICES score, their rights and the applications made with them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.lib import epices
from maillage.rights import queries
from maillage.rights.views import SECTION, social_record
from maillage.rights.views.estimate import NAMES
from maillage.rights.views.situation import epices_rows, living_facts, log_social_read

# Scores shown on the page (the EPICES page lists them all).
SCORES_SHOWN = 5


@login_required
def overview(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk)
    living = queries.current_living_conditions(person)
    scores = epices_rows(list(queries.epices_history(person)[:SCORES_SHOWN]))
    rights = list(queries.rights_of(person))
    applications = list(queries.applications_of(person))
    estimate = queries.latest_estimate(person)
    not_claimed = queries.potential_non_take_up(person, estimate) if estimate else []
    log_social_read(person, access)
    return render(
        request,
        "rights/overview.html",
        {
            "person": person,
            "access": access,
            "can_write": access.can_write(SECTION),
            "living": living,
            "living_facts": living_facts(living) if living is not None else [],
            "latest_score": scores[0] if scores else None,
            "scores": scores,
            "threshold": epices.THRESHOLD,
            "rights": rights,
            "applications": applications,
            "estimate": estimate,
            "not_claimed": [NAMES.get(code, code) for code in not_claimed],
        },
    )
