"""The directory of the territory: search, organisations and services, what the team
knows of them, import and export in the data·inclusion format."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.access import can, get_person_for_member, record_access
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.people.actions import log_read
from maillage.people.models import Person
from maillage.people.views import member_who_may
from maillage.territory import actions, queries
from maillage.territory import datainclusion as di
from maillage.territory.forms import DirectorySearchForm, HealthAccessForm, ImportForm
from maillage.territory.hours import is_open, next_change
from maillage.territory.maps import map_data
from maillage.territory.models import Commune, DirectoryEntry, Service

PAGE_SIZE = 20


def _near_person(
    request: HttpRequest, member: Member, form: DirectorySearchForm
) -> tuple[Person | None, tuple[float, float] | None]:
    """The person whose address a search starts from (``?person=``), if the member may
    see them (404 otherwise), and where that address is: its point, else its commune's
    centre. Reading it is logged like any read of the person's identity."""
    raw = request.GET.get("person", "")
    if not raw:
        return None, None
    person = get_person_for_member(member, raw)
    log_read(member, person)
    if person.latitude is not None and person.longitude is not None:
        return person, (person.latitude, person.longitude)
    commune = Commune.objects.filter(code=person.commune_code, latitude__isnull=False).first()
    if commune is not None and commune.longitude is not None:
        return person, (commune.latitude, commune.longitude)  # type: ignore[return-value]
    form.add_error(
        None, _("Where %(name)s lives is not known: no distance is applied.") % {"name": person}
    )
    return person, None


def _can_refer(member: Member, person: Person) -> bool:
    access = record_access(member, person)
    return access is not None and access.can_write(Section.COORDINATION)


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    form = DirectorySearchForm(request.GET or None)
    person, near = _near_person(request, member, form) if request.GET else (None, None)
    filters = form.filters(near)
    found = queries.search_services(member.structure, filters)
    page = Paginator(found.pks, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    now = timezone.now()
    services = found.page(list(page.object_list))
    rows = [
        (service, is_open(service.horaires_accueil or service.organisation.horaires_accueil, now))
        for service in services
    ]
    centre_label = (
        _("Home of %(name)s") % {"name": person} if person is not None else _("Search centre")
    )
    return render(
        request,
        "territory/directory.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "near_person": person,
            "can_refer": person is not None and _can_refer(member, person),
            "filters": filters,
            "map": map_data(
                services,
                queries.territories_of(member.structure),
                filters.near,
                filters.km,
                centre_label,
            ),
            "query": query.urlencode(),
            "can_import": can(member, "import_directory", member.structure),
        },
    )


def _labels(service: Service) -> dict[str, list[str]]:
    return {
        name: [di.label(name, value) for value in getattr(service, name) or []]
        for name in (
            "thematiques",
            "publics",
            "modes_accueil",
            "modes_mobilisation",
            "mobilisable_par",
        )
    }


@login_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    service = get_object_or_404(
        queries.services_of(member.structure).select_related("organisation"), pk=pk
    )
    expression = service.horaires_accueil or service.organisation.horaires_accueil
    now = timezone.now()
    return render(
        request,
        "territory/service_detail.html",
        {
            "service": service,
            "organisation": service.organisation,
            "labels": _labels(service),
            "type_label": di.label("type", service.type) if service.type else "",
            "frais_label": di.label("frais", service.frais) if service.frais else "",
            "hours": expression,
            "open_now": is_open(expression, now),
            "next_change": next_change(expression, now),
        },
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    organisation = get_object_or_404(queries.organisations_of(member.structure), pk=pk)
    return render(
        request,
        "territory/organisation_detail.html",
        {
            "organisation": organisation,
            "services": queries.services_of(member.structure).filter(organisation=organisation),
            "links": queries.organisation_links(organisation),
            "professionals": organisation.professionals.filter(is_active=True),
            "open_now": is_open(organisation.horaires_accueil, timezone.now()),
        },
    )


def _edit_health_access(request: HttpRequest, entry: DirectoryEntry, back: str) -> HttpResponse:
    initial = {name: getattr(entry, name) for name in actions.HEALTH_ACCESS_FIELDS}
    form = HealthAccessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_update_health_access(entry, form.cleaned_data)
        messages.success(request, _("Saved in the directory."))
        return redirect(back)
    return render(
        request, "territory/health_access_form.html", {"entry": entry, "form": form, "back": back}
    )


@login_required
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "edit_directory")
    service = get_object_or_404(
        queries.services_of(member.structure).select_related("organisation"), pk=pk
    )
    return _edit_health_access(request, service, reverse("territory:service", args=[pk]))


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "edit_directory")
    organisation = get_object_or_404(queries.organisations_of(member.structure), pk=pk)
    return _edit_health_access(request, organisation, reverse("territory:organisation", args=[pk]))


