"""Indicators of access to rights for a structure, over a period: rights opened by type,
the median time from an application to its decision, renewals made before the right
expired against rights that lapsed, and potential non-take-up by right (from each
person's latest estimate). Counts below ``SMALL_COUNT`` are masked (``None``): with so few
people, a figure could point at someone.

Each figure is computed by the database (grouped counts) except the medians, read as
one column of durations. Every query goes to ``settings.REPORTS_DATABASE``: a read-only
replica when the server has one (``MAILLAGE_REPORTS_DATABASE_URL``)."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Subquery

from maillage.core.reports import reporting
from maillage.rights.models import (
    DECIDED,
    Application,
    PersonRight,
    RightChange,
    RightKind,
    RightsEstimate,
)
from maillage.rights.queries import CLAIMED, ESTIMATED_AS, likely_not_claimed

SMALL_COUNT = 5

What = RightChange.What


def masked(count: int) -> int | None:
    return count if count >= SMALL_COUNT else None


@dataclass
class Indicators:
    start: datetime.date
    end: datetime.date  # included
    opened: list[tuple[RightKind, int | None]] = field(default_factory=list)
    opened_total: int | None = None
    decisions: int | None = None
    median_days: float | None = None  # None: too few decisions to say
    renewed_on_time: int | None = None
    renewed_late: int | None = None
    lapsed: int | None = None
    non_take_up: list[tuple[str, int | None]] = field(default_factory=list)
    estimated_persons: int | None = None

    @property
    def median_whole_days(self) -> int | None:
        """The median rounded to a whole number of days (what the page says)."""
        return None if self.median_days is None else round(self.median_days)


def _opened(structure_id: int, start: datetime.date, end: datetime.date) -> Counter[int]:
    """Rights that became open in the period: granted applications, and rights recorded
    as open that started then."""
    granted = (
        reporting(Application)
        .filter(
            person__structure_id=structure_id,
            status="granted",
            decided_on__gte=start,
            decided_on__lte=end,
        )
        .values_list("kind_id", flat=True)
    )
    recorded = (
        reporting(PersonRight)
        .filter(
            person__structure_id=structure_id,
            starts_on__gte=start,
            starts_on__lte=end,
            changes__what=What.CREATED,
            changes__status="open",
        )
        .values_list("kind_id", flat=True)
    )
    counts: Counter[int] = Counter(granted)
    counts.update(recorded)
    return counts


def compute(structure_id: int, start: datetime.date, end: datetime.date) -> Indicators:
    result = Indicators(start=start, end=end)
    opened = _opened(structure_id, start, end)
    kinds = {k.pk: k for k in reporting(RightKind).filter(pk__in=opened)}
    result.opened = sorted(
        ((kinds[pk], masked(n)) for pk, n in opened.items()),
        key=lambda pair: pair[0].display,
    )
    result.opened_total = masked(sum(opened.values()))

    # From the submission (the start, when it was not recorded) to the decision.
    durations = [
        (decided - (submitted or started)).days
        for started, submitted, decided in reporting(Application)
        .filter(
            person__structure_id=structure_id,
            status__in=DECIDED,
            decided_on__gte=start,
            decided_on__lte=end,
        )
        .values_list("opened_on", "submitted_on", "decided_on")
        if decided is not None
    ]
    result.decisions = masked(len(durations))
    if len(durations) >= SMALL_COUNT:
        result.median_days = statistics.median(durations)

    changes = (
        reporting(RightChange)
        .filter(
            right__person__structure_id=structure_id,
            at__date__gte=start,
            at__date__lte=end,
            what__in=[What.RENEWED, What.RENEWED_LATE, What.LAPSED],
        )
        .values("what")
        .annotate(n=Count("pk"))
    )
    by_what = {row["what"]: row["n"] for row in changes}
    result.renewed_on_time = masked(by_what.get(What.RENEWED, 0))
    result.renewed_late = masked(by_what.get(What.RENEWED_LATE, 0))
    result.lapsed = masked(by_what.get(What.LAPSED, 0))

    result.non_take_up, result.estimated_persons = _non_take_up(structure_id, end)
    return result


def _non_take_up(
    structure_id: int, end: datetime.date
) -> tuple[list[tuple[str, int | None]], int | None]:
    """From each person's latest estimate made by ``end``: how many persons a right is
    likely for and who do not hold it (nor asked for it)."""
    latest = (
        reporting(RightsEstimate)
        .filter(person_id=OuterRef("person_id"), created_at__date__lte=end)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    estimates = (
        reporting(RightsEstimate)
        .filter(person__structure_id=structure_id, created_at__date__lte=end)
        .annotate(latest=Subquery(latest))
        .filter(pk=F("latest"))
        .values_list("person_id", "lines")
    )
    held: dict[int, set[str]] = {}
    counts: Counter[str] = Counter()
    persons = 0
    rows = list(estimates.iterator(chunk_size=2000))
    for person_ids in _chunks([p for p, _l in rows], 2000):
        for person_id, code in (
            reporting(PersonRight)
            .filter(person_id__in=person_ids, status__in=CLAIMED)
            .values_list("person_id", "kind__code")
        ):
            held.setdefault(person_id, set()).add(code)
    for person_id, lines in rows:
        persons += 1
        counts.update(likely_not_claimed(lines, held.get(person_id, set())))
    order = list(ESTIMATED_AS)
    return (
        [(code, masked(counts[code])) for code in order if code in counts],
        masked(persons),
    )


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
