"""The JSON API (django-ninja), for members' programs: personal access tokens, the same
access policy and the same audit as the web pages.

Authentication: ``Authorization: Bearer mlg_<prefix>_<secret>`` (a token made on
"API tokens" or with ``maillage token create``); the token acts as one membership. A
person who is missing and a person the member may not see both answer 404; every read of
record content writes one read event per section shown, like the journal does.
"""

import datetime
import re
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from django import forms
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.params import P, PathEx
from ninja.security import HttpBearer
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from maillage.core import tokens
from maillage.core.access import RecordAccess, get_record_for_member, has_record_access
from maillage.core.audit import log_event, log_reads
from maillage.core.models import AccessEvent, ApiToken, Member
from maillage.core.ratelimit import RateLimited, body_too_large_message, token_rate_limit_message
from maillage.core.roles import Role, Section
from maillage.lib import observations as obs
from maillage.people.choices import LANGUAGES
from maillage.people.models import Person
from maillage.record import actions, queries
from maillage.record.choices import (
    EncounterKind,
    EntryKind,
    ObservationKind,
    Place,
)
from maillage.record.forms import icpc2_codes, observation_error
from maillage.record.models import Entry
from maillage.record.views.documents import document_response

MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 100
LANGUAGE_CODES = frozenset(code for code, _label in LANGUAGES)
# Members who may be named as taking part in an encounter (as on the web form).
NOT_PARTICIPANTS = (Role.INTERPRETER, Role.PARTNER, Role.NETWORK_OBSERVER, Role.ADMIN)


# --- Authentication --------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """A usable personal access token, of an active membership, with ``scope``."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = tokens.authenticate_request(request, token)  # RateLimited: 429
        if api_token is None:
            return None
        if not api_token.has_scope(self.scope):
            raise HttpError(
                403,
                _("This token does not have the “%(scope)s” right.") % {"scope": self.scope},
            )
        return api_token


READ = TokenAuth(ApiToken.Scope.READ)
WRITE = TokenAuth(ApiToken.Scope.WRITE)

api = NinjaAPI(
    title="Maillage API",
    version="1",
    description=(
        "Read and write a person's shared record as a member of a structure. "
        "Authenticate with `Authorization: Bearer mlg_…` (a personal access token, "
        "from the *API tokens* page or `maillage token create`). Every read is written "
        "in the person's access log."
    ),
    urls_namespace="api",
    auth=READ,
    # Served from ninja's own static files ("ninja" is an installed app): no CDN, and no
    # call to the public validator either.
    docs=Swagger(settings={"validatorUrl": None}),
)


# --- Errors: JSON with a ``detail`` in the user's language, never a 500 -----------------


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


NINJA_MESSAGES = {
    "Cannot parse request body": lambda: _("The request body is not valid JSON."),
    "Too many requests.": lambda: _("Too many requests: try again later."),
}


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request,
        401,
        _("Authentication required: send a valid, unrevoked token as “Authorization: Bearer …”."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _error(request, 429, token_rate_limit_message())
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, body_too_large_message())


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = NINJA_MESSAGES.get(exc.message)
    return _error(request, exc.status_code, message() if message else exc.message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, _("You may not do this in this record."))


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in {"body", "payload", "query", "path", "filters"}]
    # Discriminated unions add the tag ("note", "encounter") to the location.
    if len(parts) > 1 and parts[0] in {"note", "encounter"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Write a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Must be at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt", ""))}
    if kind in {"less_than_equal", "less_than"}:
        return _("Must be at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt", ""))}
    if kind == "string_too_long":
        return _("At most %(limit)s characters.") % {"limit": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("This text may not be empty.")
    if kind == "too_long":
        return _("At most %(limit)s items.") % {"limit": ctx.get("max_length", "")}
    if kind in {"string_type", "string_unicode"}:
        return _("Write a text.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Write true or false.")
    if kind in {
        "date_parsing",
        "date_from_datetime_parsing",
        "date_type",
        "date_from_datetime_inexact",
    }:
        return _("Write a date as YYYY-MM-DD.")
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return _("Write a date and time as YYYY-MM-DDTHH:MM (ISO 8601), e.g. 2025-03-12T10:30.")
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return _("“type” must be “note” or “encounter”.")
    if kind in {"list_type", "tuple_type"}:
        return _("Write a list.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Write an object.")
    return str(error.get("msg", kind))


def _invalid(errors: list[dict[str, Any]]) -> dict[str, Any]:
    items = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]
    detail = " ; ".join(f"{item['field']} : {item['message']}" for item in items)
    return {"detail": _("Invalid data: %(errors)s") % {"errors": detail}, "errors": items}


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, _invalid(exc.errors), status=422)


