"""Every write on persons: atomic, audited (``do_<verb>_<noun>``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import identity as identity_rules
from maillage.lib.names import phonetic, search_keys, tokens
from maillage.lib.phone import phone_digits_for_search
from maillage.people.choices import VisitStatus
from maillage.people.models import (
    DuplicateDismissal,
    IdentityVersion,
    Person,
    PersonMerge,
    PersonSearchKey,
    ReceptionVisit,
    Relation,
)

A = AccessEvent.Action
ADMIN = Section.ADMINISTRATIVE

CONTACT_FIELDS = (
    "phone",
    "email",
    "address",
    "postcode",
    "commune_code",
    "commune_name",
    "latitude",
    "longitude",
)
# Filled on the kept record from the merged one when the kept record lacks them.
MERGE_FILLABLE_FIELDS = (
    "nir",
    *CONTACT_FIELDS,
    "used_name",
    "birth_place_code",
    "birth_place_label",
    "languages",
)
IDENTITY_FIELDS = (
    "birth_name",
    "given_names",
    "used_name",
    "used_given_name",
    "preferred_name",
    "pronouns",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_place_code",
    "birth_place_label",
    "sex",
    "nir",
    "identity_status",
    "document_type",
    "legal_representative_document_checked",
    "ins_retrieved_at",
    "declared_identity",
    "doubtful_identity",
    "fictitious_identity",
    *CONTACT_FIELDS,
    "languages",
    "interpreter_needed",
    "interpreting_language",
    "reception_notes",
)
# Which form fields make up each strict identity trait of lib.identity.
TRAIT_FIELDS = {
    "birth_name": ("birth_name",),
    "given_names": ("given_names",),
    "birth_date": ("birth_year", "birth_month", "birth_day"),
    "sex": ("sex",),
    "birth_place": ("birth_place_code",),
}


def block_key(person: Person) -> str:
    """Sorted phonetic keys of the first birth-name token and first given name.

    Two records of one person, even with first and last names swapped, share it.
    """
    parts = [
        phonetic(tok)
        for tok in (tokens(person.birth_name)[:1] + tokens(person.given_names)[:1])
        if tok
    ]
    return "|".join(sorted(parts))[:60]


def person_key_strings(person: Person) -> set[str]:
    return search_keys(
        person.birth_name,
        person.used_name,
        person.given_names,
        person.used_given_name,
        person.preferred_name,
    )


def _refresh_derived(person: Person) -> None:
    person.phone_digits = phone_digits_for_search(person.phone)
    person.block_key = block_key(person)


def rebuild_search_keys(persons: Iterable[Person]) -> None:
    persons = list(persons)
    PersonSearchKey.objects.filter(person__in=persons).delete()
    PersonSearchKey.objects.bulk_create(
        [
            PersonSearchKey(person=p, structure_id=p.structure_id, key=key[:40])
            for p in persons
            for key in sorted(person_key_strings(p))
        ],
        batch_size=2000,
    )


def evidence_of(person: Person) -> identity_rules.IdentityEvidence:
    from datetime import date

    birth = person.birth_date
    return identity_rules.IdentityEvidence(
        document_type=person.document_type,
        document_checked=person.document_type != "none",
        ins_retrieved=person.ins_retrieved_at is not None,
        is_minor=bool(birth and birth.is_minor_on(date.today())),
        legal_representative_document_checked=person.legal_representative_document_checked,
        declared_identity=person.declared_identity,
        doubtful=person.doubtful_identity,
        fictitious=person.fictitious_identity,
        has_nir=bool(person.nir),
    )


@transaction.atomic
def do_register_person(member: Member, data: Mapping[str, Any]) -> Person:
    person = Person(structure_id=member.structure_id, created_by=member)
    for field in IDENTITY_FIELDS:
        if field in data:
            setattr(person, field, data[field])
    if person.document_type != "none":
        person.document_checked_at = timezone.now()
        person.document_checked_by = member
    _refresh_derived(person)
    person.save()
    rebuild_search_keys([person])
    log_event(action=A.CREATE, member=member, person=person, section=ADMIN, obj=person)
    return person


def identity_snapshot(person: Person) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for field in IDENTITY_FIELDS:
        value = getattr(person, field)
        snapshot[field] = value.isoformat() if hasattr(value, "isoformat") else value
    return snapshot


def changed_traits(person: Person, data: Mapping[str, Any]) -> set[str]:
    return {
        trait
        for trait, fields in TRAIT_FIELDS.items()
        if any(field in data and data[field] != getattr(person, field) for field in fields)
    }


@transaction.atomic
def do_update_identity(
    member: Member, person: Person, data: Mapping[str, Any], reason: str = ""
) -> Person:
    """Apply a correction; the former identity stays readable as a version.

    Changing a strict trait of a retrieved, validated or qualified identity drops it to
    provisional: the evidence must be checked again (identity-vigilance rules).
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = identity_snapshot(person)
    traits = changed_traits(person, data)
    previous_document = person.document_type
    changed = [f for f in IDENTITY_FIELDS if f in data and data[f] != getattr(person, f)]
    if not changed:
        return person
    IdentityVersion.objects.create(person=person, data=before, changed_by=member, reason=reason)
    for field in changed:
        setattr(person, field, data[field])
    if traits and "identity_status" not in changed:
        person.identity_status = identity_rules.status_after_trait_change(
            person.identity_status, traits
        )
    if person.document_type != previous_document:
        checked = person.document_type != "none"
        person.document_checked_at = timezone.now() if checked else None
        person.document_checked_by = member if checked else None
    _refresh_derived(person)
    person.save()
    rebuild_search_keys([person])
    log_event(
        action=A.UPDATE, member=member, person=person, section=ADMIN, obj=person, reason=reason
    )
    return person


