"""Writes of requests to the coordination function (sollicitations): atomic, checked
against the access policy, audited when they concern a registered person."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from maillage.coordination.actions.projects import do_open_project
from maillage.coordination.models import (
    Channel,
    Concerns,
    CoordinationRequest,
    Referral,
    RequestSource,
)
from maillage.coordination.queries.referrals import referrals_for
from maillage.core.access import COORDINATION_ROLES, RecordAccess, can, record_access
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import coordination as flow
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


# --- First contact and triage ------------------------------------------------------------


def _handled(member: Member, request: CoordinationRequest) -> RecordAccess | None:
    """The member handles the structure's requests; when the request concerns a registered
    person they also write in that person's coordination section. Returns that access."""
    if not can(member, "handle_requests", member.structure):
        raise PermissionDenied("handle_requests")
    if request.structure_id != member.structure_id:
        raise PermissionDenied("a request of another structure")
    if request.person is None:
        return None
    return _writer(member, request.person)


def _writer(member: Member, person: Person) -> RecordAccess:
    access = record_access(member, person)
    if access is None or not access.can_write(SECTION):
        raise PermissionDenied("no write right on coordination")
    return access


def _log_update(member: Member, request: CoordinationRequest) -> None:
    log_event(
        action=A.UPDATE,
        member=member,
        person=request.person,
        section=SECTION if request.person_id is not None else "",
        obj=request,
    )


@transaction.atomic
def do_first_contact(
    member: Member,
    request: CoordinationRequest,
    *,
    at: datetime.datetime | None = None,
    listening_notes: str = "",
    at_stake: str = "",
) -> CoordinationRequest:
    """The first contact with who asked: when, what was heard, what seems at stake. The
    request is then being triaged."""
    _handled(member, request)
    flow.check_request(request.status, flow.IN_TRIAGE)
    now = timezone.now()
    at = at or now
    if request.received_at - at < datetime.timedelta(minutes=1):
        # A time typed to the minute, in the very minute the request arrived.
        at = max(at, request.received_at)
    if at < request.received_at or at > now:
        raise flow.TransitionError("contact_time")
    request.status = flow.IN_TRIAGE
    request.first_contact_at = at
    request.first_contact_by = member
    request.listening_notes = listening_notes.strip()
    request.at_stake = at_stake.strip()
    if request.assigned_to_id is None:
        request.assigned_to = member
    request.save(
        update_fields=[
            "status",
            "first_contact_at",
            "first_contact_by",
            "listening_notes",
            "at_stake",
            "assigned_to",
        ]
    )
    _log_update(member, request)
    return request


@transaction.atomic
def do_link_person(
    member: Member, request: CoordinationRequest, person: Person
) -> CoordinationRequest:
    """The person the request is about has a record now (registered after the call, or
    found since): the request joins their coordination section. The name first given is
    kept."""
    _handled(member, request)
    if request.status == flow.CLOSED or request.concerns != Concerns.UNREGISTERED:
        raise flow.TransitionError("not_allowed")
    if person.structure_id != member.structure_id or person.merged_into_id is not None:
        raise PermissionDenied("a person of another structure")
    _writer(member, person)
    request.person = person
    request.concerns = Concerns.REGISTERED
    request.save(update_fields=["person", "concerns"])
    _log_update(member, request)
    return request


@transaction.atomic
def do_assign_request(
    member: Member, request: CoordinationRequest, assignee: Member | None
) -> CoordinationRequest:
    """Who follows the request (nobody in particular when ``assignee`` is None)."""
    _handled(member, request)
    if request.status == flow.CLOSED:
        raise flow.TransitionError("not_allowed")
    if assignee is not None and (
        assignee.structure_id != member.structure_id
        or not (assignee.is_active and assignee.user.is_active)
        or assignee.role not in COORDINATION_ROLES
    ):
        raise PermissionDenied("a member who handles requests")
    request.assigned_to = assignee
    request.save(update_fields=["assigned_to"])
    _log_update(member, request)
    return request


@transaction.atomic
def do_close_request(
    member: Member,
    request: CoordinationRequest,
    *,
    outcome: str,
    note: str = "",
    referral: Referral | None = None,
) -> CoordinationRequest:
    """Close the request with its outcome. "project" opens (or finds) the person's living
    health project; "referral" links one of the person's referrals; both need a registered
    person. "closed" needs a reason."""
    access = _handled(member, request)
    flow.check_request(request.status, flow.CLOSED, outcome=outcome, note=note)
    if outcome in {flow.PROJECT, flow.REFERRAL} and access is None:
        raise flow.TransitionError("person_needed")
    if outcome == flow.REFERRAL:
        if referral is None:
            raise flow.TransitionError("referral_needed")
        if access is None or not referrals_for(access).filter(pk=referral.pk).exists():
            raise PermissionDenied("not this person's referral")
        request.referral = referral
    if outcome == flow.PROJECT and access is not None:
        request.project = do_open_project(access)
    request.status = flow.CLOSED
    request.outcome = outcome
    request.outcome_note = note.strip()
    request.closed_at = timezone.now()
    request.closed_by = member
    request.save(
        update_fields=[
            "status",
            "outcome",
            "outcome_note",
            "closed_at",
            "closed_by",
            "referral",
            "project",
        ]
    )
    _log_update(member, request)
    return request
