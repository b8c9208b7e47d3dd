"""PDF documents (meeting minutes, the person's summary of their data) with reportlab's
standard Helvetica: WinAnsi draws French accents, œ, ’ and « »."""

from __future__ import annotations

import io
import re
from typing import Any
from xml.sax.saxutils import escape

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def pdf_text(value: object) -> str:
    """Text for a reportlab paragraph: no control characters, markup escaped, line
    breaks kept."""
    return escape(CONTROL.sub("", str(value))).replace("\n", "<br/>")


def build_pdf(story: list[Any], title: str) -> bytes:
    """The story (reportlab flowables) as an A4 document with 2 cm margins."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=CONTROL.sub("", title),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    doc.build(story)
    return buffer.getvalue()
