"""Indicators of access to rights for the structure, over a period (counts only; small
counts masked)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.reports import computed
from maillage.people.views import member_who_may
from maillage.rights import indicators as ind
from maillage.rights.estimate_forms import NotFuture
from maillage.rights.views.estimate import NAMES


class PeriodForm(forms.Form):
    du = NotFuture(label=_("From"))
    au = NotFuture(label=_("To"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("du") and data.get("au") and data["au"] < data["du"]:
            self.add_error("au", _("The end of the period comes before its start."))
        return data


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_rights_report")
    today = timezone.localdate()
    default_start = today - datetime.timedelta(days=365)
    form = PeriodForm(request.GET or None)
    start, end = default_start, today
    status = 200
    if request.GET:
        if form.is_valid():
            start = form.cleaned_data.get("du") or default_start
            end = form.cleaned_data.get("au") or today
        else:
            status = 400
    else:
        form = PeriodForm(initial={"du": start, "au": end})
    found = computed(ind.compute, member.structure_id, start, end)
    return render(
        request,
        "rights/indicators.html",
        {
            "form": form,
            "found": found,
            "small": ind.SMALL_COUNT,
            "non_take_up": [(NAMES.get(code, code), n) for code, n in found.non_take_up],
        },
        status=status,
    )
