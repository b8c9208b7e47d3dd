"""iCalendar text (RFC 5545) written by hand: a calendar of events for a phone to
subscribe to. No framework and no dependency: the caller hands in plain values.

Content lines end with CRLF and are folded at 75 octets (a continuation line starts with
one space), never inside a UTF-8 sequence; TEXT values escape backslash, semicolon,
comma and line breaks. Every time is written in UTC (``YYYYMMDDTHHMMSSZ``), so no
VTIMEZONE is needed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CRLF",
    "Event",
    "calendar",
    "content_line",
    "escape_text",
    "fold",
    "initials",
    "utc_stamp",
]

CRLF = "\r\n"
MAX_OCTETS = 75
# Control characters are not allowed in TEXT values (tab is); line breaks are escaped.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def escape_text(value: str) -> str:
    r"""A TEXT value: ``\`` → ``\\``, ``;`` → ``\;``, ``,`` → ``\,``, a line break → ``\n``;
    other control characters are dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = _LINE_BREAKS.sub("\\\\n", value)
    return _CONTROLS.sub("", value)


def fold(line: str, limit: int = MAX_OCTETS) -> str:
    """Fold one content line (without its CRLF) into lines of at most ``limit`` octets,
    the leading space of a continuation line included; a character is never cut."""
    if len(line.encode("utf-8")) <= limit:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    room = limit
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > room:
            parts.append("".join(current))
            current, size, room = [], 0, limit - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def content_line(name: str, value: str) -> str:
    """``NAME:value`` folded and ended by CRLF; ``value`` is already in its final form
    (escape TEXT values with ``escape_text``)."""
    return fold(f"{name}:{value}") + CRLF


def utc_stamp(moment: datetime.datetime) -> str:
    """An aware date-time as an iCalendar UTC time: ``20260316T083000Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware date-time is needed")
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def initials(*names: str) -> str:
    """The first letter of each name, in capitals: ``initials("Marie", "Dupont")`` →
    ``"M. D."``. Empty names are skipped; a name without a letter gives nothing."""
    letters = []
    for name in names:
        first = next((c for c in name if c.isalnum()), "")
        if first:
            letters.append(first.upper() + ".")
    return " ".join(letters)


@dataclass(frozen=True)
class Event:
    """One VEVENT. ``summary``, ``location`` and ``description`` are plain text (escaped
    when written); ``url`` is written as is."""

    uid: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False


def _event_lines(event: Event, stamp: str) -> list[str]:
    lines = [
        content_line("BEGIN", "VEVENT"),
        content_line("UID", escape_text(event.uid)),
        content_line("DTSTAMP", stamp),
        content_line("DTSTART", utc_stamp(event.starts_at)),
        content_line("DTEND", utc_stamp(event.ends_at)),
        content_line("STATUS", "CANCELLED" if event.cancelled else "CONFIRMED"),
        content_line("SUMMARY", escape_text(event.summary)),
    ]
    if event.location:
        lines.append(content_line("LOCATION", escape_text(event.location)))
    if event.description:
        lines.append(content_line("DESCRIPTION", escape_text(event.description)))
    if event.url:
        lines.append(content_line("URL", _LINE_BREAKS.sub("", event.url)))
    lines.append(content_line("END", "VEVENT"))
    return lines


def calendar(
    events: Iterable[Event],
    *,
    name: str,
    now: datetime.datetime,
    prodid: str = "-//Maillage//Agenda//FR",
    refresh: datetime.timedelta = datetime.timedelta(hours=1),
) -> str:
    """A whole VCALENDAR; ``now`` is the DTSTAMP of every event (when it was written)."""
    stamp = utc_stamp(now)
    hours = max(int(refresh.total_seconds() // 3600), 1)
    lines = [
        content_line("BEGIN", "VCALENDAR"),
        content_line("VERSION", "2.0"),
        content_line("PRODID", escape_text(prodid)),
        content_line("CALSCALE", "GREGORIAN"),
        content_line("X-WR-CALNAME", escape_text(name)),
        content_line("REFRESH-INTERVAL;VALUE=DURATION", f"PT{hours}H"),
        content_line("X-PUBLISHED-TTL", f"PT{hours}H"),
    ]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append(content_line("END", "VCALENDAR"))
    return "".join(lines)
