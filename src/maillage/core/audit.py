"""Write the append-only access log. Every read and write of a person's record calls this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from maillage.core.models import AccessEvent

if TYPE_CHECKING:
    from maillage.core.models import Member
    from maillage.people.models import Person


def _event(
    *,
    action: str,
    member: Member | None,
    user: Any,
    person: Person | None,
    section: str,
    obj: Any,
    reason: str,
    flagged: bool,
) -> AccessEvent:
    if user is None and member is not None:
        user = member.user
    structure_id = member.structure_id if member is not None else None
    if structure_id is None and person is not None:
        structure_id = person.structure_id
    return AccessEvent(
        action=action,
        actor_user=user if user is not None and getattr(user, "pk", None) else None,
        actor_member=member,
        structure_id=structure_id,
        person=person,
        section=section,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=reason,
        flagged=flagged,
    )


def log_event(
    *,
    action: str,
    member: Member | None = None,
    user: Any = None,
    person: Person | None = None,
    section: str = "",
    obj: Any = None,
    reason: str = "",
    flagged: bool = False,
) -> AccessEvent:
    event = _event(
        action=action,
        member=member,
        user=user,
        person=person,
        section=section,
        obj=obj,
        reason=reason,
        flagged=flagged,
    )
    event.save()
    return event


def log_reads(
    *,
    person: Person,
    sections: Iterable[str],
    member: Member | None = None,
    user: Any = None,
    obj: Any = None,
    reason: str = "",
    flagged: bool = False,
) -> None:
    """One read event per section shown, written in a single insert."""
    AccessEvent.objects.bulk_create(
        [
            _event(
                action=AccessEvent.Action.READ,
                member=member,
                user=user,
                person=person,
                section=section,
                obj=obj,
                reason=reason,
                flagged=flagged,
            )
            for section in sorted(set(sections))
        ]
    )


def log_list_reads(
    *, member: Member, persons: Iterable[Person], section: str, reason: str = ""
) -> None:
    """A list that shows something of several persons' ``section`` (a dashboard): one read
    event per person, written in a single insert."""
    AccessEvent.objects.bulk_create(
        [
            _event(
                action=AccessEvent.Action.READ,
                member=member,
                user=None,
                person=person,
                section=section,
                obj=None,
                reason=reason,
                flagged=False,
            )
            for person in sorted(persons, key=lambda p: p.pk)
        ]
    )


def log_person_reads(
    *,
    reads: Iterable[tuple[int, str]],
    member: Member | None = None,
    user: Any = None,
    action: str = AccessEvent.Action.READ,
    reason: str = "",
) -> int:
    """A program read (or exported) parts of several persons' records: one event per
    (person id, section) pair, written in batched inserts. Returns how many were written."""
    if user is None and member is not None:
        user = member.user
    events = [
        AccessEvent(
            action=action,
            actor_user=user if user is not None and getattr(user, "pk", None) else None,
            actor_member=member,
            structure_id=member.structure_id if member is not None else None,
            person_id=person_id,
            section=section,
            reason=reason,
        )
        for person_id, section in sorted(set(reads))
    ]
    AccessEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
