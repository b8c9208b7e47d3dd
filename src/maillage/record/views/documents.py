"""Documents: upload, list, download through the access policy.

Files live in ``MAILLAGE_DATA_DIR/documents``, outside every served folder; the only way
out is ``document_response``, which asks the policy first and writes a read event.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from maillage.core.access import RecordAccess, get_record_for_member, has_record_access
from maillage.core.audit import log_event, log_reads
from maillage.core.models import AccessEvent
from maillage.people.models import Person
from maillage.people.queries import record_ids
from maillage.people.views import current_member
from maillage.record import actions, queries
from maillage.record.choices import EntryKind
from maillage.record.document_forms import (
    DocumentForm,
    SizeLimitUploadHandler,
)
from maillage.record.files import document_file_response
from maillage.record.models import Entry

PAGE_SIZE = 25


def _record(request: HttpRequest, pk: int) -> tuple[Person, RecordAccess]:
    member = current_member(request)
    return get_record_for_member(member, pk)


def _no_access(request: HttpRequest, person: Person, access: RecordAccess) -> HttpResponse:
    log_event(action=AccessEvent.Action.DENY, member=access.member, person=person, reason="record")
    return render(
        request, "record/no_access.html", {"person": person, "access": access}, status=403
    )


@login_required
def documents(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    if not has_record_access(access):
        return _no_access(request, person, access)
    rows = queries.documents(queries.entries_for_member(access))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    sections = {entry.section for entry in entries}
    if sections:
        log_reads(
            member=access.member,
            person=person,
            sections=sections,
            flagged=access.break_glass,
            reason=_("emergency access") if access.break_glass else "",
        )
    return render(
        request,
        "record/documents.html",
        {
            "person": person,
            "access": access,
            "page": page,
            "entries": entries,
            "can_add": bool(access.writable),
        },
    )


@csrf_exempt  # checked below, once the size limit is in place (Django's documented way)
@login_required
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    handler = SizeLimitUploadHandler(request)
    if request.method == "POST":
        request.upload_handlers.insert(0, handler)
    return _document_add(request, pk, handler)


@csrf_protect
def _document_add(request: HttpRequest, pk: int, handler: SizeLimitUploadHandler) -> HttpResponse:
    person, access = _record(request, pk)
    if not access.writable:
        raise Http404
    if request.method == "POST":
        form = DocumentForm(request.POST, request.FILES, access=access, too_large=handler.too_large)
        if form.is_valid():
            data = form.cleaned_data
            actions.do_add_document(
                access,
                section=data["section"],
                doc_type=data["doc_type"],
                title=form.title_or_name(),
                content=form.content,
                original_name=form.original_name,
                content_type=form.content_type,
                occurred_at=form.occurred_at(),
                concerns_third_party=data["concerns_third_party"],
            )
            messages.success(request, _("The document is added to the record."))
            return redirect("record:documents", pk=person.pk)
    else:
        form = DocumentForm(access=access)
    return render(request, "record/document_form.html", {"person": person, "form": form})


def current_record_id(person_id: int) -> int:
    """The record an old, merged record now lives in (merges may chain)."""
    seen: set[int] = set()
    while person_id not in seen:
        seen.add(person_id)
        target = (
            Person.objects.filter(pk=person_id).values_list("merged_into_id", flat=True).first()
        )
        if target is None:
            return person_id
        person_id = target
    return person_id


def document_response(access: RecordAccess, entry_pk: int) -> FileResponse:
    """The file of a document the member may read, as an attachment, audited; 404 for
    anything else (a denial is logged when the document exists in this record)."""
    entry = queries.documents(queries.entries_for_member(access)).filter(pk=entry_pk).first()
    if entry is None:
        section = (
            Entry.objects.filter(
                pk=entry_pk, kind=EntryKind.DOCUMENT, person_id__in=record_ids(access.person)
            )
            .values_list("section", flat=True)
            .first()
        )
        if section is not None:
            log_event(
                action=AccessEvent.Action.DENY,
                member=access.member,
                person=access.person,
                section=section,
                reason="document",
            )
        raise Http404
    response = document_file_response(entry)
    log_event(
        action=AccessEvent.Action.READ,
        member=access.member,
        person=access.person,
        section=entry.section,
        obj=entry,
        flagged=access.break_glass,
        reason=_("emergency access") if access.break_glass else "",
    )
    return response


@never_cache
@login_required
def document_download(request: HttpRequest, entry_pk: int) -> FileResponse:
    member = current_member(request)
    owner = (
        Entry.objects.filter(pk=entry_pk, kind=EntryKind.DOCUMENT)
        .values_list("person_id", flat=True)
        .first()
    )
    if owner is None:
        raise Http404
    _person, access = get_record_for_member(member, current_record_id(owner))
    return document_response(access, entry_pk)


urlpatterns: list[URLPattern] = [
    path("<int:pk>/documents/", documents, name="documents"),
    path("<int:pk>/documents/ajouter/", document_add, name="document_add"),
    path("documents/<int:entry_pk>/telecharger/", document_download, name="document_download"),
]
