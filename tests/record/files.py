"""Tiny, valid files built in memory for the upload tests (no binary fixture committed)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from maillage.core.roles import Section
from maillage.record.actions import do_add_document
from maillage.record.models import Document


def tiny_pdf(text: str = "Compte rendu") -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png() -> bytes:
    """A 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_exe() -> bytes:
    """The start of a Windows executable (an MZ header and its DOS stub)."""
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44
    header += struct.pack("<I", 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21This program cannot be run in DOS mode.\r\n$"
    return header + stub + b"\x00" * 64 + b"PE\x00\x00"


def tiny_docx() -> bytes:
    """A minimal Word document (OOXML), the same bytes at every call: its members carry
    a fixed date, not the time of the call."""
    members = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
        "word/document.xml": '<?xml version="1.0"?><w:document/>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def tiny_heif() -> bytes:
    """The start of a HEIF image whose brand filetype does not know (mif1 only)."""
    ftyp = b"ftyp" + b"mif1" + b"\x00\x00\x00\x00" + b"mif1" + b"miaf"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + b"\x00" * 32


def add_pdf(access: Any, title: str = "Bilan", doc_type: str = "lab_result", **extra: Any) -> Any:
    """A one-page PDF added to the clinical part of the record ``access`` opens."""
    return do_add_document(
        access,
        section=Section.CLINICAL,
        doc_type=doc_type,
        title=title,
        content=tiny_pdf(),
        original_name=f"{title.lower().replace(' ', '-')}.pdf",
        content_type="application/pdf",
        **extra,
    )


def remove_stored_documents() -> None:
    """Stored files outlive the test database: remove the ones the test wrote."""
    for document in Document.objects.all():
        if document.file.name:
            document.file.storage.delete(document.file.name)