@transaction.atomic
def do_add_relation(member: Member, person: Person, data: Mapping[str, Any]) -> Relation:
    relation = Relation.objects.create(person=person, created_by=member, **data)
    log_event(action=A.CREATE, member=member, person=person, section=ADMIN, obj=relation)
    return relation


@transaction.atomic
def do_end_relation(member: Member, relation: Relation) -> None:
    relation.ended_at = timezone.now()
    relation.ended_by = member
    relation.save(update_fields=["ended_at", "ended_by"])
    log_event(action=A.UPDATE, member=member, person=relation.person, section=ADMIN, obj=relation)


@transaction.atomic
def do_mark_arrived(member: Member, person: Person, reason: str = "") -> ReceptionVisit:
    """The person is at the desk today; an expected visit is reused, never duplicated."""
    now = timezone.now()
    visit = (
        ReceptionVisit.objects.select_for_update()
        .filter(
            structure_id=member.structure_id,
            person=person,
            day=timezone.localdate(),
            status__in=[VisitStatus.EXPECTED, VisitStatus.ARRIVED],
        )
        .first()
    )
    if visit is None:
        visit = ReceptionVisit(structure_id=member.structure_id, person=person, created_by=member)
    visit.status = VisitStatus.ARRIVED
    visit.arrived_at = visit.arrived_at or now
    visit.reason = reason or visit.reason
    visit.save()
    Person.objects.filter(pk=person.pk).update(last_contact_at=now)
    log_event(action=A.UPDATE, member=member, person=person, section=ADMIN, obj=visit)
    return visit


@transaction.atomic
def do_mark_seen(member: Member, visit: ReceptionVisit) -> ReceptionVisit:
    """Mark a waiting person as seen; who saw them first is never overwritten."""
    if visit.status == VisitStatus.SEEN:
        return visit
    now = timezone.now()
    visit.status = VisitStatus.SEEN
    visit.seen_at = now
    visit.seen_by = member
    visit.save(update_fields=["status", "seen_at", "seen_by"])
    Person.objects.filter(pk=visit.person_id).update(last_contact_at=now)
    log_event(action=A.UPDATE, member=member, person=visit.person, section=ADMIN, obj=visit)
    return visit


@transaction.atomic
def do_merge_persons(member: Member, kept: Person, merged: Person, reason: str) -> PersonMerge:
    """Merge ``merged`` into ``kept``.

    Nothing is deleted: visits and entourage move to the kept record (the moved ids are
    written down), the merged record stays, marked as merged and pointing to the kept one,
    with its identity and its own access log. Identity gaps of the kept record are filled
    from the merged one.
    """
    if kept.pk == merged.pk:
        raise ValueError("cannot merge a record into itself")
    kept = Person.objects.select_for_update().get(pk=kept.pk)
    merged = Person.objects.select_for_update().get(pk=merged.pk)
    if merged.merged_into_id is not None or kept.merged_into_id is not None:
        raise ValueError("already merged")
    visit_ids = list(merged.visits.values_list("pk", flat=True))
    relation_ids = list(merged.relations.values_list("pk", flat=True))
    ReceptionVisit.objects.filter(pk__in=visit_ids).update(person=kept)
    Relation.objects.filter(pk__in=relation_ids).update(person=kept)
    filled = []
    for field in MERGE_FILLABLE_FIELDS:
        if not getattr(kept, field) and getattr(merged, field):
            setattr(kept, field, getattr(merged, field))
            filled.append(field)
    if merged.user_id and not kept.user_id:
        kept.user_id, merged.user_id = merged.user_id, None
        merged.save(update_fields=["user"])
        filled.append("user")
    if filled:
        IdentityVersion.objects.create(
            person=kept,
            data=identity_snapshot(Person.objects.get(pk=kept.pk)),
            changed_by=member,
            reason=reason,
        )
        _refresh_derived(kept)
        kept.save()
        rebuild_search_keys([kept])
    if kept.last_contact_at is None or (
        merged.last_contact_at and merged.last_contact_at > kept.last_contact_at
    ):
        kept.last_contact_at = merged.last_contact_at
        kept.save(update_fields=["last_contact_at"])
    merged.merged_into = kept
    merged.save(update_fields=["merged_into"])
    PersonSearchKey.objects.filter(person=merged).delete()
    merge = PersonMerge.objects.create(
        kept=kept,
        merged=merged,
        merged_by=member,
        reason=reason,
        moved={"visits": visit_ids, "relations": relation_ids, "filled": filled},
    )
    log_event(action=A.MERGE, member=member, person=kept, section=ADMIN, obj=merge, reason=reason)
    log_event(action=A.MERGE, member=member, person=merged, section=ADMIN, obj=merge, reason=reason)
    return merge


@transaction.atomic
def do_dismiss_duplicate(
    member: Member, a: Person, b: Person, reason: str = ""
) -> DuplicateDismissal:
    first, second = sorted([a, b], key=lambda p: p.pk)
    dismissal, _created = DuplicateDismissal.objects.get_or_create(
        person_a=first,
        person_b=second,
        defaults={"structure_id": member.structure_id, "dismissed_by": member, "reason": reason},
    )
    for person in (first, second):
        log_event(action=A.UPDATE, member=member, person=person, section=ADMIN, obj=dismissal)
    return dismissal


def log_read(member: Member, person: Person, section: str = ADMIN) -> None:
    log_event(action=A.READ, member=member, person=person, section=section, obj=person)
