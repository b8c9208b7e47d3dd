"""Reads of requests to the coordination function (sollicitations): the structure's
requests, minus those about a person whose coordination section the member does not read."""

from __future__ import annotations

import datetime
import math
import statistics
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from maillage.coordination.models import CoordinationRequest, Urgency
from maillage.core.access import can, persons_for_member, section_readable
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.models import Person
from maillage.people.queries import search_persons

SECTION = Section.COORDINATION

# The most urgent first: a number to order by.
URGENCY_RANK = Case(
    When(urgency=Urgency.URGENT, then=Value(0)),
    When(urgency=Urgency.SOON, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def requests_for(member: Member, readable: Q | None = None) -> QuerySet[CoordinationRequest]:
    """The requests the member may handle: their structure's, those about a registered
    person only when the member reads that person's coordination section (``readable``,
    when a page already holds that condition)."""
    if not can(member, "handle_requests", member.structure):
        return CoordinationRequest.objects.none()
    if readable is None:
        readable = section_readable(member, SECTION, via="person")
    return CoordinationRequest.objects.filter(structure_id=member.structure_id).filter(
        Q(person__isnull=True) | readable
    )


def _listed(requests: QuerySet[CoordinationRequest]) -> QuerySet[CoordinationRequest]:
    return requests.select_related("person", "assigned_to__user", "received_by__user")


def by_status(
    member: Member, status: str, readable: Q | None = None
) -> QuerySet[CoordinationRequest]:
    """Waiting ones the most urgent then the oldest first; those being triaged the oldest
    first; closed ones the last closed first."""
    requests = _listed(requests_for(member, readable).filter(status=status))
    if status == flow.WAITING:
        return requests.annotate(rank=URGENCY_RANK).order_by("rank", "received_at", "pk")
    if status == flow.IN_TRIAGE:
        return requests.order_by("received_at", "pk")
    return requests.order_by("-closed_at", "-pk")


def counts(member: Member) -> dict[str, int]:
    """How many requests of each status the member sees, in one query."""
    found = dict.fromkeys(flow.REQUEST_NEXT, 0)
    rows = requests_for(member).order_by().values_list("status").annotate(n=Count("pk"))
    for status, n in rows:
        found[status] = n
    return found


def waiting_requests(
    member: Member, limit: int = 8, readable: Q | None = None
) -> list[CoordinationRequest]:
    """For the team home: requests waiting for a first contact, urgent first then oldest."""
    return list(by_status(member, flow.WAITING, readable)[:limit])


def waiting_count(member: Member, readable: Q | None = None) -> int:
    return requests_for(member, readable).filter(status=flow.WAITING).count()


def _percentile(values: list[int], share: float) -> int:
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


def first_contact_stats(structure_id: int, since: datetime.datetime) -> dict[str, Any]:
    """How long requests received since ``since`` waited for their first contact: count,
    median and 90th percentile in minutes (None when there is none)."""
    rows = CoordinationRequest.objects.filter(
        structure_id=structure_id, received_at__gte=since, first_contact_at__isnull=False
    ).values_list("received_at", "first_contact_at")
    minutes = sorted(
        flow.minutes_between(received, contact) or 0 for received, contact in rows.iterator()
    )
    if not minutes:
        return {"count": 0, "median_minutes": None, "p90_minutes": None}
    return {
        "count": len(minutes),
        "median_minutes": round(statistics.median(minutes)),
        "p90_minutes": _percentile(minutes, 0.9),
    }


def find_persons(member: Member, text: str, limit: int = 10) -> list[Person]:
    """Registered persons matching a name typed while taking a request down."""
    if not text.strip():
        return []
    return search_persons(persons_for_member(member), member.structure_id, text[:150], limit)
