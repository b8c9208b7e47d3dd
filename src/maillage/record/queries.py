"""Reads of the shared record. The only place that turns an access decision
(``core.access.RecordAccess``) into query filters."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from rapidfuzz import fuzz

from maillage.core.access import RecordAccess
from maillage.core.roles import Section
from maillage.lib import icpc2
from maillage.people.models import Person
from maillage.people.queries import record_ids
from maillage.record.choices import EntryKind, ObservationKind
from maillage.record.models import Entry, Icpc2Rubric, Observation, Participant

ENTRY_RELATED = ("encounter", "observation", "document", "author__user")


def visible_q(access: RecordAccess) -> Q:
    """Entries of the record the member may read."""
    q = Q(section__in=sorted(access.readable))
    if access.reads_as_participant:
        took_part = Participant.objects.filter(member=access.member)
        q |= (
            Q(Exists(took_part.filter(entry=OuterRef("pk"))))
            | Q(Exists(took_part.filter(entry=OuterRef("parent_id"))))
        ) & ~Q(section__in=sorted(access.refused))
    return q


def entries_for_member(access: RecordAccess) -> QuerySet[Entry]:
    return Entry.objects.filter(visible_q(access), person_id__in=record_ids(access.person))


def entries_for_person(person: Person) -> QuerySet[Entry]:
    """What the person reads about themself: everything but notes about a third party."""
    return Entry.objects.filter(person_id__in=record_ids(person), concerns_third_party=False)


@dataclass
class TimelineFilters:
    section: str = ""
    kind: str = ""
    author_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None


def _has_child(visible: QuerySet[Entry], access: RecordAccess | None, **lookups: object) -> Exists:
    """Whether a row has a visible child matching ``lookups``. With the viewer's access the
    subquery goes straight to the row's children (the parent index) instead of the whole
    visible record."""
    children: QuerySet[Entry] = visible
    if access is not None and not access.reads_as_participant:
        children = Entry.objects.filter(section__in=sorted(access.readable))
    return Exists(children.filter(parent_id=OuterRef("pk"), **lookups))


def timeline(visible: QuerySet[Entry], filters: TimelineFilters | None = None) -> QuerySet[Entry]:
    """Rows of a timeline with what it takes to show them (see ``with_details``)."""
    return with_details(timeline_rows(visible, filters), visible)


def timeline_rows(
    visible: QuerySet[Entry],
    filters: TimelineFilters | None = None,
    access: RecordAccess | None = None,
) -> QuerySet[Entry]:
    """Rows of a timeline, newest first: every visible entry that is not shown inside a
    visible encounter. With the viewer's ``access``, whether an encounter is visible is
    read from its section instead of a subquery."""
    filters = filters or TimelineFilters()
    if access is not None and not access.reads_as_participant:
        if access.readable == frozenset(Section.values):
            rows = visible.filter(parent__isnull=True)
        else:
            rows = visible.filter(
                Q(parent__isnull=True) | ~Q(parent__section__in=sorted(access.readable))
            )
    else:
        rows = visible.filter(Q(parent__isnull=True) | ~Q(parent_id__in=visible.values("pk")))
    if filters.section:
        rows = rows.filter(
            Q(section=filters.section) | Q(_has_child(visible, access, section=filters.section))
        )
    if filters.kind in EntryKind.values:
        rows = rows.filter(Q(kind=filters.kind) | Q(_has_child(visible, access, kind=filters.kind)))
    elif filters.kind:  # a type of encounter
        rows = rows.filter(kind=EntryKind.ENCOUNTER, encounter__kind=filters.kind)
    if filters.author_id:
        took_part = Participant.objects.filter(entry=OuterRef("pk"), member_id=filters.author_id)
        rows = rows.filter(Q(author_id=filters.author_id) | Q(Exists(took_part)))
    if filters.start:
        rows = rows.filter(occurred_at__date__gte=filters.start)
    if filters.end:
        rows = rows.filter(occurred_at__date__lte=filters.end)
    return rows.order_by("-occurred_at", "-pk")


def with_details(rows: QuerySet[Entry], visible: QuerySet[Entry]) -> QuerySet[Entry]:
    """The joins a rendered entry needs: its details and author, its visible children
    (one query), its participants (one query)."""
    return rows.select_related(*ENTRY_RELATED).prefetch_related(
        Prefetch(
            "children",
            queryset=visible.select_related("observation", "author__user").order_by(
                "occurred_at", "pk"
            ),
        ),
        Prefetch("participants", queryset=Participant.objects.select_related("member__user")),
    )


def current_problems_and_treatments(visible: QuerySet[Entry]) -> tuple[list[Entry], list[Entry]]:
    """Active problems and current treatments, in one query."""
    rows = (
        visible.filter(kind__in=[EntryKind.PROBLEM, EntryKind.TREATMENT], status="active")
        .only("pk", "kind", "section", "title", "text", "code", "code_system", "occurred_at")
        .order_by("-occurred_at", "-pk")
    )
    found: dict[str, list[Entry]] = {EntryKind.PROBLEM: [], EntryKind.TREATMENT: []}
    for entry in rows:
        found[entry.kind].append(entry)
    return found[EntryKind.PROBLEM], found[EntryKind.TREATMENT]


def problems(visible: QuerySet[Entry]) -> QuerySet[Entry]:
    return (
        visible.filter(kind=EntryKind.PROBLEM)
        .select_related("author__user")
        .order_by("status", "-occurred_at", "-pk")
    )


def treatments(visible: QuerySet[Entry]) -> QuerySet[Entry]:
    return (
        visible.filter(kind=EntryKind.TREATMENT)
        .select_related("author__user")
        .order_by("status", "-occurred_at", "-pk")
    )


def documents(visible: QuerySet[Entry]) -> QuerySet[Entry]:
    return (
        visible.filter(kind=EntryKind.DOCUMENT)
        .select_related("document", "author__user")
        .order_by("-occurred_at", "-pk")
    )


def latest_observations(visible: QuerySet[Entry], recent: int = 200) -> list[Entry]:
    """The latest value of each measure among the ``recent`` latest measures, in clinical
    order, for the record's summary: one query of plain rows (a window function over a
    whole long record costs twice as much; loading each measure as a model, more)."""
    latest: dict[str, Entry] = {}
    rows = (
        visible.filter(kind=EntryKind.OBSERVATION)
        .order_by("-occurred_at", "-pk")
        .values_list(
            "pk",
            "occurred_at",
            "section",
            "observation__kind",
            "observation__value",
            "observation__value2",
            "observation__unit",
        )[:recent]
    )
    for pk, occurred_at, section, kind, value, value2, unit in rows:
        if kind is None or kind in latest:
            continue
        entry = Entry(pk=pk, kind=EntryKind.OBSERVATION, occurred_at=occurred_at, section=section)
        entry.observation = Observation(kind=kind, value=value, value2=value2, unit=unit)
        latest[kind] = entry
    order = {kind: index for index, kind in enumerate(ObservationKind.values)}
    return sorted(latest.values(), key=lambda e: order.get(e.observation.kind, len(order)))


# --- ICPC-2 rubrics (reference data) ---------------------------------------------------

RUBRIC_TITLES_TTL = 60.0  # seconds a process keeps the titles before reading them again
_rubric_titles: tuple[float, str, dict[str, str]] | None = None


def icpc2_titles() -> tuple[str, dict[str, str]]:
    """(version, code → title) of the loaded rubrics, read at most once a minute by a
    process: a list loaded by ``maillage icpc2 load`` shows in the timeline within a
    minute, without a query on every page. The version changes with every load."""
    global _rubric_titles
    now = time.monotonic()
    if _rubric_titles is None or now - _rubric_titles[0] > RUBRIC_TITLES_TTL:
        rows = list(Icpc2Rubric.objects.values_list("code", "title", "loaded_at"))
        latest = max((r[2].timestamp() for r in rows), default=0.0)
        version = f"{len(rows)}-{latest}"
        _rubric_titles = (now, version, {code: title for code, title, _at in rows})
    return _rubric_titles[1], _rubric_titles[2]


def icpc2_loaded() -> bool:
    return bool(icpc2_titles()[1])


def forget_icpc2_titles() -> None:
    global _rubric_titles
    _rubric_titles = None


def icpc2_search(query: str, limit: int = 20) -> list[Icpc2Rubric]:
    """Rubrics for a search by code or by words of the title or inclusions, accents
    and case ignored; when no rubric holds every word, the closest spellings."""
    words = icpc2.query_words(query)
    if not words:
        return []
    condition = Q()
    for word in words:
        match = Q(search_text__contains=word)
        if icpc2.is_code_prefix(word):
            match |= Q(code__startswith=word.upper())
        condition &= match
    found = list(Icpc2Rubric.objects.filter(condition).only("code", "title", "search_text"))
    if not found:
        found = _closest_rubrics(words)

    def rank(rubric: Icpc2Rubric) -> tuple[int, int, str]:
        code = rubric.code.lower()
        title_words = icpc2.query_words(rubric.title)
        exact = 0 if code in words else 1
        in_title = -sum(1 for w in words if any(t.startswith(w) for t in title_words))
        return exact, in_title, rubric.code

    return sorted(found, key=rank)[:limit]


def _closest_rubrics(words: list[str], threshold: float = 80.0) -> list[Icpc2Rubric]:
    """Rubrics each of whose words is within a typo or two of some word of the rubric
    (compared with the start of longer words, so that a word being typed still finds)."""
    found = []
    for rubric in Icpc2Rubric.objects.only("code", "title", "search_text").iterator():
        tokens = rubric.search_text.split()
        if all(
            max((fuzz.ratio(w, t[: len(w) + 1]) for t in tokens), default=0) >= threshold
            for w in words
        ):
            found.append(rubric)
    return found
