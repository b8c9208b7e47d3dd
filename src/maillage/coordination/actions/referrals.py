"""Every write on referrals: atomic, checked against the record's access, audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from maillage.coordination.actions.tasks import close_follow_up
from maillage.coordination.models import Referral, ReferralEvent
from maillage.core.access import RecordAccess
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import referrals as path
from maillage.territory.models import Professional, Service

A = AccessEvent.Action
SECTION = Section.COORDINATION


def _require_write(access: RecordAccess) -> None:
    if not access.can_write(SECTION):
        raise PermissionDenied("no write right on coordination")


@transaction.atomic
def do_propose_referral(
    access: RecordAccess,
    *,
    to_member: Member | None = None,
    to_service: Service | None = None,
    to_professional: Professional | None = None,
    reason: str,
    wishes: str = "",
    documents: str = "",
) -> Referral:
    _require_write(access)
    if sum(target is not None for target in (to_member, to_service, to_professional)) != 1:
        raise ValueError("one target")
    structure_id = access.member.structure_id
    for target in (to_service, to_professional):
        if target is not None and target.owner_id != structure_id:
            raise PermissionDenied("another structure's directory")
    if to_member is not None and to_member.structure_id != structure_id:
        raise PermissionDenied("a member of another structure")
    referral = Referral.objects.create(
        structure_id=structure_id,
        person=access.person,
        to_member=to_member,
        to_service=to_service,
        to_professional=to_professional,
        reason=reason,
        wishes=wishes,
        documents=documents,
        created_by=access.member,
    )
    ReferralEvent.objects.create(referral=referral, status=path.PROPOSED, by=access.member)
    log_event(
        action=A.CREATE, member=access.member, person=access.person, section=SECTION, obj=referral
    )
    return referral


@transaction.atomic
def do_advance_referral(
    access: RecordAccess,
    referral: Referral,
    status: str,
    *,
    note: str = "",
    appointment_at: datetime.datetime | None = None,
    feedback: str = "",
) -> Referral:
    """The next step of the path (``lib/referrals.py``); a "not done" needs its reason in
    ``note``. Feedback from the receiver may come with any step after "sent"."""
    _require_write(access)
    if referral.person_id != access.person.pk:
        raise PermissionDenied("another person's referral")
    path.check_transition(referral.status, status, reason=note)
    now = timezone.now()
    referral.status = status
    referral.last_news_at = now
    fields = ["status", "last_news_at"]
    if appointment_at is not None:
        referral.appointment_at = appointment_at
        fields.append("appointment_at")
    if feedback.strip():
        referral.feedback = feedback.strip()
        fields.append("feedback")
    if status == path.NOT_DONE:
        referral.closing_reason = note.strip()
        fields.append("closing_reason")
    referral.save(update_fields=fields)
    ReferralEvent.objects.create(
        referral=referral, status=status, note=note.strip(), by=access.member, at=now
    )
    # News came: the follow-up task made when there was none is done.
    close_follow_up(access, referral)
    log_event(
        action=A.UPDATE, member=access.member, person=access.person, section=SECTION, obj=referral
    )
    return referral
