"""DocumentReference: the documents of the record (uploaded files) and its free-text notes.

- A **document** gives its file through ``content.attachment.url``: the authenticated
  download of the JSON API (``/api/persons/{person}/documents/{entry}/file``, the same
  token), or the download of the person's own space for the person themself; its type
  (LOINC where one fits, and Maillage's code), original name, content type and size. The
  file's SHA-256 is not given: FHIR's ``Attachment.hash`` is a SHA-1.
- A **note** carries its text in ``content.attachment.data`` (``text/plain;
  charset=utf-8``, base64), type LOINC 11506-3 "Progress note".

The part of the record is the ``category`` (``urn:maillage:codesystem:record-section``);
an entry written during an encounter points to it (``context.encounter``). Entries are
never deleted: a corrected entry keeps its number and its version (``meta.versionId``).
The person themself does not read what concerns a third party.

Notes can be created (the rules of the web note form: the member writes in that part of
the record); documents are uploaded on the web pages.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.access import ALL_SECTIONS
from maillage.core.roles import Section
from maillage.fhir import systems
from maillage.fhir.access import section_rows
from maillage.fhir.caller import Caller
from maillage.fhir.errors import fail, form_error
from maillage.fhir.registry import (
    Context,
    Include,
    ResourceType,
    Written,
    instant,
    member_reference,
    reference,
)
from maillage.fhir.resources.record import require_write, with_authors
from maillage.fhir.resources.sharing import (
    SECTION_SYSTEM,
    codes_of,
    person_includes,
    record_to_write,
    referenced_id,
    section_coding,
    token_param,
)
from maillage.fhir.search import (
    EVERY,
    Param,
    Token,
    any_of,
    code_param,
    date_param,
    reference_param,
)
from maillage.people.models import Person
from maillage.record import actions, queries
from maillage.record.choices import DocumentType, EntryKind
from maillage.record.forms import NoteForm
from maillage.record.models import Entry

TYPE_SYSTEM = systems.local("document-type")
NOTE_CODE = "note"
NOTE_LOINC = ("11506-3", "Progress note")
# Our document types → LOINC, where one is obvious.
LOINC_TYPES: dict[str, tuple[str, str]] = {
    DocumentType.PRESCRIPTION: ("57833-6", "Prescription for medication"),
    DocumentType.LAB_RESULT: ("11502-2", "Laboratory report"),
    DocumentType.IMAGING: ("18748-4", "Diagnostic imaging study"),
    DocumentType.LETTER: ("51852-2", "Letter"),
}
TYPE_LABELS = dict(DocumentType.choices)
TEXT_PLAIN = "text/plain; charset=utf-8"
KINDS = (EntryKind.NOTE, EntryKind.DOCUMENT)


def _type_concept(row: Entry) -> dict[str, Any]:
    if row.kind == EntryKind.NOTE:
        return {
            "coding": [
                {"system": systems.LOINC, "code": NOTE_LOINC[0], "display": NOTE_LOINC[1]},
                {"system": TYPE_SYSTEM, "code": NOTE_CODE, "display": _("Note")},
            ]
        }
    doc_type = row.document.doc_type
    codings = []
    if doc_type in LOINC_TYPES:
        code, display = LOINC_TYPES[doc_type]
        codings.append({"system": systems.LOINC, "code": code, "display": display})
    codings.append(
        {"system": TYPE_SYSTEM, "code": doc_type, "display": str(TYPE_LABELS.get(doc_type, ""))}
    )
    return {"coding": codings}


def _download_url(row: Entry, ctx: Context) -> str:
    parts = urlsplit(ctx.base)
    if ctx.caller.person is not None:
        path = reverse("portal:document_download", kwargs={"entry_pk": row.pk})
    else:
        person_id = row.person.merged_into_id or row.person_id
        path = reverse("api:document_file", kwargs={"person_id": person_id, "entry_pk": row.pk})
    return f"{parts.scheme}://{parts.netloc}{path}"


def _attachment(row: Entry, ctx: Context) -> dict[str, Any]:
    if row.kind == EntryKind.NOTE:
        data = row.text.encode("utf-8")
        return {
            "contentType": TEXT_PLAIN,
            "data": base64.b64encode(data).decode("ascii"),
            "size": len(data),
            "creation": instant(row.occurred_at),
        }
    document = row.document
    return {
        "contentType": document.content_type,
        "url": _download_url(row, ctx),
        "size": document.size,
        "title": document.original_name,
        "creation": instant(row.occurred_at),
    }


def render_document_reference(row: Entry, ctx: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(row.pk),
        "meta": {
            "versionId": str(row.version),
            "lastUpdated": instant(row.updated_at or row.created_at),
        },
        "status": "current",
        "docStatus": "amended" if row.version > 1 else "final",
        "type": _type_concept(row),
        "category": [{"coding": [section_coding(row.section)]}],
        "subject": reference("Patient", row.person_id),
        "date": instant(row.created_at),
        "author": [member_reference(row.author)],
        "content": [{"attachment": _attachment(row, ctx)}],
        "context": {
            "encounter": [reference("Encounter", row.parent_id)] if row.parent_id else [],
            "period": {"start": instant(row.occurred_at), "end": instant(row.occurred_at)},
        },
    }
    if row.kind == EntryKind.DOCUMENT and row.title:
        # Absent otherwise: a description sent with a note is kept beside it.
        resource["description"] = row.title
    return resource


def _type_build(values: list[Token], modifier: str) -> Q:
    conditions = []
    for token in values:
        if token.code is None:
            if token.system in (systems.LOINC, TYPE_SYSTEM):
                conditions.append(EVERY)
            continue
        if token.system in (None, TYPE_SYSTEM):
            if token.code == NOTE_CODE:
                conditions.append(Q(kind=EntryKind.NOTE))
            elif token.code in TYPE_LABELS:
                conditions.append(Q(kind=EntryKind.DOCUMENT, document__doc_type=token.code))
        if token.system in (None, systems.LOINC):
            if token.code == NOTE_LOINC[0]:
                conditions.append(Q(kind=EntryKind.NOTE))
            for doc_type, (code, _display) in LOINC_TYPES.items():
                if token.code == code:
                    conditions.append(Q(kind=EntryKind.DOCUMENT, document__doc_type=doc_type))
    return any_of(conditions)


def _status_build(values: list[Token], modifier: str) -> Q:
    return any_of([EVERY for token in values if token.code == "current"])


# --- Writing a note ----------------------------------------------------------------------


def _note_text(resource: dict[str, Any]) -> str:
    contents = resource.get("content") or []
    if len(contents) != 1:
        raise fail(
            422,
            "not-supported",
            _("A note has one content: its text (text/plain, in attachment.data)."),
            "DocumentReference.content",
        )
    attachment = contents[0].get("attachment") or {}
    media = str(attachment.get("contentType") or "").split(";")[0].strip().lower()
    if media != "text/plain" or attachment.get("url") or "data" not in attachment:
        raise fail(
            422,
            "not-supported",
            _(
                "Only notes are created here (text/plain in attachment.data); documents are "
                "added on the person's record page."
            ),
            "DocumentReference.content.attachment",
        )
    try:
        raw = base64.b64decode(str(attachment["data"]), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise fail(
            400,
            "value",
            _("attachment.data is not base64 of UTF-8 text."),
            "DocumentReference.content.attachment.data",
        ) from None
    if "\x00" in text:
        raise fail(
            400,
            "value",
            _("The note contains a NUL character."),
            "DocumentReference.content.attachment.data",
        )
    return text


def _note_section(resource: dict[str, Any]) -> str:
    sections = set(codes_of(resource.get("category"), SECTION_SYSTEM))
    if len(sections) != 1 or next(iter(sections)) not in Section.values:
        raise fail(
            422,
            "required",
            _("Give the part of the record in category (system %(system)s): one of %(list)s.")
            % {"system": SECTION_SYSTEM, "list": ", ".join(Section.values)},
            "DocumentReference.category",
        )
    return next(iter(sections))


def _check_note_type(resource: dict[str, Any]) -> None:
    concept = resource.get("type")
    if not concept:
        return
    loinc = codes_of(concept, systems.LOINC)
    local = codes_of(concept, TYPE_SYSTEM)
    if (loinc and NOTE_LOINC[0] not in loinc) or (local and NOTE_CODE not in local):
        raise fail(
            422,
            "not-supported",
            _("Only notes are created here (type LOINC 11506-3)."),
            "DocumentReference.type",
        )


NOTE_MAPPED = {
    "resourceType",
    "id",
    "meta",
    "status",
    "docStatus",
    "type",
    "category",
    "subject",
    "date",
    "author",
    "content",
    "context",
    "identifier",
}
NOTE_FIELDS = {
    "section": "DocumentReference.category",
    "text": "DocumentReference.content.attachment.data",
}


class DocumentReferenceType(ResourceType):
    name = "DocumentReference"
    model = Entry
    documentation = gettext_lazy(
        "The record's documents (the file through the authenticated download of the API) "
        "and notes (text/plain in attachment.data); category = the part of the record "
        "(urn:maillage:codesystem:record-section). Notes can be created."
    )
    writable = frozenset({"create"})

    def stored(self) -> QuerySet[Any]:
        return Entry.objects.filter(kind__in=KINDS)

    def readable(self, caller: Caller) -> QuerySet[Any]:
        rows = self.stored()
        if caller.person is not None:
            # Everything but what concerns a third party (the person's right of access).
            return queries.entries_for_person(caller.person).filter(kind__in=KINDS)
        return section_rows(caller, rows, ALL_SECTIONS)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return with_authors(rows, "document").prefetch_related(
            Prefetch("person", queryset=Person.objects.only("pk", "merged_into_id"))
        )

    def section_of(self, row: Any) -> str:
        return str(row.section)

    def version(self, row: Any) -> str | None:
        return str(row.version)

    def changed_at(self, row: Any) -> Any:
        return row.updated_at or row.created_at

    def order(self) -> tuple[str, ...]:
        return ("-created_at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_document_reference(row, ctx)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "patient": reference_param("patient", "person_id", ("Patient",), _("The person.")),
            "subject": reference_param("subject", "person_id", ("Patient",), _("The person.")),
            "date": date_param("date", "created_at", documentation=_("When it was written.")),
            "type": token_param(
                "type", _type_build, _("LOINC (11506-3 for notes…) or a Maillage document type.")
            ),
            "category": code_param(
                "category",
                "section",
                {s: s for s in Section.values},
                SECTION_SYSTEM,
                _("The part of the record."),
            ),
            "status": token_param("status", _status_build, _("Always “current”.")),
            "encounter": reference_param(
                "encounter", "parent_id", ("Encounter",), _("The encounter it was written in.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return person_includes("DocumentReference", "author_id")

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        access = record_to_write(caller, resource, "subject", self.name)
        _check_note_type(resource)
        section = _note_section(resource)
        require_write(access, section, "DocumentReference.category")
        text = _note_text(resource)
        form = NoteForm(data={"section": section, "text": text}, access=access)
        if not form.is_valid():
            raise form_error(form, NOTE_FIELDS, "DocumentReference")
        parent = None
        context = resource.get("context") or {}
        encounters = context.get("encounter") or []
        if len(encounters) > 1:
            raise fail(
                422,
                "not-supported",
                _("A note belongs to one encounter at most."),
                "DocumentReference.context.encounter",
            )
        if encounters:
            encounter_id = referenced_id(
                encounters[0], ("Encounter",), "DocumentReference.context.encounter"
            )
            parent = (
                queries.entries_for_member(access)
                .filter(pk=encounter_id or 0, kind=EntryKind.ENCOUNTER)
                .first()
            )
            if parent is None:
                raise fail(
                    422,
                    "value",
                    _("This encounter is not in the person's record, or you may not read it."),
                    "DocumentReference.context.encounter",
                )
        entry = actions.do_add_note(
            access,
            section=form.cleaned_data["section"],
            text=form.cleaned_data["text"],
            parent=parent,
        )
        kept = {k: v for k, v in resource.items() if k not in NOTE_MAPPED}
        return Written(entry, kept, list(resource.get("identifier") or []))
