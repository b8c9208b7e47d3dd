"""The person downloads their data: everything they may read in their own space, as a
FHIR R4 file (the ``Patient/$everything`` Bundle, for another health software) or as a
readable PDF summary of the same resources."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_person_reads
from maillage.core.models import AccessEvent
from maillage.fhir.caller import Caller
from maillage.fhir.everything import Everything, everything
from maillage.fhir.registry import Context
from maillage.people.models import Person
from maillage.portal.summary import summary, summary_pdf
from maillage.portal.views import own_person

REASON = "download"


def _my_data(request: HttpRequest, person: Person) -> tuple[Everything, Context]:
    """What the person may read of themself, written in their access log as an export."""
    caller = Caller(person=person, user=request.user)
    ctx = Context(request.build_absolute_uri("/fhir/R4").rstrip("/"), caller)
    found = everything(caller, person.pk, ctx)
    log_person_reads(
        reads=found.shown, user=request.user, action=AccessEvent.Action.EXPORT, reason=REASON
    )
    return found, ctx


def _file_name(extension: str) -> str:
    return f"mes-donnees-{timezone.localdate().isoformat()}.{extension}"


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    person = own_person(request)
    return render(request, "portal/my_data.html", {"person": person})


@login_required
def my_data_fhir(request: HttpRequest) -> HttpResponse:
    found, ctx = _my_data(request, own_person(request))
    text = json.dumps(found.bundle(ctx), ensure_ascii=False, indent=2)
    response = HttpResponse(text, content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name("json")}"'
    return response


@login_required
def my_data_pdf(request: HttpRequest) -> HttpResponse:
    person = own_person(request)
    found, _ctx = _my_data(request, person)
    pdf = summary_pdf(
        _("My data — %(name)s") % {"name": person},
        timezone.localdate(),
        summary(found.matches + found.included),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_file_name("pdf")}"'
    return response
