"""Every write on the shared record: atomic, checked against the access decision, audited."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from maillage.core.access import BREAK_GLASS_DURATION, RecordAccess, in_care_team
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member, Notification, User
from maillage.core.roles import Role, Section
from maillage.lib import icpc2
from maillage.lib import observations as obs
from maillage.people.models import Person
from maillage.record.choices import (
    CareTeamSource,
    EntryKind,
    ParticipantKind,
    ProblemStatus,
    SharingKind,
    TreatmentStatus,
)
from maillage.record.models import (
    BreakGlass,
    CareTeamMember,
    Document,
    Encounter,
    Entry,
    EntryVersion,
    Icpc2Rubric,
    Observation,
    Participant,
    SharingChoice,
)
from maillage.record.queries import forget_icpc2_titles

A = AccessEvent.Action


def _require_write(access: RecordAccess, section: str) -> None:
    if not access.can_write(section):
        raise PermissionDenied(f"no write right on {section}")


@dataclass
class ObservationInput:
    kind: str
    value: Decimal
    value2: Decimal | None = None


@dataclass
class EncounterInput:
    kind: str
    section: str
    occurred_at: datetime.datetime
    place: str = ""
    place_detail: str = ""
    duration_minutes: int | None = None
    reason: str = ""
    reason_codes: list[str] = field(default_factory=list)
    members: Sequence[Member] = ()
    interpreter: Member | None = None
    interpreter_name: str = ""
    interpreting_language: str = ""
    externals: Sequence[tuple[str, str]] = ()
    relatives: Sequence[tuple[str, str]] = ()
    note: str = ""
    note_section: str = ""
    concerns_third_party: bool = False
    observations: Sequence[ObservationInput] = ()


def _new_entry(access: RecordAccess, kind: str, section: str, **fields: Any) -> Entry:
    _require_write(access, section)
    return Entry.objects.create(
        person=access.person,
        structure_id=access.person.structure_id,
        kind=kind,
        section=section,
        author=access.member,
        **fields,
    )


def _log_write(
    access: RecordAccess, entry: Entry, action: str = A.CREATE, reason: str = ""
) -> None:
    log_event(
        action=action,
        member=access.member,
        person=access.person,
        section=entry.section,
        obj=entry,
        reason=reason,
        flagged=access.break_glass,
    )


def _join_care_team(person: Person, member: Member, added_by: Member, source: str) -> None:
    """A member who takes part in the person's care joins their care team."""
    if member.role in {Role.INTERPRETER, Role.PARTNER, Role.NETWORK_OBSERVER}:
        return
    if member.structure_id != person.structure_id or in_care_team(member, person):
        return
    CareTeamMember.objects.create(person=person, member=member, source=source, added_by=added_by)
    log_event(
        action=A.CREATE,
        member=added_by,
        person=person,
        section=Section.COORDINATION,
        obj=member,
        reason="care_team",
    )


def _add_observation(access: RecordAccess, data: ObservationInput, **fields: Any) -> Entry:
    value, value2 = obs.check(data.kind, data.value, data.value2)
    entry = _new_entry(
        access, EntryKind.OBSERVATION, fields.pop("section", Section.CLINICAL), **fields
    )
    Observation.objects.create(
        entry=entry, kind=data.kind, value=value, value2=value2, unit=obs.KINDS[data.kind].unit
    )
    _log_write(access, entry)
    return entry