class Invalid(Exception):
    """A value that breaks a rule of the record, found after parsing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message


@api.exception_handler(Invalid)
def _invalid_value(request: HttpRequest, exc: Invalid) -> HttpResponse:
    items = [{"field": exc.field, "message": exc.message}]
    detail = _("Invalid data: %(errors)s") % {"errors": f"{exc.field} : {exc.message}"}
    return _error(request, 422, detail, errors=items)


# --- Input types -------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("The text contains a NUL character."))
    return value


NoNul = AfterValidator(_no_nul)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any, kind: str) -> Any:
    """Dates and times as ISO 8601 text only (pydantic would also read a number as a Unix
    time: ``end=0`` would be 1 January 1970)."""
    if isinstance(value, datetime.date) or (isinstance(value, str) and ISO_DATE.match(value)):
        return value
    raise PydanticCustomError(kind, "not an ISO 8601 date")


IsoDate = Annotated[datetime.date, BeforeValidator(partial(_iso_date, kind="date_parsing"))]
IsoDateTime = Annotated[
    datetime.datetime, BeforeValidator(partial(_iso_date, kind="datetime_parsing"))
]
Line = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True), NoNul]
Reason = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True), NoNul]
LongText = Annotated[str, StringConstraints(max_length=50000, strip_whitespace=True), NoNul]
Code = Annotated[str, StringConstraints(max_length=10, strip_whitespace=True), NoNul]
LanguageCode = Annotated[str, StringConstraints(max_length=5, strip_whitespace=True), NoNul]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Number = str | int | float


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ObservationIn(Strict):
    kind: ObservationKind
    value: Number
    value2: Number | None = None


class NoteIn(Strict):
    type: Literal["note"]
    section: Section
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=50000, strip_whitespace=True), NoNul
    ]
    concerns_third_party: bool = False
    encounter_id: Id | None = Field(
        None, description="Add the note to this encounter (which you may read)."
    )


class EncounterIn(Strict):
    type: Literal["encounter"]
    kind: EncounterKind
    section: Section
    occurred_at: IsoDateTime = Field(
        description="When it happened; without a time zone, Paris time is assumed."
    )
    duration_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    place: Place | None = None
    place_detail: Line = ""
    reason: Reason = ""
    reason_codes: Annotated[list[Code], Field(max_length=20)] = []
    note: LongText = ""
    note_section: Section | None = None
    concerns_third_party: bool = False
    member_ids: Annotated[list[Id], Field(max_length=50)] = []
    interpreter_id: Id | None = None
    interpreter_name: Line = ""
    interpreting_language: LanguageCode = ""
    observations: Annotated[list[ObservationIn], Field(max_length=20)] = []


EntryIn = Annotated[NoteIn | EncounterIn, Field(discriminator="type")]


class TimelineQuery(Schema):
    section: Section | None = None
    kind: str = Field(
        "",
        max_length=30,
        description="A kind of entry (note, observation…) or a type of encounter.",
    )
    author: Id | None = Field(None, description="A member who wrote or took part.")
    start: IsoDate | None = None
    end: IsoDate | None = None
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


# --- Output types ------------------------------------------------------------------------


class AuthorOut(Schema):
    id: int
    name: str
    role: str


class ParticipantOut(Schema):
    kind: str
    member_id: int | None
    name: str
    detail: str


class EncounterOut(Schema):
    kind: str
    place: str
    place_detail: str
    duration_minutes: int | None
    reason: str
    reason_codes: list[str]
    interpreter_used: bool
    interpreting_language: str


class ObservationOut(Schema):
    kind: str
    value: Decimal
    value2: Decimal | None
    unit: str


class DocumentOut(Schema):
    doc_type: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    download_url: str


class EntryFields(Schema):
    id: int
    kind: str
    section: str
    parent_id: int | None
    occurred_at: datetime.datetime
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    version: int
    author: AuthorOut
    title: str
    text: str
    status: str
    code_system: str
    code: str
    onset: datetime.date | None
    ended: datetime.date | None
    concerns_third_party: bool
    encounter: EncounterOut | None
    observation: ObservationOut | None
    document: DocumentOut | None
    participants: list[ParticipantOut]


class EntryOut(EntryFields):
    children: list[EntryFields]


class TimelineOut(Schema):
    person_id: int
    page: int
    page_size: int
    count: int
    entries: list[EntryOut]


class ErrorOut(Schema):
    detail: str


# Every answer but success: 400 for a body that is not JSON, 413 for one too large, 429
# after too many wrong tokens.
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 413, 422, 429), ErrorOut)


# --- Helpers -----------------------------------------------------------------------------


def _record_access(request: HttpRequest, person_id: int) -> RecordAccess:
    """The token's member's access to the person's record; 404 when they have none."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    person, access = get_record_for_member(token.member, person_id)
    if not has_record_access(access):
        log_event(
            action=AccessEvent.Action.DENY, member=access.member, person=person, reason="record"
        )
        raise Http404
    return access


