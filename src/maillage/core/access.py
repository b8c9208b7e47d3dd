"""The single access policy of Maillage (see ACCESS.md and docs/access-matrix.md).

Deny by default. Views, API endpoints and exports ask this module and nothing else:
``can(principal, verb, obj)`` answers yes or no, and the ``get_*_for_*`` helpers return an
object or raise ``Http404`` — missing and forbidden look the same.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils import timezone

from maillage.core.roles import Role, Section

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

    from maillage.core.models import Member, Structure
    from maillage.people.models import Person

R, RW, NONE = "r", "rw", ""
S = Section

# Default rights of a member of the person's care team, by role and section (ACCESS.md).
ROLE_DEFAULTS: dict[str, dict[str, str]] = {
    Role.GP: {
        S.CLINICAL: RW,
        S.MENTAL_HEALTH: RW,
        S.SOCIAL: R,
        S.ADMINISTRATIVE: R,
        S.COORDINATION: RW,
    },
    Role.NURSE: {S.CLINICAL: RW, S.SOCIAL: R, S.ADMINISTRATIVE: R, S.COORDINATION: RW},
    Role.MIDWIFE: {S.CLINICAL: RW, S.SOCIAL: R, S.ADMINISTRATIVE: R, S.COORDINATION: RW},
    Role.PHYSIOTHERAPIST: {S.CLINICAL: RW, S.SOCIAL: R, S.ADMINISTRATIVE: R, S.COORDINATION: RW},
    Role.OTHER_CLINICIAN: {S.CLINICAL: RW, S.SOCIAL: R, S.ADMINISTRATIVE: R, S.COORDINATION: RW},
    Role.PSYCHOLOGIST: {
        S.CLINICAL: R,
        S.MENTAL_HEALTH: RW,
        S.SOCIAL: R,
        S.ADMINISTRATIVE: R,
        S.COORDINATION: RW,
    },
    Role.SOCIAL_WORKER: {S.SOCIAL: RW, S.ADMINISTRATIVE: RW, S.COORDINATION: RW},
    Role.LEGAL_ADVISER: {S.SOCIAL: RW, S.ADMINISTRATIVE: RW, S.COORDINATION: RW},
    Role.MEDIATOR: {S.SOCIAL: RW, S.ADMINISTRATIVE: RW, S.COORDINATION: RW},
    Role.COORDINATOR: {S.SOCIAL: R, S.ADMINISTRATIVE: R, S.COORDINATION: RW},
    Role.RECEPTION: {S.ADMINISTRATIVE: RW, S.COORDINATION: R},
    Role.INTERPRETER: {},
    Role.ADMIN: {S.ADMINISTRATIVE: R},
    Role.PARTNER: {},
    Role.NETWORK_OBSERVER: {},
}

# Roles that belong to the structure's team and so read identity and contact of the
# persons it follows. Partners and network observers see nothing by default.
TEAM_ROLES = frozenset(ROLE_DEFAULTS) - {Role.PARTNER, Role.NETWORK_OBSERVER}

# Roles whose work is coordination: they write in the coordination section by default,
# triage requests and plan meetings.
COORDINATION_ROLES = frozenset(
    role for role, rights in ROLE_DEFAULTS.items() if rights.get(Section.COORDINATION) == RW
)

# Roles that welcome people at the desk and may mark their arrival.
DESK_ROLES = frozenset({Role.RECEPTION, Role.MEDIATOR, Role.SOCIAL_WORKER, Role.COORDINATOR})

# Roles that book appointments for the team (everyone who meets persons, and the desk).
BOOKING_ROLES = TEAM_ROLES - {Role.ADMIN, Role.INTERPRETER}

# Roles that keep the structure's catalogue of rights (add the structure's own rights).
RIGHTS_KEEPERS = frozenset(
    {Role.SOCIAL_WORKER, Role.LEGAL_ADVISER, Role.MEDIATOR, Role.COORDINATOR, Role.ADMIN}
)

# Roles that keep the structure's agendas: rooms, everyone's working hours and absences.
AGENDA_KEEPERS = frozenset({Role.RECEPTION, Role.COORDINATOR, Role.ADMIN})


def section_right(role: str, section: str) -> str:
    """The default right ("", "r" or "rw") of a role on a section."""
    return ROLE_DEFAULTS.get(role, {}).get(section, NONE)


def _active(member: Member | None) -> bool:
    return member is not None and member.is_active and member.user.is_active


def _follows(member: Member, person: Person) -> bool:
    return person.structure_id == member.structure_id and member.role in TEAM_ROLES


# Verbs on a structure.
def can_on_structure(member: Member | None, verb: str, structure: Structure) -> bool:
    if member is None or not _active(member) or member.structure_id != structure.pk:
        return False
    role = member.role
    if verb == "register_person":
        return section_right(role, S.ADMINISTRATIVE) == RW
    if verb in {"search_persons", "view_reception"}:
        return role in TEAM_ROLES
    if verb == "review_duplicates":
        return section_right(role, S.ADMINISTRATIVE) == RW
    if verb == "manage_members":
        return role == Role.ADMIN
    if verb == "bulk_export":
        # A bulk export (FHIR $export) is the structure's decision: its administrator, and
        # the members the administrator gave the right to (docs/adr/0010). What it carries
        # is what the exporting member reads, type by type.
        return role == Role.ADMIN or (member.may_export and role in TEAM_ROLES)
    if verb in {"view_directory", "edit_directory", "view_territory", "search_codes"}:
        # The territory's resources are the whole team's working knowledge.
        return role in TEAM_ROLES
    if verb in {"import_directory", "edit_territory"}:
        return role in {Role.COORDINATOR, Role.ADMIN}
    if verb in {"receive_request", "view_tasks", "add_task"}:
        # Anyone of the team may take down a request (a phone call at the desk) and has
        # their own tasks.
        return role in TEAM_ROLES
    if verb in {"view_team_tasks", "view_meetings"}:
        return bool(section_right(role, S.COORDINATION))
    if verb in {"handle_requests", "plan_meetings", "view_coordination_report"}:
        return role in COORDINATION_ROLES
    if verb == "view_agenda":
        return role in TEAM_ROLES
    if verb == "book_appointment":
        return role in BOOKING_ROLES
    if verb == "run_desk":
        return role in DESK_ROLES
    if verb == "view_rights_report":
        # Counts only, small ones masked: the roles that read social situations, and the
        # structure's administrator.
        return bool(section_right(role, S.SOCIAL)) or role == Role.ADMIN
    if verb == "manage_rights_catalogue":
        return role in RIGHTS_KEEPERS
    if verb in {"manage_rooms", "manage_agendas"}:
        return role in AGENDA_KEEPERS
    return False


# Verbs on a person, for a member.
def can_on_person(member: Member | None, verb: str, person: Person) -> bool:
    if member is None or not _active(member) or not _follows(member, person):
        return False
    if person.merged_into_id is not None and verb != "view_identity":
        return False
    role = member.role
    if verb == "view_identity":
        return True
    if verb in {"edit_identity", "edit_entourage", "merge"}:
        return section_right(role, S.ADMINISTRATIVE) == RW
    if verb == "mark_arrived":
        return role in DESK_ROLES
    if verb == "mark_seen":
        return role in DESK_ROLES or any(
            right == RW for right in ROLE_DEFAULTS.get(role, {}).values()
        )
    if verb == "view_access_log":
        return role == Role.ADMIN or is_referent(member, person)
    if verb == "invite_to_portal":
        # Opening the person's own space: the administrative writers, or their referent.
        return section_right(role, S.ADMINISTRATIVE) == RW or is_referent(member, person)
    return False


def can(member: Member | None, verb: str, obj: Any) -> bool:
    """Whether ``member`` may ``verb`` the object. Anything unknown is denied."""
    from maillage.core.models import Structure
    from maillage.people.models import Person

    if isinstance(obj, Person):
        return can_on_person(member, verb, obj)
    if isinstance(obj, Structure):
        return can_on_structure(member, verb, obj)
    return False


def person_can_see_self(user: Any, person: Person) -> bool:
    """A person reads their own identity, entourage and access log."""
    return bool(
        user.is_authenticated and person.user_id == user.pk and person.merged_into_id is None
    )


def persons_for_member(member: Member | None) -> QuerySet[Person]:
    """Persons whose identity the member may read (merged records excluded)."""
    from maillage.people.models import Person

    if member is None or not _active(member) or member.role not in TEAM_ROLES:
        return Person.objects.none()
    return Person.objects.filter(structure_id=member.structure_id, merged_into__isnull=True)


def persons_readable_by(member: Member | None) -> QuerySet[Person]:
    """Persons the member may reach at all: the team's persons, or for an external partner,
    the persons who granted them a section of their record (and nobody else)."""
    from maillage.people.models import Person
    from maillage.record.models import SharingChoice

    if member is None or not _active(member) or member.role != Role.PARTNER:
        return persons_for_member(member)
    granted = SharingChoice.objects.current().filter(kind="grant", member=member)
    return Person.objects.filter(
        structure_id=member.structure_id,
        merged_into__isnull=True,
        pk__in=granted.values("person_id"),
    )


# Above this many persons concerned by a member's choices, lists filter with a subquery
# rather than with the persons' ids.
INLINE_CHOICES = 500


def persons_with_section(member: Member | None, section: str) -> QuerySet[Person]:
    """Persons whose ``section`` the member reads without opening the record in an
    emergency: the same rule as ``record_access`` (care team and role defaults, minus the
    person's refusals, plus what the person granted the member by name)."""
    from maillage.people.models import Person

    return Person.objects.filter(section_readable(member, section))


def section_readable(member: Member | None, section: str, via: str = "") -> Q:
    """The rule of ``persons_with_section`` as a condition, on persons (``via=""``) or on
    rows that point to a person (``via="person"``), to filter lists and dashboards with.

    On rows (which the caller takes from the member's structure), the condition never
    lists the structure's persons: only the few merged records and the person's choices,
    so that a dashboard's queries stay fast at any size. The person's
    choices that concern the member are few: they are read first (one small query) and
    written into the condition as ids.
    """
    from django.db.models import Q

    from maillage.people.models import Person
    from maillage.record.models import CareTeamMember, SharingChoice

    def on(lookup: str) -> str:
        if lookup == "in":
            return f"{via}__in" if via else "pk__in"
        return f"{via}__{lookup}" if via else lookup

    nobody = Q(**{on("in"): []})
    if member is None or not _active(member) or member.role == Role.NETWORK_OBSERVER:
        return nobody
    concerning = (
        SharingChoice.objects.current()
        .filter(section=section)
        .filter(Q(kind="refuse", role=member.role) | Q(member=member))
    )
    rows = list(concerning.values_list("kind", "person_id", "member_id")[: INLINE_CHOICES + 1])
    if len(rows) > INLINE_CHOICES:
        refused_any: Any = concerning.filter(kind="refuse").values("person_id")
        refused_own: Any = concerning.filter(kind="refuse", member=member).values("person_id")
        granted: Any = concerning.filter(kind="grant").values("person_id")
    else:
        refused_any = {pk for kind, pk, _m in rows if kind == "refuse"}
        refused_own = {pk for kind, pk, m in rows if kind == "refuse" and m == member.pk}
        granted = {pk for kind, pk, _m in rows if kind == "grant"}
    if via:
        # Rows of the member's structure (the caller filters them): only the few merged
        # records are excluded, so that no query joins or lists the structure's persons.
        merged_rows = Person.objects.filter(
            structure_id=member.structure_id, merged_into__isnull=False
        ).values("pk")
        merged: Any = list(merged_rows.values_list("pk", flat=True)[: INLINE_CHOICES + 1])
        if len(merged) > INLINE_CHOICES:
            merged = merged_rows
        followed = ~Q(**{on("in"): merged}) if merged else Q(**{f"{via}__isnull": False})
    else:
        followed = Q(structure_id=member.structure_id, merged_into__isnull=True)
    if member.role in TEAM_ROLES and section_right(member.role, section):
        by_default = followed
        if not member.structure.is_care_team:
            team = CareTeamMember.objects.current().filter(member=member).values("person_id")
            by_default &= Q(**{on("in"): team})
        if refused_any:
            by_default &= ~Q(**{on("in"): refused_any})
        readable = by_default | (followed & Q(**{on("in"): granted})) if granted else by_default
    elif granted:
        readable = followed & Q(**{on("in"): granted})
    else:
        return nobody
    return readable & ~Q(**{on("in"): refused_own}) if refused_own else readable


def get_person_for_member(member: Member | None, pk: Any, verb: str = "view_identity") -> Person:
    """The person, if the member may ``verb`` them; 404 otherwise, whether missing or not."""
    from maillage.people.models import Person

    try:
        person = Person.objects.select_related("structure").get(pk=int(pk))
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_on_person(member, verb, person):
        if member is not None:
            from maillage.core.audit import log_event
            from maillage.core.models import AccessEvent

            # Denials are logged too (ACCESS.md): the person sees who tried.
            log_event(
                action=AccessEvent.Action.DENY,
                member=member,
                person=person,
                obj=person,
                reason=verb,
            )
        raise Http404
    return person


# --- The shared record: sections, care team, the person's choices, break-glass ----------

# How long an emergency access stays open once its reason is written.
BREAK_GLASS_DURATION = timedelta(hours=4)
ALL_SECTIONS = tuple(Section.values)


def section_rights(
    role: str,
    *,
    in_care_team: bool,
    break_glass: bool = False,
    refused_to_role: Collection[str] = (),
    refused_to_member: Collection[str] = (),
    granted: Collection[str] = (),
) -> dict[str, str]:
    """The right ("", "r" or "rw") of a member on each section of one person's record.

    1. Role defaults apply to members of the person's care team, and to a member who
       opened the record in an emergency (break-glass).
    2. The person's refusals remove a section, to a whole role or to a named member,
       unless the member opened the record in an emergency.
    3. A section the person granted to a named member is readable by them, even outside
       the care team, unless the person also refused it to that same member.
    """
    rights: dict[str, str] = {}
    for section in ALL_SECTIONS:
        right = section_right(role, section) if (in_care_team or break_glass) else NONE
        if section in refused_to_role and not break_glass:
            right = NONE
        if section in granted and right == NONE:
            right = R
        if section in refused_to_member and not break_glass:
            right = NONE
        rights[section] = right
    return rights


@dataclass(frozen=True)
class RecordAccess:
    """What one member may do in one person's record, decided once per request."""

    member: Member
    person: Person
    in_care_team: bool
    is_referent: bool
    break_glass: bool
    rights: dict[str, str] = field(default_factory=dict)
    # Sections the person refused to this member, by role or by name.
    refused: frozenset[str] = frozenset()

    @property
    def readable(self) -> frozenset[str]:
        return frozenset(s for s, right in self.rights.items() if right)

    @property
    def writable(self) -> frozenset[str]:
        return frozenset(s for s, right in self.rights.items() if right == RW)

    @property
    def reads_as_participant(self) -> bool:
        """Interpreters read the encounters they took part in, and nothing else."""
        return self.member.role == Role.INTERPRETER

    def can_read(self, section: str) -> bool:
        return bool(self.rights.get(section))

    def can_write(self, section: str) -> bool:
        return self.rights.get(section) == RW

    @property
    def may_break_glass(self) -> bool:
        """Outside the care team, or refused a part, a team member may open the record in
        an emergency (interpreters, partners and observers may not)."""
        return (
            not self.break_glass
            and self.member.role in BREAK_GLASS_ROLES
            and (not self.in_care_team or bool(self.refused & _default_sections(self.member)))
        )


# Roles that may open a record in an emergency: those whose work is care or support.
BREAK_GLASS_ROLES = frozenset(
    role for role, rights in ROLE_DEFAULTS.items() if any(r == RW for r in rights.values())
) - {Role.RECEPTION}


def _default_sections(member: Member) -> frozenset[str]:
    return frozenset(s for s in ALL_SECTIONS if section_right(member.role, s))


def _record_member(member: Member | None, person: Person) -> bool:
    """Members who may have any access at all to the person's record."""
    return (
        member is not None
        and _active(member)
        and person.structure_id == member.structure_id
        and person.merged_into_id is None
        and member.role != Role.NETWORK_OBSERVER
    )


def in_care_team(member: Member, person: Person) -> bool:
    if member.role in TEAM_ROLES and person.structure.is_care_team:
        return True
    return person.care_team.current().filter(member=member).exists()


def is_referent(member: Member, person: Person) -> bool:
    return person.care_team.current().filter(member=member, is_referent=True).exists()


def record_access(member: Member | None, person: Person) -> RecordAccess | None:
    """The member's access to the person's record, or None when they have none at all.

    Three small queries: the member's care-team row, the person's current choices that
    concern the member, and an open emergency access.
    """
    if member is None or not _record_member(member, person):
        return None
    from maillage.record.models import BreakGlass

    row = person.care_team.current().filter(member=member).only("is_referent").first()
    team_role = member.role in TEAM_ROLES
    whole_structure = team_role and person.structure.is_care_team
    in_team = whole_structure or row is not None
    refused_role: set[str] = set()
    refused_member: set[str] = set()
    granted: set[str] = set()
    for kind, section, role, member_id in person.sharing_choices.current().values_list(
        "kind", "section", "role", "member_id"
    ):
        if kind == "refuse" and role == member.role:
            refused_role.add(section)
        elif kind == "refuse" and member_id == member.pk:
            refused_member.add(section)
        elif kind == "grant" and member_id == member.pk:
            granted.add(section)
    glass = BreakGlass.objects.filter(
        person=person, member=member, expires_at__gt=timezone.now()
    ).exists()
    rights = section_rights(
        member.role,
        in_care_team=in_team and (team_role or member.role == Role.PARTNER),
        break_glass=glass,
        refused_to_role=refused_role,
        refused_to_member=refused_member,
        granted=granted,
    )
    return RecordAccess(
        member=member,
        person=person,
        in_care_team=in_team,
        is_referent=bool(row and row.is_referent),
        break_glass=glass,
        rights=rights,
        refused=frozenset(refused_role | refused_member),
    )


def has_record_access(access: RecordAccess | None) -> bool:
    """Whether the member reads anything of the record beyond identity and contact."""
    return access is not None and (bool(access.readable) or access.reads_as_participant)


def can_manage_care_team(member: Member | None, person: Person) -> bool:
    """The referent and the structure's coordinators add and remove care-team members; while
    a person has no referent, any member of their care team may name one."""
    if member is None or not _record_member(member, person) or member.role not in TEAM_ROLES:
        return False
    if member.role in {Role.COORDINATOR, Role.ADMIN}:
        return True
    team = person.care_team.current()
    if team.filter(member=member, is_referent=True).exists():
        return True
    if team.filter(is_referent=True).exists():
        return False
    return in_care_team(member, person) and any(
        section_right(member.role, s) == RW for s in ALL_SECTIONS
    )


def can_record_choice(member: Member | None, person: Person) -> bool:
    """Members of the care team may write down a choice the person tells them."""
    return (
        member is not None
        and _record_member(member, person)
        and member.role in TEAM_ROLES
        and member.role not in {Role.INTERPRETER, Role.ADMIN}
        and in_care_team(member, person)
    )


def get_record_for_member(member: Member | None, pk: Any) -> tuple[Person, RecordAccess]:
    """The person and the member's access to their record; 404 when they have none, logged
    as a denial when the person exists."""
    if member is not None and member.role == Role.PARTNER:
        person = _partner_person(member, pk)
    else:
        person = get_person_for_member(member, pk)
    access = record_access(member, person)
    if access is None:
        raise Http404
    return person, access


def _partner_person(member: Member | None, pk: Any) -> Person:
    """A partner reaches a person only through a section the person granted them."""
    try:
        person_pk = int(pk)
    except (ValueError, TypeError):
        raise Http404 from None
    person = persons_readable_by(member).select_related("structure").filter(pk=person_pk).first()
    if person is None:
        raise Http404
    return person
