"""The structure's micro-territories and the lived territory (counts only)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.access import can
from maillage.people.views import member_who_may
from maillage.territory import queries
from maillage.territory.forms import PeriodForm, PopulationFigureFormSet, TerritoryForm
from maillage.territory.maps import map_data
from maillage.territory.models import Territory


@login_required
def territory_list(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_territory")
    territories = list(queries.territories_of(member.structure))
    return render(
        request,
        "territory/territories.html",
        {
            "territories": territories,
            "can_edit": can(member, "edit_territory", member.structure),
            "map": map_data(territories=territories),
        },
    )


def _initial(territory: Territory) -> dict[str, Any]:
    import json

    return {
        "name": territory.name,
        "description": territory.description,
        "communes": ", ".join(c.code for c in territory.communes.all()),
        "iris_codes": ", ".join(territory.iris_codes),
        "area": json.dumps(territory.area) if territory.area else "",
    }


@login_required
def territory_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    member = member_who_may(request, "edit_territory")
    territory = (
        get_object_or_404(queries.territories_of(member.structure), pk=pk)
        if pk is not None
        else Territory(structure=member.structure, created_by=member)
    )
    form = TerritoryForm(
        request.POST or None,
        request.FILES or None,
        initial=_initial(territory) if territory.pk else None,
    )
    figures = PopulationFigureFormSet(request.POST or None, instance=territory, prefix="figures")
    if request.method == "POST" and form.is_valid() and figures.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            territory.name = data["name"]
            territory.description = data["description"]
            territory.iris_codes = data["iris_codes"]
            territory.area = data["area"]
            territory.save()
            territory.communes.set(data["communes"])
            figures.instance = territory
            figures.save()
        messages.success(request, _("The micro-territory is saved."))
        return redirect("territory:territory", pk=territory.pk)
    return render(
        request,
        "territory/territory_form.html",
        {"form": form, "figures": figures, "territory": territory},
    )


@login_required
def territory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "view_territory")
    territory = get_object_or_404(queries.territories_of(member.structure), pk=pk)
    return render(
        request,
        "territory/territory_detail.html",
        {
            "territory": territory,
            "can_edit": can(member, "edit_territory", member.structure),
            "map": map_data(territories=[territory]),
        },
    )


@login_required
def lived(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_territory")
    today = timezone.localdate()
    default = {"start": today - datetime.timedelta(days=365), "end": today}
    form = PeriodForm(request.GET or None, initial=default)
    period = form.cleaned_data if form.is_bound and form.is_valid() else default
    return render(
        request,
        "territory/lived.html",
        {
            "form": form,
            "start": period["start"],
            "end": period["end"],
            "lived": queries.lived_territory(member.structure, period["start"], period["end"]),
            "small": queries.SMALL_COUNT,
        },
    )


urlpatterns = [
    path("", territory_list, name="territories"),
    path("nouveau/", territory_edit, name="territory_add"),
    path("<int:pk>/", territory_detail, name="territory"),
    path("<int:pk>/modifier/", territory_edit, name="territory_edit"),
    path("vecu/", lived, name="lived"),
]
