"""The searchable list of ICPC-2 rubrics beside the code fields (reference data: no
person's record is read, so no access event)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from maillage.people.views import member_who_may
from maillage.record import queries

MAX_QUERY = 100


@login_required
@require_GET
def icpc2_search(request: HttpRequest) -> HttpResponse:
    member_who_may(request, "search_codes")
    query = request.GET.get("q", "")[:MAX_QUERY]
    rubrics = queries.icpc2_search(query) if query.strip() else []
    return render(
        request, "record/_icpc2_results.html", {"query": query.strip(), "rubrics": rubrics}
    )


urlpatterns = [path("codes/cisp2/", icpc2_search, name="icpc2_search")]
