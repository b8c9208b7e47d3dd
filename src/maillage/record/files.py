"""Sending a stored document back: only ever after the access policy said yes (the
callers check it and write the read event)."""

from __future__ import annotations

from django.http import FileResponse, Http404

from maillage.record.document_forms import TEXT, download_name
from maillage.record.models import Entry


def document_file_response(entry: Entry) -> FileResponse:
    """The file as an attachment, with the type detected at upload, a safe name, and
    headers that keep a browser from running or caching it; 404 when the file is gone."""
    document = entry.document
    if not document.file.name:
        raise Http404
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = document.content_type or "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(document.original_name, content_type),
        content_type=f"{TEXT}; charset=utf-8" if content_type == TEXT else content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
