"""ICPC-2 (CISP-2 in French) codes: a chapter letter and two digits (no Django).

A code is a chapter (the body system, or Z for social problems) and a component:
01–29 symptoms and complaints, 30–69 process (examinations, treatment, results,
administrative, referral), 70–99 diagnoses. Free text is always allowed beside a code.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

from unidecode import unidecode

CHAPTERS = "ABDFHKLNPRSTUWXYZ"
CODE_RE = re.compile(rf"^[{CHAPTERS}](0[1-9]|[1-9]\d)$")
COMPONENTS = (
    ("symptoms", 1, 29),
    ("diagnostic", 30, 49),
    ("treatment", 50, 59),
    ("results", 60, 61),
    ("administrative", 62, 62),
    ("referral", 63, 69),
    ("diagnosis", 70, 99),
)


def is_icpc2_code(code: str) -> bool:
    return bool(CODE_RE.match(code.strip().upper()))


def component(code: str) -> str:
    """Which component of the classification a valid code belongs to."""
    number = int(code.strip()[1:3])
    for name, low, high in COMPONENTS:
        if low <= number <= high:
            return name
    raise ValueError(code)


def normalise_codes(text: str) -> list[str]:
    """ "r05, a03 ;T90" → ["R05", "A03", "T90"]; raises ValueError(code) on a wrong one."""
    codes: list[str] = []
    for raw in re.split(r"[\s,;]+", text.strip()):
        if not raw:
            continue
        code = raw.upper().replace(".", "")
        if not is_icpc2_code(code):
            raise ValueError(raw)
        if code not in codes:
            codes.append(code)
    return codes


# --- Reading a file of rubrics --------------------------------------------------------
# The rubric titles are © WONCA (and the CISP Club for the French translation): they are
# not shipped with Maillage. An instance loads its own licensed copy, in whichever
# tabular form it was given: comma, semicolon or tab separated, UTF-8 or Windows-1252,
# with a header naming the columns (French or English) or two bare columns, code then
# title. See docs/adr/0006-icpc2-titles-are-loaded.md.

MAX_TITLE = 300
MAX_INCLUSIONS = 2000
MAX_ROWS = 5000  # ICPC-2 has about 700 rubrics; more lines means a wrong file
GENERIC_PROCESS_RE = re.compile(r"^-\s?[3-6]\d$")  # "-30": a process code of every chapter

# Header names, normalised (lowercase, no accents, letters and digits only), best first.
CODE_HEADERS = ("code", "codecisp", "codeicpc", "cisp", "cisp2", "icpc", "icpc2", "rubrique")
TITLE_HEADERS = (
    "titre",
    "libelle",
    "intitule",
    "title",
    "preferred",
    "preferredtitle",
    "label",
    "titrecourt",
    "libellecourt",
    "shorttitle",
)
INCLUSION_HEADERS = ("inclusion", "inclusions", "inclut", "comprend", "includes")


@dataclasses.dataclass(frozen=True)
class Rubric:
    code: str
    title: str
    inclusions: str = ""


@dataclasses.dataclass(frozen=True)
class Problem:
    line: int
    message: str  # an English key; the caller words it (see ``PROBLEMS``)
    value: str = ""


@dataclasses.dataclass
class ParsedFile:
    rubrics: list[Rubric]
    problems: list[Problem]
    ignored: list[Problem]  # lines that are not rubrics and are not errors either


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unidecode(text).lower())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _columns(header: list[str]) -> tuple[int, int, int | None] | None:
    keys = [_header_key(cell) for cell in header]

    def find(names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in keys:
                return keys.index(name)
        return None

    code, title = find(CODE_HEADERS), find(TITLE_HEADERS)
    if code is None or title is None or code == title:
        return None
    return code, title, find(INCLUSION_HEADERS)


def _delimiter(text: str) -> str:
    """The separator under which the first line is a header or starts with a code: the
    sniffer's guess first, then tab, semicolon and comma (a title may hold commas)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        guess = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
    except csv.Error:
        guess = ","
    for delimiter in dict.fromkeys((guess, "\t", ";", ",")):
        cells = [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter), [])]
        if _columns(cells) or (len(cells) >= 2 and is_icpc2_code(cells[0])):
            return delimiter
    return guess


def parse_rubric_file(data: bytes) -> ParsedFile:
    """Read a file of rubrics. Every bad line is reported with its number; good lines
    are returned whatever the others hold (the caller decides whether to keep them)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    result = ParsedFile([], [], [])
    columns: tuple[int, int, int | None] | None = None
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(cells)
            if columns is not None:
                continue  # the header
            if is_icpc2_code(cells[0]) and len(cells) >= 2:
                columns = (0, 1, None)  # two bare columns
            else:
                result.problems.append(Problem(number, "no_columns"))
                return result
        if len(result.rubrics) + len(result.problems) >= MAX_ROWS:
            result.problems.append(Problem(number, "too_many_lines"))
            return result
        code_at, title_at, inclusions_at = columns
        code = cells[code_at].upper().replace(" ", "") if code_at < len(cells) else ""
        title = " ".join(cells[title_at].split()) if title_at < len(cells) else ""
        inclusions = ""
        if inclusions_at is not None and inclusions_at < len(cells):
            inclusions = " ".join(cells[inclusions_at].split())
        if GENERIC_PROCESS_RE.match(code):
            result.ignored.append(Problem(number, "generic_process", code))
        elif not is_icpc2_code(code):
            result.problems.append(Problem(number, "bad_code", code[:20]))
        elif not title:
            result.problems.append(Problem(number, "no_title", code))
        elif len(title) > MAX_TITLE or len(inclusions) > MAX_INCLUSIONS:
            result.problems.append(Problem(number, "too_long", code))
        elif code in seen:
            result.problems.append(Problem(number, "duplicate", code))
        else:
            seen[code] = number
            result.rubrics.append(Rubric(code, title, inclusions))
    if columns is None:
        result.problems.append(Problem(0, "empty"))
    return result


def search_text(rubric: Rubric) -> str:
    """What a search looks through: accent-free lowercase code, title and inclusions."""
    return " ".join(_fold(part) for part in (rubric.code, rubric.title, rubric.inclusions) if part)


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", unidecode(text).lower())).strip()


STOP_WORDS = frozenset(
    {"le", "la", "les", "l", "de", "des", "du", "d", "a", "au", "aux", "et", "en", "un", "une"}
    | {"sur", "par", "pour", "avec", "sans", "the", "of", "and", "or", "with", "without"}
)
CODE_PREFIX_RE = re.compile(rf"^[{CHAPTERS.lower()}]\d{{0,2}}$")


def query_words(query: str) -> list[str]:
    """The folded words of a search, at most eight, without French or English little
    words; a query that is only a chapter letter or the start of a code stays whole."""
    folded = _fold(query).split()
    if len(folded) == 1 and CODE_PREFIX_RE.match(folded[0]):
        return folded
    return [w for w in folded if w not in STOP_WORDS and len(w) > 1][:8]


def is_code_prefix(word: str) -> bool:
    return bool(CODE_PREFIX_RE.match(word))