@transaction.atomic
def do_record_encounter(access: RecordAccess, data: EncounterInput) -> Entry:
    """An encounter with who took part, its note and its measures, in one go."""
    member, person = access.member, access.person
    entry = _new_entry(
        access,
        EntryKind.ENCOUNTER,
        data.section,
        occurred_at=data.occurred_at,
        concerns_third_party=data.concerns_third_party,
    )
    interpreted = bool(data.interpreter or data.interpreter_name)
    Encounter.objects.create(
        entry=entry,
        kind=data.kind,
        place=data.place,
        place_detail=data.place_detail,
        duration_minutes=data.duration_minutes,
        reason=data.reason,
        reason_codes=list(data.reason_codes),
        interpreter_used=interpreted,
        interpreting_language=data.interpreting_language if interpreted else "",
    )
    participants = [Participant(entry=entry, kind=ParticipantKind.MEMBER, member=member)]
    others = [m for m in dict.fromkeys(data.members) if m.pk != member.pk]
    participants += [
        Participant(entry=entry, kind=ParticipantKind.MEMBER, member=m) for m in others
    ]
    if data.interpreter is not None:
        participants.append(
            Participant(entry=entry, kind=ParticipantKind.INTERPRETER, member=data.interpreter)
        )
    elif data.interpreter_name:
        participants.append(
            Participant(entry=entry, kind=ParticipantKind.INTERPRETER, name=data.interpreter_name)
        )
    participants += [
        Participant(entry=entry, kind=ParticipantKind.EXTERNAL, name=name, detail=detail)
        for name, detail in data.externals
        if name
    ]
    participants += [
        Participant(entry=entry, kind=ParticipantKind.RELATIVE, name=name, detail=detail)
        for name, detail in data.relatives
        if name
    ]
    Participant.objects.bulk_create(participants)
    _log_write(access, entry)
    if data.note.strip():
        note = _new_entry(
            access,
            EntryKind.NOTE,
            data.note_section or data.section,
            parent=entry,
            occurred_at=data.occurred_at,
            text=data.note.strip(),
            concerns_third_party=data.concerns_third_party,
        )
        _log_write(access, note)
    for item in with_bmi(person, data.observations):
        _add_observation(access, item, parent=entry, occurred_at=data.occurred_at)
    for m in [member, *others]:
        _join_care_team(person, m, member, CareTeamSource.ENCOUNTER)
    Person.objects.filter(pk=person.pk).update(last_contact_at=timezone.now())
    return entry


@transaction.atomic
def do_add_note(
    access: RecordAccess,
    *,
    section: str,
    text: str,
    parent: Entry | None = None,
    occurred_at: datetime.datetime | None = None,
    concerns_third_party: bool = False,
) -> Entry:
    """A note, on its own or added to an encounter (by a co-consultant, for instance)."""
    entry = _new_entry(
        access,
        EntryKind.NOTE,
        section,
        parent=parent,
        occurred_at=occurred_at or (parent.occurred_at if parent else timezone.now()),
        text=text.strip(),
        concerns_third_party=concerns_third_party,
    )
    _log_write(access, entry)
    return entry


@transaction.atomic
def do_add_observations(
    access: RecordAccess,
    items: Iterable[ObservationInput],
    *,
    section: str = Section.CLINICAL,
    occurred_at: datetime.datetime | None = None,
    parent: Entry | None = None,
) -> list[Entry]:
    when = occurred_at or timezone.now()
    return [
        _add_observation(access, item, section=section, occurred_at=when, parent=parent)
        for item in with_bmi(access.person, items)
    ]


def with_bmi(person: Person, items: Iterable[ObservationInput]) -> list[ObservationInput]:
    """The measures, plus the body-mass index when a weight is measured: from the height
    measured with it, or else the person's latest recorded height (adults' heights change
    little; the index is not computed without one)."""
    items = list(items)
    kinds = {item.kind for item in items}
    weight = next((item.value for item in items if item.kind == "weight"), None)
    if weight is None or "bmi" in kinds:
        return items
    height = next((item.value for item in items if item.kind == "height"), None)
    if height is None:
        height = (
            Observation.objects.filter(entry__person=person, kind="height")
            .order_by("-entry__occurred_at", "-pk")
            .values_list("value", flat=True)
            .first()
        )
    index = obs.bmi(weight, height) if height is not None else None
    return [*items, ObservationInput("bmi", index)] if index is not None else items


