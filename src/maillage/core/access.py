"""The single access policy of Maillage (see ACCESS.md and docs/access-matrix.md).

Deny by default. Views, API endpoints and exports ask this module and nothing else:
``can(principal, verb, obj)`` answers yes or no, and the ``get_*_for_*`` helpers return an
object or raise ``Http404`` — missing and forbidden look the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404

from maillage.core.roles import Role, Section

if TYPE_CHECKING:
    from django.db.models import QuerySet

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

# Roles that welcome people at the desk and may mark their arrival.
DESK_ROLES = frozenset({Role.RECEPTION, Role.MEDIATOR, Role.SOCIAL_WORKER, Role.COORDINATOR})


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
        return role == Role.ADMIN
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


def get_person_for_member(member: Member | None, pk: Any, verb: str = "view_identity") -> Person:
    """The person, if the member may ``verb`` them; 404 otherwise, whether missing or not."""
    from maillage.people.models import Person

    try:
        person = Person.objects.select_related("structure", "merged_into").get(pk=int(pk))
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
