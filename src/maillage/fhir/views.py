"""The FHIR R4 REST interface: ``/fhir/R4/metadata``, read, search, create, update.

Thin views: authenticate the caller, ask the resource type (``registry``) for the rows the
access policy lets them read, render, write the access log. Every refusal is an
``OperationOutcome`` with a 4xx status.
"""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from maillage.core.access import can
from maillage.core.audit import log_person_reads
from maillage.core.models import AccessEvent, Member
from maillage.core.ratelimit import body_too_large_message
from maillage.fhir import capability, export, kept, tasks
from maillage.fhir.caller import EXPORT, READ, WRITE, Caller, authenticate
from maillage.fhir.errors import FhirError, Issue, fail, outcome
from maillage.fhir.everything import everything, parse_options
from maillage.fhir.kept import render_rows
from maillage.fhir.models import BulkExport
from maillage.fhir.registry import Context, ResourceType, Written, audit_rows, get_type, instant
from maillage.fhir.search import ID_RE, SearchRequest, parse_search

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
ACCEPTED_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
AUDIT_REASON = "fhir"


def respond(data: dict[str, Any], status: int = 200, pretty: bool = False) -> HttpResponse:
    text = json.dumps(
        data,
        ensure_ascii=False,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return HttpResponse(text, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")


def error_response(exc: FhirError) -> HttpResponse:
    response = respond(outcome(exc.issues), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _check_format(request: HttpRequest) -> None:
    wanted = request.GET.get("_format", "")
    if wanted and wanted not in ACCEPTED_FORMATS:
        raise fail(406, "not-supported", _("This server answers in JSON only (_format=json)."))
    accept = request.headers.get("Accept", "")
    if accept and "xml" in accept and "json" not in accept and "*/*" not in accept:
        raise fail(
            406, "not-supported", _("This server answers in JSON only (application/fhir+json).")
        )


def fhir_endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """FHIR errors as OperationOutcomes; missing and forbidden both answer 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            _check_format(request)
            return view(request, *args, **kwargs)
        except FhirError as exc:
            return error_response(exc)
        except Http404:
            return error_response(fail(404, "not-found", _("Not found.")))
        except PermissionDenied:
            return error_response(fail(403, "forbidden", _("You may not do this.")))
        except RequestDataTooBig:
            return error_response(fail(413, "too-costly", body_too_large_message()))
        except TooManyFieldsSent:
            return error_response(
                fail(400, "too-costly", _("The request has too many parameters."))
            )

    return csrf_exempt(never_cache(wrapped))


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4").rstrip("/")


def _pretty(request: HttpRequest) -> bool:
    return request.GET.get("_pretty") == "true"


def _audit(
    caller: Caller, pairs: Iterable[tuple[int, str]], action: str = AccessEvent.Action.READ
) -> None:
    pairs = set(pairs)
    if pairs:
        log_person_reads(
            reads=pairs, member=caller.member, user=caller.user, action=action, reason=AUDIT_REASON
        )


def _check_id(resource_id: str) -> None:
    if not ID_RE.match(resource_id):
        raise fail(
            400, "value", _("“%(value)s” is not a resource id.") % {"value": resource_id[:70]}
        )


def _one(rt: ResourceType, caller: Caller, resource_id: str) -> tuple[ResourceType, Any]:
    """The row with this id the caller may read, and the part of ``rt`` it comes from."""
    _check_id(resource_id)
    for part in rt.parts():
        row = part.prepare(part.readable(caller).filter(part.pk_of(resource_id))).first()
        if row is not None:
            return part, row
    raise fail(
        404,
        "not-found",
        _("%(type)s/%(id)s is not here, or you may not read it.")
        % {"type": rt.name, "id": resource_id},
    )


def _with_etag(response: HttpResponse, rt: ResourceType, row: Any) -> HttpResponse:
    version = rt.version(row)
    if version:
        response["ETag"] = f'W/"{version}"'
    return response


def read_resource(
    request: HttpRequest, caller: Caller, rt: ResourceType, resource_id: str
) -> HttpResponse:
    caller.require(READ)
    part, row = _one(rt, caller, resource_id)
    ctx = Context(base_url(request), caller)
    [resource] = render_rows(part, [row], ctx)
    _audit(caller, audit_rows(part, [row]))
    return _with_etag(respond(resource, pretty=_pretty(request)), part, row)


# --- Search --------------------------------------------------------------------------------


def _link(ctx: Context, name: str, echo: list[tuple[str, str]], offset: int, count: int) -> str:
    items = [(k, v) for k, v in echo if k not in {"_offset", "_count"}]
    items += [("_count", str(count)), ("_offset", str(offset))]
    return f"{ctx.url(name)}?{urlencode(items)}"


def _sources(
    caller: Caller, rt: ResourceType, items: Sequence[tuple[str, str]], search: SearchRequest
) -> list[tuple[ResourceType, QuerySet[Any]]]:
    """The part(s) of ``rt`` and the rows of each the search matches."""
    sources = []
    for part in rt.parts():
        conditions = search.conditions
        if part is not rt:
            try:
                own = parse_search(items, part.params(caller), list(rt.includes()), rt.name)
            except FhirError:
                continue  # a parameter this part does not have: none of its rows match
            conditions = own.conditions
        rows = part.readable(caller)
        for condition in conditions:
            rows = rows.filter(condition)
        sources.append((part, rows))
    return sources


def _page(
    sources: list[tuple[ResourceType, QuerySet[Any]]], counts: list[int], offset: int, count: int
) -> list[tuple[ResourceType, list[Any]]]:
    """The rows from ``offset`` to ``offset + count`` of the parts' results, one after
    the other."""
    page = []
    for (part, rows), total in zip(sources, counts, strict=True):
        if count <= 0:
            break
        if offset >= total:
            offset -= total
            continue
        taken = list(part.prepare(rows.order_by(*part.order()))[offset : offset + count])
        page.append((part, taken))
        count -= len(taken)
        offset = 0
    return page


def search_bundle(
    request: HttpRequest,
    caller: Caller,
    rt: ResourceType,
    items: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """A searchset Bundle for the query ``items``; the access log gets one event per
    (person, section) shown."""
    caller.require(READ)
    search = parse_search(items, rt.params(caller), list(rt.includes()), rt.name)
    sources = _sources(caller, rt, items, search)
    counts = [rows.count() for _part, rows in sources]
    total = sum(counts)
    ctx = Context(base_url(request), caller)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total}
    links = [
        {"relation": "self", "url": _link(ctx, rt.name, search.echo, search.offset, search.count)}
    ]
    if search.summary_count or search.count == 0:
        bundle["link"] = links
        return bundle
    page = _page(sources, counts, search.offset, search.count)
    if search.offset + search.count < total:
        links.append(
            {
                "relation": "next",
                "url": _link(ctx, rt.name, search.echo, search.offset + search.count, search.count),
            }
        )
    if search.offset > 0:
        previous = max(0, search.offset - search.count)
        links.append(
            {
                "relation": "previous",
                "url": _link(ctx, rt.name, search.echo, previous, search.count),
            }
        )
    bundle["link"] = links
    entries: list[dict[str, Any]] = []
    shown: set[tuple[int, str]] = set()
    for part, rows in page:
        entries += [
            {
                "fullUrl": ctx.url(f"{rt.name}/{res['id']}"),
                "resource": res,
                "search": {"mode": "match"},
            }
            for res in render_rows(part, rows, ctx)
        ]
        shown |= audit_rows(part, rows)
    seen: set[tuple[str, str]] = {(rt.name, entry["resource"]["id"]) for entry in entries}
    for name in search.includes:
        wanted_by_target: dict[str, set[str]] = {}
        for part, rows in page:
            include = part.includes().get(name)
            if include is not None:
                wanted_by_target.setdefault(include.target, set()).update(include.ids(rows))
        for target_name, wanted_ids in wanted_by_target.items():
            target = get_type(target_name)
            wanted = sorted(pk for pk in wanted_ids if (target.name, pk) not in seen)
            if not wanted:
                continue
            for target_part in target.parts():
                included = list(
                    target_part.prepare(
                        target_part.readable(caller).filter(target_part._by_ids(wanted))
                    )
                )
                for res in render_rows(target_part, included, ctx):
                    seen.add((target.name, res["id"]))
                    entries.append(
                        {
                            "fullUrl": ctx.url(f"{target.name}/{res['id']}"),
                            "resource": res,
                            "search": {"mode": "include"},
                        }
                    )
                shown |= audit_rows(target_part, included)
    bundle["entry"] = entries
    _audit(caller, shown)
    return bundle


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _query_items(request: HttpRequest) -> list[tuple[str, str]]:
    source = request.POST if request.method == "POST" else request.GET
    return [(key, value) for key in source for value in source.getlist(key)]


# --- Writing --------------------------------------------------------------------------------


def parse_body(request: HttpRequest, rt: ResourceType) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type not in {"application/fhir+json", "application/json", "application/json+fhir"}:
        raise fail(
            415,
            "not-supported",
            _("Send the resource as JSON (Content-Type: application/fhir+json)."),
        )
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise fail(400, "structure", _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise fail(
            400, "structure", _("The request body must be one FHIR resource (a JSON object).")
        )
    kind = data.get("resourceType")
    if kind != rt.name:
        raise fail(
            400,
            "invalid",
            _("This endpoint takes a %(type)s resource (resourceType).") % {"type": rt.name},
            "resourceType",
        )
    validate(data)
    return data


def _location(loc: Sequence[Any], kind: str) -> str:
    parts = [kind]
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]"
        elif part not in {"function-after", "function-before", "function-wrap"} and "[" not in str(
            part
        ):
            parts.append(str(part))
    return ".".join(parts)


def validate(data: dict[str, Any]) -> None:
    """The resource against the ``fhir.resources`` R4B model, before anything is written."""
    model = get_fhir_model_class(data["resourceType"])
    try:
        model.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue(
                "structure" if err.get("type") in {"extra_forbidden", "missing"} else "value",
                _("%(where)s: %(message)s")
                % {
                    "where": _location(err.get("loc", ()), data["resourceType"]),
                    "message": err.get("msg", ""),
                },
                _location(err.get("loc", ()), data["resourceType"]),
            )
            for err in exc.errors()[:20]
        ]
        raise FhirError(400, issues) from None
    except ValueError as exc:
        raise fail(400, "value", str(exc)[:300]) from None
    except (TypeError, AttributeError):
        # fhir.resources' own validators fail this way on some malformed elements: an
        # element's extension ("_gender") given as text that holds a number or a list.
        raise fail(
            400, "structure", _("The resource does not follow the structure of FHIR R4.")
        ) from None


def _written_response(
    request: HttpRequest, caller: Caller, rt: ResourceType, written: Written, status: int
) -> HttpResponse:
    part, row = _one(rt, caller, rt.fhir_id(written.row))
    ctx = Context(base_url(request), caller)
    [resource] = render_rows(part, [row], ctx)
    response = _with_etag(respond(resource, status=status, pretty=_pretty(request)), part, row)
    response["Location"] = ctx.url(f"{rt.name}/{resource['id']}")
    return response


def create_resource(request: HttpRequest, caller: Caller, rt: ResourceType) -> HttpResponse:
    caller.require(WRITE)
    if "create" not in rt.writable:
        raise fail(405, "not-supported", _("%(type)s cannot be created here.") % {"type": rt.name})
    data = parse_body(request, rt)
    with transaction.atomic():
        written = rt.create(caller, data)
        kept.save(rt, written)
    return _written_response(request, caller, rt, written, 201)


def update_resource(
    request: HttpRequest, caller: Caller, rt: ResourceType, resource_id: str
) -> HttpResponse:
    caller.require(WRITE)
    if "update" not in rt.writable:
        raise fail(405, "not-supported", _("%(type)s cannot be updated here.") % {"type": rt.name})
    data = parse_body(request, rt)
    if data.get("id") != resource_id:
        raise fail(
            400, "invalid", _("The resource's id must be the one in the URL."), f"{rt.name}.id"
        )
    with transaction.atomic():
        part, row = _one(rt, caller, resource_id)
        wanted = request.headers.get("If-Match", "")
        version = part.version(row)
        if wanted and version and wanted.strip() not in {f'W/"{version}"', f'"{version}"'}:
            raise fail(
                412,
                "conflict",
                _("The resource changed since you read it (version %(version)s): read it again.")
                % {"version": version},
            )
        written = part.update(caller, row, data)
        kept.save(part, written)
    return _written_response(request, caller, rt, written, 200)


# --- Endpoints ------------------------------------------------------------------------------


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        raise fail(405, "not-supported", _("Use GET."))
    return respond(capability.statement(base_url(request)), pretty=_pretty(request))


@fhir_endpoint
def type_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    rt = get_type(resource_type)
    caller = authenticate(request)
    if request.method == "GET":
        return respond(
            search_bundle(request, caller, rt, _query_items(request)), pretty=_pretty(request)
        )
    if request.method == "POST":
        return create_resource(request, caller, rt)
    raise fail(405, "not-supported", _("Use GET to search or POST to create."))


@fhir_endpoint
def search_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``POST [type]/_search`` with the parameters as a form."""
    rt = get_type(resource_type)
    caller = authenticate(request)
    if request.method != "POST":
        raise fail(405, "not-supported", _("Use POST with the parameters as a form."))
    if request.content_type not in FORMS and request.body:
        raise fail(
            415,
            "not-supported",
            _("Send the parameters as a form (application/x-www-form-urlencoded)."),
        )
    return respond(
        search_bundle(request, caller, rt, _query_items(request)), pretty=_pretty(request)
    )


@fhir_endpoint
def instance_endpoint(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    rt = get_type(resource_type)
    caller = authenticate(request)
    if request.method == "GET":
        return read_resource(request, caller, rt, resource_id)
    if request.method == "PUT":
        return update_resource(request, caller, rt, resource_id)
    if request.method == "DELETE":
        raise fail(405, "not-supported", _("Nothing is deleted from a record: correct it instead."))
    raise fail(405, "not-supported", _("Use GET to read or PUT to update."))


@fhir_endpoint
def unknown_endpoint(request: HttpRequest, path: str) -> HttpResponse:
    """Any other path under the base: a FHIR answer too, never the site's HTML page."""
    raise fail(
        404,
        "not-supported",
        _("Nothing is served at this address: see the CapabilityStatement (metadata)."),
    )


@fhir_endpoint
def everything_endpoint(request: HttpRequest, resource_id: str) -> HttpResponse:
    """``GET Patient/{id}/$everything``: the person and what the caller may read of them."""
    caller = authenticate(request)
    if request.method != "GET":
        raise fail(405, "not-supported", _("Use GET."))
    caller.require(READ)
    types, since = parse_options(_query_items(request))
    _part, person = _one(get_type("Patient"), caller, resource_id)
    ctx = Context(base_url(request), caller)
    found = everything(caller, person.pk, ctx, types, since)
    _audit(caller, found.shown)
    return respond(found.bundle(ctx), pretty=_pretty(request))


# --- Bulk export ----------------------------------------------------------------------------

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
RETRY_SECONDS = 10


def _exporter(caller: Caller) -> Member:
    """The member a bulk export runs for: a token with the export scope, of a member who
    may export (the structure's administrator)."""
    caller.require(EXPORT)
    member = caller.member
    if member is None or not can(member, "bulk_export", member.structure):
        raise fail(403, "forbidden", _("Only the structure's administrator may export in bulk."))
    return member


def _export_options(request: HttpRequest, level: str) -> tuple[list[str], datetime.datetime | None]:
    """``_outputFormat``, ``_type`` and ``_since``; anything else is refused."""
    options = []
    for key, raw in _query_items(request):
        if key == "_outputFormat":
            if raw not in OUTPUT_FORMATS:
                raise fail(
                    400,
                    "not-supported",
                    _("The only output format is NDJSON (%(f)s).") % {"f": NDJSON},
                )
        elif key in {"_type", "_since"}:
            options.append((key, raw))
        elif key in {"_format", "_pretty"}:
            continue
        else:
            raise fail(
                400,
                "not-supported",
                _("“%(name)s” is not a parameter of $export here (_outputFormat, _type, _since).")
                % {"name": key[:60]},
                key,
            )
    wanted, since = parse_options(options)
    types = wanted or set()
    if level == BulkExport.Level.PATIENT and types:
        outside = sorted(
            t for t in types if not any(p.compartment_lookup() for p in get_type(t).parts())
        )
        if outside:
            raise fail(
                400,
                "value",
                _("%(types)s hold nobody's data: use the system-level $export for them.")
                % {"types": ", ".join(outside)},
                "_type",
            )
    return sorted(types), since


def _kickoff(request: HttpRequest, level: str) -> HttpResponse:
    caller = authenticate(request)
    if request.method != "GET":
        raise fail(405, "not-supported", _("Use GET."))
    member = _exporter(caller)
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise fail(
            400, "required", _("A bulk export is asynchronous: send “Prefer: respond-async”.")
        )
    types, since = _export_options(request, level)
    busy = BulkExport.objects.filter(
        member=member, status__in=[BulkExport.Status.QUEUED, BulkExport.Status.RUNNING]
    )
    if busy.exists():
        response = error_response(
            fail(
                429,
                "throttled",
                _("An export of yours is still running: wait for it, or cancel it."),
            )
        )
        response["Retry-After"] = str(RETRY_SECONDS * 6)
        return response
    job = BulkExport.objects.create(
        member=member,
        token=caller.token,
        level=level,
        types=types,
        since=since,
        base_url=base_url(request),
        request_url=request.build_absolute_uri(),
    )
    transaction.on_commit(lambda: tasks.run_bulk_export.enqueue(str(job.pk)))
    response = HttpResponse(status=202)
    response["Content-Location"] = base_url(request) + f"/$export-status/{job.pk}"
    return response


@fhir_endpoint
def export_system(request: HttpRequest) -> HttpResponse:
    return _kickoff(request, BulkExport.Level.SYSTEM)


@fhir_endpoint
def export_patients(request: HttpRequest) -> HttpResponse:
    return _kickoff(request, BulkExport.Level.PATIENT)


def _own_job(caller: Caller, job_id: uuid.UUID) -> BulkExport:
    member = _exporter(caller)
    job = BulkExport.objects.filter(pk=job_id, member=member).first()
    if job is None or job.status in {BulkExport.Status.CANCELLED, BulkExport.Status.EXPIRED}:
        raise fail(404, "not-found", _("No such export, or it was cancelled or has expired."))
    return job


@fhir_endpoint
def export_status(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    caller = authenticate(request)
    job = _own_job(caller, job_id)
    if request.method == "DELETE":
        BulkExport.objects.filter(pk=job.pk).update(status=BulkExport.Status.CANCELLED)
        shutil.rmtree(export.export_folder(job), ignore_errors=True)
        return HttpResponse(status=202)
    if request.method != "GET":
        raise fail(405, "not-supported", _("Use GET to follow the export, DELETE to cancel it."))
    if job.status in {BulkExport.Status.QUEUED, BulkExport.Status.RUNNING}:
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or str(job.get_status_display())
        response["Retry-After"] = str(RETRY_SECONDS)
        return response
    if job.status == BulkExport.Status.FAILED:
        return error_response(
            fail(500, "exception", _("The export failed; ask again, or ask your administrator."))
        )
    base = base_url(request)
    manifest = {
        "transactionTime": instant(job.requested_at),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": f"{base}/$export-file/{job.pk}/{item['file']}",
                "count": item["count"],
            }
            for item in job.output
        ],
        "error": [],
    }
    response = HttpResponse(json.dumps(manifest), content_type="application/json")
    response["Expires"] = http_date(
        (job.requested_at + datetime.timedelta(days=settings.FHIR_EXPORT_DAYS)).timestamp()
    )
    return response


@fhir_endpoint
def export_file(request: HttpRequest, job_id: uuid.UUID, file_name: str) -> HttpResponseBase:
    caller = authenticate(request)
    if request.method != "GET":
        raise fail(405, "not-supported", _("Use GET."))
    job = _own_job(caller, job_id)
    if job.status != BulkExport.Status.DONE or file_name not in {i["file"] for i in job.output}:
        raise fail(404, "not-found", _("No such file in this export."))
    path = export.export_folder(job) / file_name
    if not path.is_file():
        raise fail(404, "not-found", _("No such file in this export."))
    return FileResponse(path.open("rb"), content_type=NDJSON)
