"""The structure and its team: Organization (the structure, FINESS and SIRET as in FR
Core), Practitioner (a member) and PractitionerRole (the member's role and profession in
the structure). Organization and Practitioner also serve the directory of the territory:
its organisations (``Organization/org-{id}``) and professionals (``Practitioner/pro-{id}``),
rendered in ``directory.py``. Not part of anyone's record: not written in the access log."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.access import TEAM_ROLES
from maillage.core.models import Member, Structure
from maillage.core.roles import PROFESSIONS, Role
from maillage.fhir import systems
from maillage.fhir.caller import Caller
from maillage.fhir.registry import Composite, Context, Include, ResourceType, reference
from maillage.fhir.resources import directory
from maillage.fhir.search import (
    Param,
    Token,
    any_of,
    id_values,
    reference_param,
    string_param,
    words_param,
)
from maillage.territory.models import Organisation, Professional

PROFESSION_LABELS = dict(PROFESSIONS)


def _team_structure(caller: Caller) -> int | None:
    if caller.member is not None:
        member = caller.member
        if member.is_active and member.role in TEAM_ROLES:
            return member.structure_id
        return None
    if caller.person is not None:
        return caller.person.structure_id
    return None


def _identifier_param(name: str, fields: dict[str, str]) -> Param:
    """A token on identifier fields: ``fields`` maps a system to the model field."""

    def build(values: list[Token], modifier: str) -> Q:
        conditions = []
        for token in values:
            if token.code is None:
                continue
            for system, field in fields.items():
                if token.system in (None, system):
                    conditions.append(Q(**{field: token.code}))
        return any_of(conditions)

    return Param(name, "token", build, _("Identifier (system|value)."))


class StructureOrganization(ResourceType):
    name = "Organization"
    registered = False
    model = Structure
    person_path = ""

    def readable(self, caller: Caller) -> QuerySet[Any]:
        if caller.member is not None:
            structure_id = caller.member.structure_id if caller.member.is_active else None
        else:
            structure_id = caller.person.structure_id if caller.person is not None else None
        return (
            Structure.objects.filter(pk=structure_id) if structure_id else Structure.objects.none()
        )

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        identifiers = []
        if row.finess:
            identifiers.append(
                {
                    "type": {"coding": [{"system": systems.FR_IDENTIFIER_TYPE, "code": "FINEG"}]},
                    "system": systems.FINESS,
                    "value": row.finess,
                }
            )
        if row.siret:
            identifiers.append(
                {
                    "type": {"coding": [{"system": systems.FR_IDENTIFIER_TYPE, "code": "SIRET"}]},
                    "system": systems.SIRET,
                    "value": row.siret,
                }
            )
        address = []
        if row.address or row.commune_code:
            entry: dict[str, Any] = {"text": row.address, "country": "FRA"}
            if row.commune_code:
                entry["extension"] = [
                    {
                        "url": systems.INSEE_CODE,
                        "valueCoding": {"system": systems.INSEE_COG, "code": row.commune_code},
                    }
                ]
            address.append(entry)
        return {
            "resourceType": "Organization",
            "id": str(row.pk),
            "identifier": identifiers,
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": systems.local("structure-kind"),
                            "code": row.kind,
                            "display": row.get_kind_display(),
                        }
                    ]
                }
            ],
            "name": row.name,
            "telecom": [{"system": "phone", "value": row.phone}] if row.phone else [],
            "address": address,
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "name": string_param("name", "name", documentation=_("Name of the structure.")),
            "identifier": _identifier_param(
                "identifier", {systems.FINESS: "finess", systems.SIRET: "siret"}
            ),
        }


def _member_name(member: Member) -> dict[str, Any]:
    user = member.user
    name: dict[str, Any] = {
        "use": "usual",
        "family": user.last_name,
        "given": [user.first_name] if user.first_name else [],
    }
    if not user.last_name:
        name = {"use": "usual", "text": member.display_name}
    return name


def members_readable(caller: Caller) -> QuerySet[Member]:
    structure_id = _team_structure(caller)
    if structure_id is None:
        return Member.objects.none()
    return Member.objects.filter(structure_id=structure_id)


class MemberType(ResourceType):
    """A member of the caller's team, seen as a Practitioner or a PractitionerRole."""

    model = Member
    person_path = ""

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return members_readable(caller)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("user")


ACTIVE = Param(
    "active",
    "token",
    lambda values, _m: any_of(
        [Q(is_active=t.code == "true") for t in values if t.code in {"true", "false"}]
    ),
    gettext_lazy("true or false."),
)