@transaction.atomic
def do_add_problem(
    access: RecordAccess,
    *,
    title: str,
    section: str = Section.CLINICAL,
    code_system: str = "",
    code: str = "",
    onset: datetime.date | None = None,
    text: str = "",
) -> Entry:
    entry = _new_entry(
        access,
        EntryKind.PROBLEM,
        section,
        title=title.strip(),
        code_system=code_system if code else "",
        code=code,
        onset=onset,
        text=text.strip(),
        status=ProblemStatus.ACTIVE,
    )
    _log_write(access, entry)
    return entry


@transaction.atomic
def do_add_treatment(
    access: RecordAccess,
    *,
    text: str,
    section: str = Section.CLINICAL,
    onset: datetime.date | None = None,
) -> Entry:
    entry = _new_entry(
        access,
        EntryKind.TREATMENT,
        section,
        text=text.strip(),
        onset=onset,
        status=TreatmentStatus.ACTIVE,
    )
    _log_write(access, entry)
    return entry


@transaction.atomic
def do_add_document(
    access: RecordAccess,
    *,
    section: str,
    doc_type: str,
    title: str,
    content: bytes,
    original_name: str,
    content_type: str,
    occurred_at: datetime.datetime | None = None,
    concerns_third_party: bool = False,
) -> Entry:
    """Store a file (its type already checked from its bytes by the caller's form)."""
    entry = _new_entry(
        access,
        EntryKind.DOCUMENT,
        section,
        title=title.strip(),
        occurred_at=occurred_at or timezone.now(),
        concerns_third_party=concerns_third_party,
    )
    document = Document(
        entry=entry,
        doc_type=doc_type,
        original_name=original_name[:200],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    document.file.save("document", ContentFile(content), save=False)
    document.save()
    _log_write(access, entry)
    return entry


# Fields a correction may change, by kind of entry (the entry's own columns).
CORRECTABLE: dict[str, tuple[str, ...]] = {
    EntryKind.ENCOUNTER: ("occurred_at", "concerns_third_party"),
    EntryKind.NOTE: ("text", "concerns_third_party"),
    EntryKind.OBSERVATION: ("occurred_at",),
    EntryKind.PROBLEM: ("title", "text", "code_system", "code", "onset", "ended", "status"),
    EntryKind.TREATMENT: ("text", "onset", "ended", "status"),
    EntryKind.DOCUMENT: ("title", "concerns_third_party"),
}
ENCOUNTER_FIELDS = (
    "kind",
    "place",
    "place_detail",
    "duration_minutes",
    "reason",
    "reason_codes",
    "interpreting_language",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def entry_snapshot(entry: Entry) -> dict[str, Any]:
    data = {name: _jsonable(getattr(entry, name)) for name in CORRECTABLE[entry.kind]}
    if entry.kind == EntryKind.ENCOUNTER:
        data.update(
            {f"encounter.{n}": _jsonable(getattr(entry.encounter, n)) for n in ENCOUNTER_FIELDS}
        )
    if entry.kind == EntryKind.OBSERVATION:
        ob = entry.observation
        data.update(
            {"observation.value": str(ob.value), "observation.value2": _jsonable(ob.value2)}
        )
    return data


@transaction.atomic
def do_correct_entry(
    access: RecordAccess, entry: Entry, changes: Mapping[str, Any], reason: str
) -> Entry:
    """Apply a correction; what the entry said before stays readable as a version."""
    # Lock the entry's own row: PostgreSQL cannot lock the optional side of the joins.
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("encounter", "observation")
        .get(pk=entry.pk)
    )
    _require_write(access, entry.section)
    if not reason.strip():
        raise ValueError("a correction needs a reason")
    before = entry_snapshot(entry)
    own = {k: v for k, v in changes.items() if k in CORRECTABLE[entry.kind]}
    sub = {k.split(".", 1)[1]: v for k, v in changes.items() if "." in k}
    changed_own = [k for k, v in own.items() if getattr(entry, k) != v]
    detail: Any = None
    if entry.kind == EntryKind.ENCOUNTER:
        detail = entry.encounter
        sub = {k: v for k, v in sub.items() if k in ENCOUNTER_FIELDS}
    elif entry.kind == EntryKind.OBSERVATION:
        detail = entry.observation
        sub = {k: v for k, v in sub.items() if k in {"value", "value2"}}
        if sub:
            value, value2 = obs.check(
                detail.kind, sub.get("value", detail.value), sub.get("value2", detail.value2)
            )
            sub = {"value": value, "value2": value2}
    else:
        sub = {}
    changed_sub = [k for k, v in sub.items() if getattr(detail, k) != v]
    if not changed_own and not changed_sub:
        return entry
    EntryVersion.objects.create(
        entry=entry,
        number=entry.version,
        data=before,
        written_by_id=entry.author_id if entry.version == 1 else _last_writer(entry),
        written_at=entry.updated_at or entry.created_at,
        replaced_by=access.member,
        reason=reason.strip(),
    )
    for name in changed_own:
        setattr(entry, name, own[name])
    entry.version += 1
    entry.updated_at = timezone.now()
    entry.save(update_fields=[*changed_own, "version", "updated_at"])
    if changed_sub:
        for name in changed_sub:
            setattr(detail, name, sub[name])
        detail.save(update_fields=changed_sub)
    _log_write(access, entry, A.UPDATE, reason.strip())
    return entry


def _last_writer(entry: Entry) -> int:
    last = entry.versions.order_by("-number").values_list("replaced_by_id", flat=True).first()
    return int(last) if last is not None else int(entry.author_id)


# --- Care team -------------------------------------------------------------------------


def _notify(recipient: Member, kind: str, person: Person, actor: Member, detail: str = "") -> None:
    if recipient.pk != actor.pk:
        Notification.objects.create(
            recipient=recipient, kind=kind, person=person, actor=actor, detail=detail
        )


@transaction.atomic
def do_add_to_care_team(
    actor: Member, person: Person, member: Member, *, referent: bool = False
) -> CareTeamMember:
    if member.structure_id != person.structure_id or not member.is_active:
        raise ValueError("only an active member of the person's structure")
    row = (
        CareTeamMember.objects.select_for_update()
        .current()
        .filter(person=person, member=member)
        .first()
    )
    if row is None:
        row = CareTeamMember.objects.create(
            person=person, member=member, source=CareTeamSource.ADDED, added_by=actor
        )
        _notify(member, Notification.Kind.CARE_TEAM_ADDED, person, actor)
        log_event(
            action=A.CREATE, member=actor, person=person, section=Section.COORDINATION, obj=row
        )
    if referent and not row.is_referent:
        row = do_set_referent(actor, person, row)
    return row


@transaction.atomic
def do_set_referent(actor: Member, person: Person, row: CareTeamMember) -> CareTeamMember:
    """Name the person's referent; the former one stays in the care team."""
    current = CareTeamMember.objects.select_for_update().current().filter(person=person)
    for former in current.filter(is_referent=True).exclude(pk=row.pk):
        _end_row(actor, former, "referent_changed")
        CareTeamMember.objects.create(
            person=person, member=former.member, source=former.source, added_by=actor
        )
    # A referent row is a new row: the history shows since when someone is referent.
    _end_row(actor, row, "became_referent")
    new = CareTeamMember.objects.create(
        person=person, member=row.member, source=row.source, added_by=actor, is_referent=True
    )
    _notify(new.member, Notification.Kind.REFERENT, person, actor)
    log_event(
        action=A.UPDATE,
        member=actor,
        person=person,
        section=Section.COORDINATION,
        obj=new,
        reason="referent",
    )
    return new


def _end_row(actor: Member, row: CareTeamMember, reason: str) -> None:
    row.ended_at = timezone.now()
    row.ended_by = actor
    row.end_reason = reason
    row.save(update_fields=["ended_at", "ended_by", "end_reason"])


@transaction.atomic
def do_remove_from_care_team(actor: Member, row: CareTeamMember, reason: str = "") -> None:
    _end_row(actor, row, reason or "removed")
    log_event(
        action=A.UPDATE,
        member=actor,
        person=row.person,
        section=Section.COORDINATION,
        obj=row,
        reason=reason,
    )


# --- The person's sharing choices ------------------------------------------------------


@transaction.atomic
def do_record_choice(
    person: Person,
    *,
    kind: str,
    section: str,
    user: User,
    role: str = "",
    member: Member | None = None,
    note: str = "",
    on_behalf_by: Member | None = None,
) -> SharingChoice:
    """Write down a refusal or a grant, by the person themself (``user`` is theirs) or by a
    member on their behalf (``on_behalf_by``)."""
    if kind == SharingKind.GRANT and (member is None or role):
        raise ValueError("a section is granted to a named member")
    if kind == SharingKind.REFUSE and bool(role) == (member is not None):
        raise ValueError("a section is refused to a role or to a named member")
    if member is not None and member.structure_id != person.structure_id:
        raise ValueError("only a member of the person's structure")
    choice = SharingChoice.objects.create(
        person=person,
        kind=kind,
        section=section,
        role=role,
        member=member,
        note=note,
        recorded_by_user=user,
        recorded_by_member=on_behalf_by,
    )
    log_event(
        action=A.CREATE,
        member=on_behalf_by,
        user=user,
        person=person,
        section=section,
        obj=choice,
    )
    return choice


@transaction.atomic
def do_withdraw_choice(
    choice: SharingChoice, *, user: User, on_behalf_by: Member | None = None
) -> None:
    choice = SharingChoice.objects.select_for_update().get(pk=choice.pk)
    if choice.withdrawn_at is not None:
        return
    choice.withdrawn_at = timezone.now()
    choice.withdrawn_by_user = user
    choice.withdrawn_by_member = on_behalf_by
    choice.save(update_fields=["withdrawn_at", "withdrawn_by_user", "withdrawn_by_member"])
    log_event(
        action=A.UPDATE,
        member=on_behalf_by,
        user=user,
        person=choice.person,
        section=choice.section,
        obj=choice,
        reason="withdrawn",
    )


# --- Emergency access ------------------------------------------------------------------


@transaction.atomic
def do_break_glass(access: RecordAccess, reason: str) -> BreakGlass:
    """Open the record in an emergency: flagged in the log, the referent is told."""
    if not access.may_break_glass:
        raise PermissionDenied("emergency access is not open to this member")
    if len(reason.strip()) < 10:
        raise ValueError("the reason must be written")
    now = timezone.now()
    glass = BreakGlass.objects.create(
        person=access.person,
        member=access.member,
        reason=reason.strip(),
        opened_at=now,
        expires_at=now + BREAK_GLASS_DURATION,
    )
    log_event(
        action=A.BREAK_GLASS,
        member=access.member,
        person=access.person,
        obj=glass,
        reason=reason.strip(),
        flagged=True,
    )
    referents = CareTeamMember.objects.current().filter(person=access.person, is_referent=True)
    for row in referents.select_related("member"):
        _notify(
            row.member, Notification.Kind.BREAK_GLASS, access.person, access.member, reason.strip()
        )
    return glass


@transaction.atomic
def do_load_icpc2_rubrics(rubrics: Sequence[icpc2.Rubric], source: str) -> int:
    """Replace the list of ICPC-2 rubrics by ``rubrics`` (reference data, not a record:
    the codes already written in records are kept as they are)."""
    now = timezone.now()
    Icpc2Rubric.objects.all().delete()
    Icpc2Rubric.objects.bulk_create(
        Icpc2Rubric(
            code=r.code,
            title=r.title,
            inclusions=r.inclusions,
            search_text=icpc2.search_text(r),
            source=source[:200],
            loaded_at=now,
        )
        for r in rubrics
    )
    transaction.on_commit(forget_icpc2_titles)
    return len(rubrics)
