"""The person's living conditions (a new dated snapshot at each change, the earlier ones
kept as history) and their EPICES precarity score."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from maillage.core.access import RecordAccess
from maillage.core.audit import log_reads
from maillage.core.roles import Section
from maillage.lib import epices as epices_lib
from maillage.people.models import Person
from maillage.rights import actions, queries
from maillage.rights.models import EpicesScore, IncomeSource, LivingConditions
from maillage.rights.situation_forms import EpicesForm, LivingConditionsForm
from maillage.rights.views import social_record

SECTION = Section.SOCIAL

LABELS = {
    "housing": gettext_lazy("Housing"),
    "household": gettext_lazy("Household"),
    "work": gettext_lazy("Work"),
    "income": gettext_lazy("Income"),
    "food": gettext_lazy("Difficulty to eat enough"),
    "transport": gettext_lazy("Difficulty to get around"),
    "isolation": gettext_lazy("Isolation"),
    "digital": gettext_lazy("Digital access"),
    "status": gettext_lazy("Administrative status"),
    "in_france_since": gettext_lazy("In France since"),
    "domiciliation": gettext_lazy("Domiciliation"),
    "notes": gettext_lazy("Notes"),
}


def _day(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _joined(*parts: str) -> str:
    return " — ".join(p for p in parts if p)


def _household(lc: LivingConditions) -> str:
    counts = []
    if lc.adults is not None:
        counts.append(ngettext("%(n)s adult", "%(n)s adults", lc.adults) % {"n": lc.adults})
    if lc.children is not None:
        counts.append(ngettext("%(n)s child", "%(n)s children", lc.children) % {"n": lc.children})
    return _joined(", ".join(counts), lc.household_details)


def _income(lc: LivingConditions) -> str:
    labels = dict(IncomeSource.choices)
    sources = ", ".join(str(labels.get(code, code)) for code in lc.income_sources or [])
    amount = ""
    if lc.monthly_income is not None:
        amount = _("%(amount)s € a month") % {
            "amount": formats.number_format(lc.monthly_income, 2, force_grouping=True)
        }
    return _joined(sources, amount)


def _status(lc: LivingConditions, today: datetime.date) -> str:
    permit = ""
    if lc.permit_expires_on is not None:
        expires = _day(lc.permit_expires_on)
        permit = (
            _("expired on %(date)s") % {"date": expires}
            if lc.permit_expires_on < today
            else _("valid until %(date)s") % {"date": expires}
        )
    return _joined(lc.get_administrative_status_display(), lc.permit_type, permit)


def living_facts(lc: LivingConditions) -> list[dict[str, str]]:
    """What was said of the situation, in words, leaving out what was not said."""
    today = timezone.localdate()
    facts = [
        ("housing", _joined(lc.get_housing_display(), lc.housing_details)),
        ("household", _household(lc)),
        ("work", lc.get_work_display()),
        ("income", _income(lc)),
        ("food", lc.get_food_insecurity_display()),
        ("transport", lc.get_transport_display()),
        ("isolation", lc.get_isolation_display()),
        ("digital", lc.get_digital_display()),
        ("status", _status(lc, today)),
        ("in_france_since", _day(lc.in_france_since) if lc.in_france_since else ""),
        ("domiciliation", lc.domiciliation),
        ("notes", lc.notes),
    ]
    return [
        {"key": key, "label": str(LABELS[key]), "value": value} for key, value in facts if value
    ]


def epices_rows(scores: list[EpicesScore]) -> list[dict[str, Any]]:
    return [
        {
            "answered_on": s.answered_on,
            "score": s.score,
            "precarious": epices_lib.is_precarious(s.score),
            "recorded_by": s.recorded_by,
        }
        for s in scores
    ]


def log_social_read(person: Person, access: RecordAccess) -> None:
    log_reads(
        person=person,
        sections=[SECTION],
        member=access.member,
        flagged=access.break_glass,
        reason=_("emergency access") if access.break_glass else "",
    )


# --- Living conditions ------------------------------------------------------------------


@login_required
def living(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk, write=True)
    if request.method == "POST":
        form = LivingConditionsForm(request.POST)
        if form.is_valid():
            as_of, data = form.living_data()
            try:
                actions.do_record_living_conditions(access, as_of, data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The living conditions are recorded."))
                return redirect("rights:overview", person_pk=person.pk)
        status = 400
    else:
        current = queries.current_living_conditions(person)
        if current is not None:
            log_social_read(person, access)
        form = LivingConditionsForm(initial=LivingConditionsForm.initial_from(current))
        status = 200
    return render(
        request, "rights/living_form.html", {"person": person, "form": form}, status=status
    )


@login_required
def living_history(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk)
    snapshots = list(queries.living_history(person))
    if snapshots:
        log_social_read(person, access)
    return render(
        request,
        "rights/living_history.html",
        {
            "person": person,
            "access": access,
            "snapshots": [{"lc": lc, "facts": living_facts(lc)} for lc in snapshots],
            "can_write": access.can_write(SECTION),
        },
    )


# --- EPICES -----------------------------------------------------------------------------


@login_required
def epices(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk, write=True)
    if request.method == "POST":
        form = EpicesForm(request.POST)
        if form.is_valid():
            try:
                made = actions.do_record_epices(
                    access, form.cleaned_data["answered_on"], form.answers()
                )
            except epices_lib.Incomplete as missing:
                for code in missing.missing:
                    form.add_error(code, _("Answer this question."))
            except ValidationError as error:
                form.add_error("answered_on", error)
            else:
                messages.success(
                    request,
                    _("The EPICES score is recorded: %(score)s out of 100.")
                    % {"score": formats.number_format(made.score, 2)},
                )
                return redirect(reverse("rights:overview", args=[person.pk]) + "#epices-title")
        status = 400
    else:
        form = EpicesForm()
        status = 200
    scores = list(queries.epices_history(person))
    if scores:
        log_social_read(person, access)
    return render(
        request,
        "rights/epices_form.html",
        {
            "person": person,
            "form": form,
            "scores": epices_rows(scores),
            "threshold": epices_lib.THRESHOLD,
        },
        status=status,
    )
