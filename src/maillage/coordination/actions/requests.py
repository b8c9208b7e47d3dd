"""Writes of requests to the coordination function (sollicitations): atomic, checked
against the access policy, audited when they concern a registered person."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from maillage.coordination.models import Channel, Concerns, CoordinationRequest, RequestSource
from maillage.core.access import can
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.people.models import Person

A = AccessEvent.Action
SECTION = Section.COORDINATION


@transaction.atomic
def do_receive_request(
    member: Member | None,
    *,
    concerns: str,
    source: str,
    channel: str,
    first_words: str,
    person: Person | None = None,
    unregistered_name: str = "",
    source_name: str = "",
    source_contact: str = "",
    urgency: str = "routine",
    received_at: datetime.datetime | None = None,
    assigned_to: Member | None = None,
    structure_id: int | None = None,
) -> CoordinationRequest:
    """Take down a request as it arrives. ``member`` is who took it; a request the person
    sends from their own space has no member (``member=None``, ``structure_id`` given)."""
    if member is not None:
        if not can(member, "receive_request", member.structure):
            raise PermissionDenied("receive_request")
        structure_id = member.structure_id
    elif person is None or channel != Channel.PORTAL or source != RequestSource.PERSON:
        raise PermissionDenied("only the person asks without a member")
    if structure_id is None:
        raise ValueError("structure")
    if (concerns == Concerns.REGISTERED) != (person is not None):
        raise ValueError("a registered person, and only then")
    if person is not None and person.structure_id != structure_id:
        raise PermissionDenied("a person of another structure")
    if assigned_to is not None and assigned_to.structure_id != structure_id:
        raise PermissionDenied("a member of another structure")
    request = CoordinationRequest.objects.create(
        structure_id=structure_id,
        concerns=concerns,
        person=person,
        unregistered_name="" if person is not None else unregistered_name.strip(),
        source=source,
        source_name=source_name.strip(),
        source_contact=source_contact.strip(),
        channel=channel,
        first_words=first_words.strip(),
        urgency=urgency,
        received_at=received_at or timezone.now(),
        received_by=member,
        assigned_to=assigned_to,
    )
    log_event(
        action=A.CREATE,
        member=member,
        user=person.user if member is None and person is not None else None,
        person=person,
        section=SECTION if person is not None else "",
        obj=request,
    )
    return request