# --- import ---------------------------------------------------------------------------


def _imports_dir(member: Member) -> Path:
    return Path(settings.DATA_DIR) / "imports" / str(member.pk)


PENDING_HOURS = 24


def _forget_old_imports(member: Member) -> None:
    """Files sent and never imported are kept a day, then removed."""
    folder = _imports_dir(member)
    if not folder.is_dir():
        return
    limit = time.time() - PENDING_HOURS * 3600
    for pending in folder.iterdir():
        if pending.is_dir() and pending.stat().st_mtime < limit:
            shutil.rmtree(pending, ignore_errors=True)


def _pending(member: Member, token: str) -> Path:
    if not token.isalnum() or len(token) > 64:
        raise Http404
    folder = _imports_dir(member) / token
    if not folder.is_dir():
        raise Http404
    return folder


def _read(folder: Path) -> di.Parsed:
    names = json.loads((folder / "names.json").read_text(encoding="utf-8"))
    return di.parse(
        (name, (folder / f"{index}.bin").read_bytes()) for index, name in enumerate(names)
    )


@login_required
def directory_import(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "import_directory")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["upload"]
        too_big = [f.name for f in files if f.size > settings.MAX_UPLOAD_BYTES]
        if too_big:
            form.add_error(
                "upload",
                _("Too big to send through the page (at most %(n)d MB): use the command line.")
                % {"n": settings.MAX_UPLOAD_MB},
            )
        else:
            _forget_old_imports(member)
            token = secrets.token_hex(16)
            folder = _imports_dir(member) / token
            folder.mkdir(parents=True, exist_ok=True)
            names = []
            for index, upload in enumerate(files):
                (folder / f"{index}.bin").write_bytes(upload.read())
                names.append(upload.name)
            (folder / "names.json").write_text(json.dumps(names), encoding="utf-8")
            report = actions.do_import_directory(member.structure, _read(folder))
            if report.applied:
                shutil.rmtree(folder, ignore_errors=True)
                token = ""
            return render(
                request, "territory/import_report.html", {"report": report, "token": token}
            )
    return render(request, "territory/import.html", {"form": form})


@login_required
@require_POST
def directory_import_valid(request: HttpRequest, token: str) -> HttpResponse:
    """Import the valid lines of files already sent and reported on."""
    member = member_who_may(request, "import_directory")
    folder = _pending(member, token)
    report = actions.do_import_directory(member.structure, _read(folder), keep_valid=True)
    shutil.rmtree(folder, ignore_errors=True)
    return render(request, "territory/import_report.html", {"report": report, "token": ""})


# --- export ---------------------------------------------------------------------------


@login_required
def directory_export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    kinds: dict[str, di.Kind] = {"structures": "structure", "services": "service"}
    if kind not in kinds or fmt not in {"json", "csv"}:
        raise Http404
    rows = actions.export_rows(member.structure, kinds[kind])
    if fmt == "csv":
        response: Any = StreamingHttpResponse(
            di.to_csv(kinds[kind], rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(_json_lines(rows), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    return response


def _json_lines(rows: Any) -> Any:
    """A JSON list streamed a row at a time."""
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


urlpatterns = [
    path("annuaire/", directory, name="directory"),
    path("annuaire/services/<int:pk>/", service_detail, name="service"),
    path("annuaire/services/<int:pk>/modifier/", service_edit, name="service_edit"),
    path("annuaire/structures/<int:pk>/", organisation_detail, name="organisation"),
    path("annuaire/structures/<int:pk>/modifier/", organisation_edit, name="organisation_edit"),
    path("annuaire/importer/", directory_import, name="import"),
    path("annuaire/importer/<str:token>/", directory_import_valid, name="import_valid"),
    path("annuaire/export/<str:kind>.<str:fmt>", directory_export, name="export"),
]
