"""Reads of the social situation and rights. What a member may see of one person is
decided by their ``RecordAccess`` (the social section); lists over many persons filter
with ``section_readable``."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from maillage.core.access import section_readable, section_right
from maillage.core.audit import log_list_reads
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.rights.models import (
    HELD,
    Application,
    EpicesScore,
    LivingConditions,
    PersonRight,
    RightKind,
    RightsEstimate,
)

SECTION = Section.SOCIAL
# The dashboard lists the rights ending within this many days.
EXPIRING_DAYS = 60


def kinds_for(structure_id: int, active: bool = True) -> QuerySet[RightKind]:
    """The national rights and the structure's own."""
    kinds = RightKind.objects.filter(Q(structure__isnull=True) | Q(structure_id=structure_id))
    return kinds.filter(is_active=True) if active else kinds


def current_living_conditions(person: Person) -> LivingConditions | None:
    return (
        LivingConditions.objects.filter(person=person).select_related("recorded_by__user").first()
    )


def living_history(person: Person) -> QuerySet[LivingConditions]:
    return LivingConditions.objects.filter(person=person).select_related("recorded_by__user")


def epices_history(person: Person) -> QuerySet[EpicesScore]:
    return EpicesScore.objects.filter(person=person).select_related("recorded_by__user")


def rights_of(person: Person) -> QuerySet[PersonRight]:
    return PersonRight.objects.filter(person=person).select_related("kind", "follower__user")


def applications_of(person: Person) -> QuerySet[Application]:
    return Application.objects.filter(person=person).select_related(
        "kind", "accompanied_by__user", "appeal_of"
    )


def expiring_rights(
    member: Member, today: datetime.date | None = None, days: int = EXPIRING_DAYS
) -> QuerySet[PersonRight]:
    """Rights held that end within ``days``, of the persons whose social section the
    member reads, soonest first."""
    today = today or timezone.localdate()
    return (
        PersonRight.objects.filter(
            section_readable(member, SECTION, via="person"),
            status__in=HELD,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=days),
            person__structure_id=member.structure_id,
        )
        .select_related("person", "kind", "follower__user")
        .order_by("ends_on", "pk")
    )


# Rights shown on the team's home page.
HOME_SHOWN = 8


def rights_home(member: Member) -> dict[str, object]:
    """For the members whose role reads the social section: the rights ending within
    ``EXPIRING_DAYS`` (the soonest, and how many), logged as a list read."""
    if not section_right(member.role, SECTION):
        return {}
    expiring = expiring_rights(member)
    shown = list(expiring[:HOME_SHOWN])
    count = len(shown) if len(shown) < HOME_SHOWN else expiring.count()
    log_list_reads(member=member, persons={r.person for r in shown}, section=SECTION, reason="home")
    return {"expiring_rights": shown, "expiring_count": count, "expiring_days": EXPIRING_DAYS}


# What each estimated right is held as, in the catalogue.
ESTIMATED_AS: dict[str, tuple[str, ...]] = {
    "css": ("css",),
    "css_participation": ("css_participation", "css"),
    "rsa": ("rsa",),
    "ppa": ("ppa",),
    "housing_aid": ("apl", "als", "alf"),
    "aah": ("aah",),
    "ame": ("ame",),
}


def latest_estimate(person: Person) -> RightsEstimate | None:
    return RightsEstimate.objects.filter(person=person).select_related("created_by__user").first()


# A right counts as claimed while held or asked for.
CLAIMED = frozenset({*HELD, "in_progress"})


def likely_not_claimed(lines: list[dict[str, Any]], claimed: set[str]) -> list[str]:
    """Codes of an estimate's lines that are likely and whose rights (``ESTIMATED_AS``)
    are none of the kinds in ``claimed`` (codes of the catalogue)."""
    return [
        line["code"]
        for line in lines
        if line.get("likely") and not claimed & set(ESTIMATED_AS.get(line["code"], ()))
    ]


def potential_non_take_up(person: Person, estimate: RightsEstimate) -> list[str]:
    """The rights the estimate finds likely that the person neither holds nor has asked
    for (no right of that kind open, to renew or in progress): codes of the estimate."""
    claimed = set(
        PersonRight.objects.filter(person=person, status__in=CLAIMED).values_list(
            "kind__code", flat=True
        )
    )
    return likely_not_claimed(estimate.lines, claimed)
