"""Reads of referrals: only through the record's access (coordination section)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from maillage.coordination.models import Referral
from maillage.core.access import RecordAccess
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
