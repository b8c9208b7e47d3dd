"""Renewals of rights, run by ``maillage worker`` (and its queue's ``renew_rights`` task).

``run`` does two things, both idempotent:

* a right held (open or to renew) that ends within ``RIGHTS_RENEWAL_DAYS`` becomes "to
  renew", and a follow-up task asks the member who follows it (else the person's
  referent, else the structure's social workers and mediators) to renew it before it
  ends. A ``Renewal`` row, unique for the right and the end date, is written in the same
  transaction as the task: running the job twice, or two workers at once, makes one task.
  A right renewed to a later end gets a new task when that end comes near.
* a right still held after its end date has lapsed: it becomes "expired", and the change
  is kept (the indicators count renewals done on time against lapsed ones).

Rights are read in keyset pages of ``BATCH`` (memory stays bounded whatever the number of
rights); only those due are read, through the partial index of held rights by end date.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterator

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from maillage.coordination.models import Task, TaskKind
from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.record.models import CareTeamMember
from maillage.rights.models import HELD, PersonRight, Renewal, RightChange, RightStatus

logger = logging.getLogger(__name__)

BATCH = 1000
SOCIAL_ROLES = (Role.SOCIAL_WORKER, Role.MEDIATOR, Role.LEGAL_ADVISER)


def _pages(rights: QuerySet[PersonRight]) -> Iterator[list[PersonRight]]:
    after: tuple[datetime.date, int] | None = None
    ordered = rights.order_by("ends_on", "pk")
    while True:
        page = ordered
        if after is not None:
            page = ordered.filter(Q(ends_on__gt=after[0]) | Q(ends_on=after[0], pk__gt=after[1]))
        batch = list(page[:BATCH])
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        last = batch[-1]
        assert last.ends_on is not None
        after = (last.ends_on, last.pk)


class _Assignees:
    """Who renews a right: its follower, else the referent, else the social roles of the
    structure — read once per page, not once per right."""

    def __init__(self, rights: list[PersonRight]) -> None:
        persons = {r.person_id for r in rights if r.follower_id is None}
        self.referents: dict[int, Member] = {
            row.person_id: row.member
            for row in CareTeamMember.objects.current()
            .filter(person_id__in=persons, is_referent=True, member__is_active=True)
            .select_related("member")
        }
        self.social: dict[int, list[Member]] = {}

    def of(self, right: PersonRight) -> list[Member]:
        if right.follower is not None and right.follower.is_active:
            return [right.follower]
        referent = self.referents.get(right.person_id)
        if referent is not None:
            return [referent]
        structure_id = right.person.structure_id
        if structure_id not in self.social:
            self.social[structure_id] = list(
                Member.objects.filter(
                    structure_id=structure_id, role__in=SOCIAL_ROLES, is_active=True
                ).order_by("pk")
            )
        return self.social[structure_id]


def _end(right: PersonRight) -> datetime.date:
    assert right.ends_on is not None  # only rights with an end are read
    return right.ends_on


def _task(right: PersonRight, today: datetime.date) -> Task:
    ends_on = _end(right)
    return Task(
        structure_id=right.person.structure_id,
        title=right.kind.display,
        details=ends_on.strftime("%d/%m/%Y"),
        kind=TaskKind.RENEWAL,
        person_id=right.person_id,
        due_on=max(today, ends_on - datetime.timedelta(days=15)),
    )


def _change(right: PersonRight, what: str, status: str) -> RightChange:
    return RightChange(
        right=right,
        what=what,
        status=status,
        starts_on=right.starts_on,
        ends_on=right.ends_on,
        before={"status": right.status},
    )


def _renew_all(rights: list[PersonRight], assignees: _Assignees, today: datetime.date) -> int:
    """The renewal tasks of a page of rights, in a few bulk queries (inside the caller's
    transaction). The unique ``Renewal`` rows make it fail as a whole if another worker
    made one of them meanwhile."""
    tasks = Task.objects.bulk_create(_task(right, today) for right in rights)
    Task.assignees.through.objects.bulk_create(
        Task.assignees.through(task_id=task.pk, member_id=member.pk)
        for task, right in zip(tasks, rights, strict=True)
        for member in assignees.of(right)
    )
    Renewal.objects.bulk_create(
        Renewal(right=right, for_end=_end(right), task=task)
        for task, right in zip(tasks, rights, strict=True)
    )
    flipped = [right for right in rights if right.status != RightStatus.TO_RENEW]
    PersonRight.objects.filter(pk__in=[r.pk for r in flipped]).update(
        status=RightStatus.TO_RENEW, updated_at=timezone.now()
    )
    RightChange.objects.bulk_create(
        _change(right, RightChange.What.TO_RENEW, RightStatus.TO_RENEW) for right in flipped
    )
    return len(rights)


def _renew_page(rights: list[PersonRight], today: datetime.date) -> int:
    assignees = _Assignees(rights)
    try:
        with transaction.atomic():  # one commit for the page
            return _renew_all(rights, assignees, today)
    except IntegrityError:
        pass  # another worker made some of them: one by one, keeping what is left to do
    made = 0
    for right in rights:
        try:
            with transaction.atomic():
                made += _renew_all([right], assignees, today)
        except IntegrityError:
            continue
    return made


def _lapse_page(rights: list[PersonRight]) -> int:
    with transaction.atomic():
        still = list(
            PersonRight.objects.select_for_update()
            .filter(pk__in=[r.pk for r in rights], status__in=HELD)
            .only("pk", "status", "starts_on", "ends_on")
        )
        read = {r.pk: r.ends_on for r in rights}
        # Still held, and still ending when it was read (not renewed meanwhile).
        lapsed = [r for r in still if r.ends_on == read[r.pk]]
        PersonRight.objects.filter(pk__in=[r.pk for r in lapsed]).update(
            status=RightStatus.EXPIRED, updated_at=timezone.now()
        )
        RightChange.objects.bulk_create(
            _change(right, RightChange.What.LAPSED, RightStatus.EXPIRED) for right in lapsed
        )
    return len(lapsed)


def run(today: datetime.date | None = None) -> Counter[str]:
    """Make the renewal tasks that are due and mark lapsed rights expired; how many of
    each ("tasks", "expired")."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.RIGHTS_RENEWAL_DAYS)
    counts: Counter[str] = Counter()
    held = PersonRight.objects.filter(status__in=HELD, ends_on__isnull=False).select_related(
        "person", "kind", "follower"
    )
    lapsed = held.filter(ends_on__lt=today)
    for page in _pages(lapsed):
        counts["expired"] += _lapse_page(page)
    made = Renewal.objects.filter(right=OuterRef("pk"), for_end=OuterRef("ends_on"))
    due = held.filter(ends_on__gte=today, ends_on__lte=horizon).filter(~Exists(made))
    for page in _pages(due):
        counts["tasks"] += _renew_page(page, today)
    if counts["tasks"] or counts["expired"]:
        logger.info(
            "rights: %d renewal tasks made, %d rights expired", counts["tasks"], counts["expired"]
        )
    return counts
