"""Reads of referrals: only through the record's access (coordination section)."""

from __future__ import annotations

import datetime
import math
import statistics

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from maillage.coordination.models import Referral, ReferralEvent
from maillage.core.access import RecordAccess, section_readable
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.lib import referrals as path
from maillage.people.queries import record_ids


def referrals_for(access: RecordAccess) -> QuerySet[Referral]:
    """The person's referrals, if the member reads the coordination section."""
    if not access.can_read(Section.COORDINATION):
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            structure_id=access.member.structure_id, person_id__in=record_ids(access.person)
        )
        .select_related("to_member__user", "to_service__organisation", "to_professional")
        .order_by("-created_at", "-pk")
    )


def is_overdue(referral: Referral) -> bool:
    return path.is_overdue(
        referral.status, referral.last_news_at, timezone.now(), settings.REFERRAL_OVERDUE_DAYS
    )


def _overdue(member: Member, readable: Q | None = None) -> QuerySet[Referral]:
    if readable is None:
        readable = section_readable(member, Section.COORDINATION, via="person")
    cutoff = timezone.now() - datetime.timedelta(days=settings.REFERRAL_OVERDUE_DAYS)
    return Referral.objects.filter(
        structure_id=member.structure_id,
        status__in=path.WAITING,
        last_news_at__lte=cutoff,
    ).filter(readable)


def overdue_referrals(member: Member, limit: int = 10, readable: Q | None = None) -> list[Referral]:
    """The structure's referrals without news for too long, the oldest news first, of the
    persons whose coordination section the member reads (for the team home). The page's
    ids first, then their rows: thousands may be overdue, and sorting them with every
    joined column would cost more than the second query."""
    ids = list(
        _overdue(member, readable)
        .order_by("last_news_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    rows = Referral.objects.filter(pk__in=ids).select_related(
        "person", "to_member__user", "to_service", "to_professional"
    )
    found = {referral.pk: referral for referral in rows}
    return [found[pk] for pk in ids]


def overdue_count(member: Member, readable: Q | None = None) -> int:
    return _overdue(member, readable).count()


def response_time(referral: Referral) -> datetime.timedelta | None:
    return path.response_time(referral.events.values_list("status", "at"))


def response_stats(member: Member, since: datetime.datetime) -> dict[str, float | int | None]:
    """How long receivers took to answer referrals sent since ``since``: how many were
    sent, how many answered, the median and 90th percentile in days."""
    steps: dict[int, list[tuple[str, datetime.datetime]]] = {}
    rows = ReferralEvent.objects.filter(
        referral__structure_id=member.structure_id,
        referral__in=Referral.objects.filter(
            structure_id=member.structure_id,
            events__status=path.SENT,
            events__at__gte=since,
        ),
        status__in=path.ANSWERS | {path.SENT},
    ).values_list("referral_id", "status", "at")
    for referral_id, status, at in rows:
        steps.setdefault(referral_id, []).append((status, at))
    days = sorted(
        delay.total_seconds() / 86400
        for delay in (path.response_time(s) for s in steps.values())
        if delay is not None
    )
    return {
        "sent": len(steps),
        "answered": len(days),
        "median_days": statistics.median(days) if days else None,
        "p90_days": days[max(0, math.ceil(len(days) * 0.9) - 1)] if days else None,
    }


def team_referrals(member: Member, view: str) -> QuerySet[Referral]:
    """The structure's referrals of the persons whose coordination section the member
    reads: open ones, those without news, or closed ones."""
    found = (
        Referral.objects.filter(structure_id=member.structure_id).filter(
            section_readable(member, Section.COORDINATION, via="person")
        )
    ).select_related("person", "to_member__user", "to_service__organisation", "to_professional")
    if view == "closed":
        return found.filter(status__in=path.CLOSED).order_by("-last_news_at", "-pk")
    if view == "overdue":
        return (
            _overdue(member)
            .select_related(
                "person", "to_member__user", "to_service__organisation", "to_professional"
            )
            .order_by("last_news_at", "pk")
        )
    return found.exclude(status__in=path.CLOSED).order_by("last_news_at", "pk")
