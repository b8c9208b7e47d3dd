"""Uploading a document: its type is read from its bytes, never trusted from its name.

A file is accepted when ``filetype`` recognises it as one of the formats a health centre
exchanges (PDF, photos and scans, office documents) *and* its name ends with an extension
of that format; plain text, which has no signature, is accepted when its name says so and
it decodes as UTF-8 with no NUL byte. Anything else is refused with a message that says
why: a PNG renamed ``.pdf`` is as suspicious as an executable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.access import RecordAccess
from maillage.record.choices import DocumentType
from maillage.record.forms import DateInput, default_section, section_choices

TEXT = "text/plain"


@dataclass(frozen=True)
class FileKind:
    label: str  # a format name, the same in every language
    extension: str  # the one given to downloads
    extensions: frozenset[str]


def _kind(label: str, *extensions: str) -> FileKind:
    return FileKind(label, extensions[0], frozenset(extensions))


ACCEPTED: dict[str, FileKind] = {
    "application/pdf": _kind("PDF", "pdf"),
    "image/jpeg": _kind("JPEG", "jpg", "jpeg", "jpe", "jfif"),
    "image/png": _kind("PNG", "png"),
    "image/webp": _kind("WebP", "webp"),
    "image/heic": _kind("HEIC", "heic", "heif"),
    "image/heif": _kind("HEIF", "heif", "heic"),
    "image/tiff": _kind("TIFF", "tif", "tiff"),
    "application/vnd.oasis.opendocument.text": _kind("ODT", "odt"),
    "application/vnd.oasis.opendocument.spreadsheet": _kind("ODS", "ods"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _kind(
        "DOCX", "docx"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _kind("XLSX", "xlsx"),
    TEXT: _kind("TXT", "txt", "text"),
}
# HEIF images whose brand ``filetype`` does not know (it only knows "heic").
HEIF_BRANDS = frozenset({"mif1", "msf1", "heix", "heim", "heis", "hevc", "hevx", "heif"})

MESSAGES = {
    "required": _("Choose the file to add."),
    "empty": _("The file is empty."),
    "too_large": _("The file is too large: %(limit)s MB at most."),
    "no_extension": _(
        "The file name has no extension: rename it so that it ends with its type, "
        "for example “.pdf”."
    ),
    "mismatch": _(
        "This file contains a %(detected)s document but its name ends in “.%(extension)s”: "
        "check that it is the right file, or rename it with the right extension."
    ),
    "not_accepted": _(
        "This type of file is not accepted. Accepted: PDF, JPEG, PNG, WebP, HEIC/HEIF, "
        "TIFF, ODT, ODS, DOCX, XLSX and plain text (.txt) files."
    ),
    "future": _("This date is in the future."),
}


def extension_of(name: str) -> str:
    suffix = PurePath(name).suffix
    return suffix[1:].lower() if suffix else ""


def is_plain_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _heif(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = int.from_bytes(head[0:4], "big")
    brands = {head[8:12].decode("latin-1")}
    brands.update(head[i : i + 4].decode("latin-1") for i in range(16, min(size, 64), 4))
    return bool(brands & HEIF_BRANDS)


def detect(content: bytes) -> str | None:
    """The MIME type the bytes show (``None`` when no signature is recognised)."""
    head = content[:8192]
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if _heif(head):
        return "image/heif"
    return None


def check_content(name: str, content: bytes) -> str:
    """The accepted content type of this file; ``forms.ValidationError`` otherwise."""
    if not content:
        raise forms.ValidationError(MESSAGES["empty"], code="empty")
    extension = extension_of(name)
    detected = detect(content)
    if detected in ACCEPTED and detected != TEXT:
        kind = ACCEPTED[detected]
        if not extension:
            raise forms.ValidationError(MESSAGES["no_extension"], code="no_extension")
        if extension not in kind.extensions:
            raise forms.ValidationError(
                MESSAGES["mismatch"],
                code="mismatch",
                params={"detected": kind.label, "extension": extension},
            )
        return detected
    # Plain text has no signature; a note may even begin like one ("BM…" reads as a
    # bitmap), so a text file is judged on its bytes, whatever was guessed.
    if extension in ACCEPTED[TEXT].extensions and is_plain_text(content):
        return TEXT
    if not extension and detected is None and is_plain_text(content):
        raise forms.ValidationError(MESSAGES["no_extension"], code="no_extension")
    raise forms.ValidationError(MESSAGES["not_accepted"], code="not_accepted")


def download_name(original_name: str, content_type: str) -> str:
    """A file name safe for a Content-Disposition header, with the extension of the
    detected type (never one the uploader chose)."""
    stem = PurePath(original_name.replace("\\", "/")).stem
    cleaned = "".join(c if (c.isalnum() or c in " -_.()") else "_" for c in stem)
    cleaned = " ".join(cleaned.split()).strip("._ ")[:100] or "document"
    kind = ACCEPTED.get(content_type)
    return f"{cleaned}.{kind.extension}" if kind else cleaned


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a file as soon as it is larger than the limit, so that an oversized
    upload never reaches the disk; the form then says why the file is missing."""

    def __init__(self, request: HttpRequest | None = None, limit: int = 0) -> None:
        super().__init__(request)
        self.limit = limit or settings.MAX_UPLOAD_BYTES
        self.received = 0
        self.too_large = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.FileInput(
            attrs={
                "accept": ",".join(
                    sorted({f".{e}" for k in ACCEPTED.values() for e in k.extensions})
                )
            }
        ),
    )
    doc_type = forms.ChoiceField(label=_("Type of document"), choices=DocumentType.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        required=False,
        help_text=_("For example “Blood test of March”. The file name is used when left empty."),
    )
    date = forms.DateField(
        label=_("Date of the document"),
        required=False,
        widget=DateInput(),
        help_text=_("When it was written or issued; today when left empty."),
    )
    section = forms.ChoiceField(
        label=_("Part of the record"),
        help_text=_("Who may read this document depends on the part of the record it is filed in."),
    )
    concerns_third_party = forms.BooleanField(
        label=_("Concerns a third party (the person will not see it in their space)"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        access: RecordAccess,
        too_large: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"section": default_section(access)})
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.limit = settings.MAX_UPLOAD_BYTES
        # An oversized file was stopped while it was read: it is missing, say why.
        self.fields["file"].error_messages["required"] = (
            self._too_large().messages[0] if too_large else MESSAGES["required"]
        )
        self.fields["section"].choices = section_choices(access)  # type: ignore[attr-defined]
        self.fields["file"].help_text = _(
            "PDF, photo or scan (JPEG, PNG, WebP, HEIC, TIFF), office document (ODT, ODS, "
            "DOCX, XLSX) or plain text; %(limit)s MB at most."
        ) % {"limit": settings.MAX_UPLOAD_MB}
        self.content = b""
        self.content_type = ""
        self.original_name = ""

    def _too_large(self) -> forms.ValidationError:
        return forms.ValidationError(
            MESSAGES["too_large"], code="too_large", params={"limit": settings.MAX_UPLOAD_MB}
        )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if upload.size is not None and upload.size > self.limit:
            raise self._too_large()
        content = upload.read(self.limit + 1)
        if len(content) > self.limit:
            raise self._too_large()
        self.original_name = (upload.name or "")[:200]
        self.content_type = check_content(self.original_name, content)
        self.content = content
        return upload

    def clean_date(self) -> datetime.date | None:
        date: datetime.date | None = self.cleaned_data.get("date")
        if date and date > timezone.localdate():
            raise forms.ValidationError(MESSAGES["future"], code="future")
        return date

    def occurred_at(self) -> datetime.datetime | None:
        """Noon of the document's date (today's documents keep the current time)."""
        date = self.cleaned_data.get("date")
        if date is None or date == timezone.localdate():
            return None
        return timezone.make_aware(datetime.datetime.combine(date, datetime.time(12, 0)))

    def title_or_name(self) -> str:
        title = (self.cleaned_data.get("title") or "").strip()
        return title or PurePath(self.original_name).stem[:300] or self.original_name
