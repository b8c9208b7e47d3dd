"""iCalendar text written by hand (no database): escaping, folding at 75 octets on UTF-8
boundaries, CRLF line endings, UTC times."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillage.lib.ical import (
    CRLF,
    Event,
    calendar,
    content_line,
    escape_text,
    fold,
    initials,
    utc_stamp,
)

PARIS = ZoneInfo("Europe/Paris")


def unfold(text: str) -> str:
    return text.replace(CRLF + " ", "")


def test_escaping_of_text_values():
    assert escape_text("a,b;c\\d") == "a\\,b\\;c\\\\d"
    assert escape_text("line 1\nline 2\r\nline 3\rline 4") == "line 1\\nline 2\\nline 3\\nline 4"
    # The backslash is escaped first: a comma's escape is not escaped again.
    assert escape_text("\\,") == "\\\\\\,"
    assert escape_text("tab\tkept, bell\x07 dropped") == "tab\tkept\\, bell dropped"
    assert escape_text("Consultation — M. D.") == "Consultation — M. D."


def test_short_lines_are_not_folded():
    line = "SUMMARY:" + "x" * 67
    assert len(line) == 75
    assert fold(line) == line


def test_long_ascii_lines_fold_at_75_octets():
    line = "DESCRIPTION:" + "abcdefghij" * 20
    folded = fold(line)
    parts = folded.split(CRLF)
    assert len(parts[0].encode()) == 75
    assert all(p.startswith(" ") for p in parts[1:])
    assert all(len(p.encode()) <= 75 for p in parts)
    assert unfold(folded) == line


def test_folding_never_cuts_a_utf8_character():
    # "é" is two octets, "€" three, "🙂" four: no cut may fall inside one of them.
    line = "SUMMARY:" + "é€🙂a" * 40
    folded = fold(line)
    parts = folded.split(CRLF)
    assert len(parts) > 2
    for part in parts:
        encoded = part.encode("utf-8")
        assert len(encoded) <= 75
        encoded.decode("utf-8")  # each physical line is valid UTF-8 on its own
    assert unfold(folded) == line
    # The first line is filled as far as a whole character allows.
    assert len(parts[0].encode()) > 75 - 4


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_folding_round_trips(text):
    line = "X-TEST:" + escape_text(text)
    folded = fold(line)
    assert unfold(folded) == line
    assert all(len(p.encode("utf-8")) <= 75 for p in folded.split(CRLF))
    assert "\n" not in folded.replace(CRLF, "")


def test_content_lines_end_with_crlf():
    assert content_line("VERSION", "2.0") == "VERSION:2.0\r\n"
    long = content_line("SUMMARY", "x" * 200)
    assert long.endswith(CRLF) and not long.endswith(CRLF + CRLF)
    assert long.count(CRLF) == 3


def test_times_are_written_in_utc():
    summer = datetime.datetime(2026, 6, 16, 9, 30, tzinfo=PARIS)
    winter = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=PARIS)
    assert utc_stamp(summer) == "20260616T073000Z"
    assert utc_stamp(winter) == "20260105T083000Z"
    with pytest.raises(ValueError):
        utc_stamp(datetime.datetime(2026, 1, 5, 9, 30))


def test_initials():
    assert initials("Marie", "DUPONT") == "M. D."
    assert initials("élodie", "Œuvray") == "É. Œ."
    assert initials("", "Martin") == "M."
    assert initials("'Abdel", "") == "A."
    assert initials() == ""


def test_a_whole_calendar():
    start = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)
    events = [
        Event(
            uid="appointment-12@maillage",
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=30),
            summary="Consultation; M. D.",
            location="Salle 1, rez-de-chaussée",
            description="https://example.org/agenda/rdv/12/",
            url="https://example.org/agenda/rdv/12/",
        ),
        Event(
            uid="appointment-13@maillage",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            summary="Visite",
            cancelled=True,
        ),
    ]
    now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    text = calendar(events, name="Maillage — Centre A", now=now)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Maillage//Agenda//FR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    # Every line ends with CRLF: no bare LF or CR anywhere.
    assert "\n" not in text.replace(CRLF, "") and "\r" not in text.replace(CRLF, "")
    lines = unfold(text).split(CRLF)
    assert "X-WR-CALNAME:Maillage — Centre A" in lines
    assert lines.count("BEGIN:VEVENT") == 2 and lines.count("END:VEVENT") == 2
    assert "UID:appointment-12@maillage" in lines
    assert "DTSTAMP:20260301T120000Z" in lines
    assert "DTSTART:20260316T080000Z" in lines
    assert "DTEND:20260316T083000Z" in lines
    assert "SUMMARY:Consultation\\; M. D." in lines
    assert "LOCATION:Salle 1\\, rez-de-chaussée" in lines
    assert "URL:https://example.org/agenda/rdv/12/" in lines
    assert lines.count("STATUS:CANCELLED") == 1 and lines.count("STATUS:CONFIRMED") == 1
    assert all(len(line.encode()) <= 75 for line in text.split(CRLF))