def _entry_data(
    request: HttpRequest, person: Person, entry: Entry, *, children: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(entry, name)
        for name in (
            "id",
            "kind",
            "section",
            "parent_id",
            "occurred_at",
            "created_at",
            "updated_at",
            "version",
            "title",
            "text",
            "status",
            "code_system",
            "code",
            "onset",
            "ended",
            "concerns_third_party",
        )
    }
    author = entry.author
    data["author"] = {"id": author.pk, "name": author.display_name, "role": author.role}
    data["encounter"] = data["observation"] = data["document"] = None
    data["participants"] = []
    if entry.kind == EntryKind.ENCOUNTER:
        enc = entry.encounter
        data["encounter"] = {
            "kind": enc.kind,
            "place": enc.place,
            "place_detail": enc.place_detail,
            "duration_minutes": enc.duration_minutes,
            "reason": enc.reason,
            "reason_codes": list(enc.reason_codes or []),
            "interpreter_used": enc.interpreter_used,
            "interpreting_language": enc.interpreting_language,
        }
        data["participants"] = [
            {"kind": p.kind, "member_id": p.member_id, "name": p.name, "detail": p.detail}
            for p in entry.participants.all()
        ]
    elif entry.kind == EntryKind.OBSERVATION:
        ob = entry.observation
        data["observation"] = {
            "kind": ob.kind,
            "value": ob.value,
            "value2": ob.value2,
            "unit": ob.unit,
        }
    elif entry.kind == EntryKind.DOCUMENT:
        doc = entry.document
        url = reverse("api:document_file", kwargs={"person_id": person.pk, "entry_pk": entry.pk})
        data["document"] = {
            "doc_type": doc.doc_type,
            "original_name": doc.original_name,
            "content_type": doc.content_type,
            "size": doc.size,
            "sha256": doc.sha256,
            "download_url": request.build_absolute_uri(url),
        }
    if children:
        data["children"] = [
            _entry_data(request, person, child, children=False) for child in entry.children.all()
        ]
    return data


def _log_shown(access: RecordAccess, entries: list[Entry]) -> None:
    sections = {e.section for e in entries}
    sections.update(child.section for e in entries for child in e.children.all())
    if sections:
        log_reads(
            member=access.member,
            person=access.person,
            sections=sections,
            flagged=access.break_glass,
            reason=_("emergency access") if access.break_glass else "",
        )


# --- Endpoints ---------------------------------------------------------------------------

PersonId = PathEx[int, P(ge=1, le=MAX_ID)]
EntryId = PathEx[int, P(ge=1, le=MAX_ID)]


@api.get(
    "/persons/{person_id}/timeline",
    response={200: TimelineOut, **ERRORS},
    url_name="timeline",
    summary="A person's record, newest first",
)
def timeline(
    request: HttpRequest, person_id: PersonId, filters: Query[TimelineQuery]
) -> dict[str, Any]:
    """The entries of the record the token's member may read, each encounter with what was
    written during it. Same filters as the web journal; one read event per section shown."""
    allowed_kinds = set(EntryKind.values) | set(EncounterKind.values)
    if filters.kind and filters.kind not in allowed_kinds:
        raise Invalid(
            "kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(allowed_kinds))}
        )
    access = _record_access(request, person_id)
    rows = queries.timeline(
        queries.entries_for_member(access),
        queries.TimelineFilters(
            section=filters.section or "",
            kind=filters.kind,
            author_id=filters.author,
            start=filters.start,
            end=filters.end,
        ),
    )
    count = rows.count()
    offset = (filters.page - 1) * filters.page_size
    entries = list(rows[offset : offset + filters.page_size]) if offset < count else []
    _log_shown(access, entries)
    return {
        "person_id": access.person.pk,
        "page": filters.page,
        "page_size": filters.page_size,
        "count": count,
        "entries": [_entry_data(request, access.person, e) for e in entries],
    }


@api.get(
    "/persons/{person_id}/documents/{entry_pk}/file",
    response={200: None, **ERRORS},
    url_name="document_file",
    summary="Download a document",
)
def document_file(request: HttpRequest, person_id: PersonId, entry_pk: EntryId) -> FileResponse:
    """The file, as an attachment with the type detected from its bytes; audited."""
    access = _record_access(request, person_id)
    return document_response(access, entry_pk)


def _require_write(access: RecordAccess, section: str, field: str) -> None:
    if not access.can_write(section):
        raise HttpError(
            403,
            _("You may not write in the “%(section)s” part of this record (%(field)s).")
            % {"section": Section(section).label, "field": field},
        )