class MemberPractitioner(MemberType):
    name = "Practitioner"
    registered = False

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        identifiers = []
        if row.rpps:
            identifiers.append(
                {
                    "type": {"coding": [{"system": systems.FR_IDENTIFIER_TYPE, "code": "RPPS"}]},
                    "system": systems.RPPS,
                    "value": row.rpps,
                }
            )
        return {
            "resourceType": "Practitioner",
            "id": str(row.pk),
            "identifier": identifiers,
            "active": row.is_active,
            "name": [_member_name(row)],
            "qualification": [
                {
                    "code": {
                        "coding": [
                            {
                                "system": systems.local("profession"),
                                "code": row.profession,
                                "display": str(
                                    PROFESSION_LABELS.get(row.profession, row.profession)
                                ),
                            }
                        ]
                    }
                }
            ],
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "name": string_param(
                "name",
                "user__last_name",
                "user__first_name",
                documentation=_("Name of the member."),
            ),
            "family": string_param("family", "user__last_name", documentation=_("Family name.")),
            "given": string_param("given", "user__first_name", documentation=_("Given name.")),
            "identifier": _identifier_param("identifier", {systems.RPPS: "rpps"}),
            "active": ACTIVE,
        }


class DirectoryPart(ResourceType):
    """Entries of the structure's directory, whose FHIR ids carry a ``prefix``."""

    registered = False
    person_path = ""
    last_updated = "updated_at"
    prefix: str

    def pk_of(self, fhir_id: str) -> Q:
        return Q(pk__in=id_values([fhir_id], self.prefix))

    def fhir_id(self, row: Any) -> str:
        return f"{self.prefix}{row.pk}"


class DirectoryOrganization(DirectoryPart):
    name = "Organization"
    model = Organisation
    prefix = directory.ORGANISATION_PREFIX

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return directory.directory_organisations(caller)

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return directory.render_directory_organisation(row, ctx)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "name": words_param("name", "nom", _("Name of the structure.")),
            "identifier": _identifier_param("identifier", {systems.SIRET: "siret"}),
        }


class DirectoryPractitioner(DirectoryPart):
    name = "Practitioner"
    model = Professional
    prefix = directory.PROFESSIONAL_PREFIX

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return directory.directory_professionals(caller)

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return directory.render_directory_professional(row, ctx)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "name": words_param("name", "name", _("Name of the member.")),
            "identifier": _identifier_param("identifier", {systems.RPPS: "rpps"}),
            "active": ACTIVE,
        }


class OrganizationType(Composite):
    name = "Organization"
    documentation = gettext_lazy(
        "The structure itself, with its FINESS and SIRET numbers; then the organisations "
        "of its directory (ids org-…), read by the team."
    )
    part_types = (StructureOrganization, DirectoryOrganization)


class PractitionerType(Composite):
    name = "Practitioner"
    documentation = gettext_lazy(
        "The members of the team (their RPPS number when they have one); then the "
        "professionals of the territory in the directory (ids pro-…), read by the team."
    )
    part_types = (MemberPractitioner, DirectoryPractitioner)


class PractitionerRoleType(MemberType):
    name = "PractitionerRole"
    documentation = gettext_lazy("A member's role and profession in the structure.")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return {
            "resourceType": "PractitionerRole",
            "id": str(row.pk),
            "active": row.is_active,
            "period": {
                "start": row.joined_at.date().isoformat(),
                "end": row.deactivated_at.date().isoformat() if row.deactivated_at else None,
            },
            "practitioner": reference("Practitioner", row.pk, row.display_name),
            "organization": reference("Organization", row.structure_id),
            "code": [
                {
                    "coding": [
                        {
                            "system": systems.local("role"),
                            "code": row.role,
                            "display": str(Role(row.role).label),
                        },
                        {
                            "system": systems.local("profession"),
                            "code": row.profession,
                            "display": str(PROFESSION_LABELS.get(row.profession, row.profession)),
                        },
                    ]
                }
            ],
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "practitioner": reference_param(
                "practitioner", "pk", ("Practitioner",), _("The member.")
            ),
            "organization": reference_param(
                "organization", "structure_id", ("Organization",), _("The structure.")
            ),
            "role": Param(
                "role",
                "token",
                lambda values, _m: any_of(
                    [Q(role=t.code) | Q(profession=t.code) for t in values if t.code]
                ),
                _("A role or a profession code."),
            ),
            "active": ACTIVE,
        }

    def includes(self) -> dict[str, Include]:
        return {
            "PractitionerRole:practitioner": Include(
                "Practitioner", lambda rows: {str(r.pk) for r in rows}
            ),
            "PractitionerRole:organization": Include(
                "Organization", lambda rows: {str(r.structure_id) for r in rows}
            ),
        }
