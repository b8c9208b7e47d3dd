"""Sending a stored document back: only ever after the access policy said yes."""

from __future__ import annotations

from django.http import FileResponse, Http404

from maillage.record.models import Entry


def document_response(entry: Entry) -> FileResponse:
    """The file as an attachment, with the type detected at upload and a safe name."""
    document = entry.document
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name or f"document-{entry.pk}",
        content_type=document.content_type,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