def observation_input(index: int, item: ObservationIn) -> actions.ObservationInput:
    field = f"observations.{index}"
    try:
        value = obs.parse_value(str(item.value))
        value2 = obs.parse_value(str(item.value2)) if item.value2 is not None else None
        obs.check(item.kind, value, value2)
    except obs.ObservationError as exc:
        second, error = observation_error(item.kind, exc)
        message = " ".join(error.messages)
        raise Invalid(f"{field}.{'value2' if second else 'value'}", message) from None
    return actions.ObservationInput(item.kind, value, value2)


def _team(access: RecordAccess) -> Any:
    return Member.objects.active().filter(structure_id=access.member.structure_id)


def encounter_input(access: RecordAccess, data: EncounterIn) -> actions.EncounterInput:
    _require_write(access, data.section, "section")
    note_section = data.note_section or data.section
    if data.note:
        _require_write(access, note_section, "note_section")
    if data.observations and not access.can_write(Section.CLINICAL):
        _require_write(access, Section.CLINICAL, "observations")
    when = data.occurred_at
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when.year < 1900:
        raise Invalid("occurred_at", _("This date is too far in the past."))
    if when > timezone.now() + datetime.timedelta(minutes=5):
        raise Invalid("occurred_at", _("An encounter cannot be recorded in the future."))
    try:
        codes = icpc2_codes(", ".join(data.reason_codes))
    except forms.ValidationError as error:
        raise Invalid("reason_codes", " ".join(error.messages)) from None
    wanted = set(data.member_ids) - {access.member.pk}
    members = list(
        _team(access).exclude(role__in=NOT_PARTICIPANTS).filter(pk__in=wanted).order_by("pk")
    )
    unknown = wanted - {m.pk for m in members}
    if unknown:
        raise Invalid(
            "member_ids",
            _("%(id)s is not an active member of the team who may take part in an encounter.")
            % {"id": min(unknown)},
        )
    interpreter = None
    if data.interpreter_id is not None:
        interpreter = _team(access).filter(pk=data.interpreter_id, role=Role.INTERPRETER).first()
        if interpreter is None:
            raise Invalid("interpreter_id", _("This is not an active interpreter of the team."))
    if data.kind == EncounterKind.CO_CONSULTATION and not members:
        raise Invalid(
            "member_ids",
            _("A co-consultation needs at least one other professional of the team."),
        )
    interpreted = interpreter is not None or bool(data.interpreter_name)
    if data.kind == EncounterKind.INTERPRETED and not interpreted:
        raise Invalid("interpreter_id", _("Name the interpreter of this session."))
    language = data.interpreting_language
    if language and language not in LANGUAGE_CODES:
        raise Invalid(
            "interpreting_language",
            _("Unknown language code “%(code)s”: use the codes of the API documentation.")
            % {"code": language},
        )
    if interpreted and not language:
        raise Invalid("interpreting_language", _("Choose the language interpreted."))
    observations = [observation_input(i, item) for i, item in enumerate(data.observations)]
    return actions.EncounterInput(
        kind=data.kind,
        section=data.section,
        occurred_at=when,
        place=data.place or "",
        place_detail=data.place_detail,
        duration_minutes=data.duration_minutes,
        reason=data.reason,
        reason_codes=codes,
        members=members,
        interpreter=interpreter,
        interpreter_name="" if interpreter is not None else data.interpreter_name,
        interpreting_language=language,
        note=data.note,
        note_section=note_section,
        concerns_third_party=data.concerns_third_party,
        observations=observations,
    )


@api.post(
    "/persons/{person_id}/entries",
    auth=WRITE,
    response={201: EntryOut, **ERRORS},
    url_name="entries",
    summary="Write a note or record an encounter",
)
def create_entry(
    request: HttpRequest, person_id: PersonId, payload: EntryIn
) -> Status[dict[str, Any]]:
    """A note (``type: "note"``) or an encounter with its note and measures
    (``type: "encounter"``), with the rules of the web forms. Needs the *write* right."""
    access = _record_access(request, person_id)
    if isinstance(payload, NoteIn):
        _require_write(access, payload.section, "section")
        parent = None
        if payload.encounter_id is not None:
            parent = (
                queries.entries_for_member(access)
                .filter(pk=payload.encounter_id, kind=EntryKind.ENCOUNTER)
                .first()
            )
            if parent is None:
                raise Http404
        entry = actions.do_add_note(
            access,
            section=payload.section,
            text=payload.text,
            parent=parent,
            concerns_third_party=payload.concerns_third_party,
        )
    else:
        entry = actions.do_record_encounter(access, encounter_input(access, payload))
    row = (
        queries.timeline(queries.entries_for_member(access)).filter(pk=entry.pk).first()
        if entry.parent_id is None
        else None
    )
    if row is None:  # a note inside an encounter: shown on its own
        row = (
            Entry.objects.select_related(*queries.ENTRY_RELATED)
            .prefetch_related("children", "participants")
            .get(pk=entry.pk)
        )
    return Status(201, _entry_data(request, access.person, row))
