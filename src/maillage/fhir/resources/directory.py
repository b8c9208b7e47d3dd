"""The directory of the territory (data·inclusion): HealthcareService for its services,
and — rendered here, served through the Organization and Practitioner types of
``team.py`` — its organisations (``Organization/org-{id}``) and the professionals of the
territory (``Practitioner/pro-{id}``).

The directory is the team's working knowledge (``core.access`` verb ``view_directory``):
every member of the structure's team reads the entries it lists, as on the directory's
pages; persons, partners and observers do not. Not part of anyone's record: not written
in the access log. What the team writes down about a place beyond data·inclusion is
given where FHIR has room for it (languages, access flags such as "accepts AME"); the
team's notes and the contact person they know are not ("seen by the team only, never
exported").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.access import can
from maillage.core.models import Member
from maillage.fhir import systems
from maillage.fhir.caller import Caller
from maillage.fhir.registry import Context, ResourceType, clean, coding, instant, reference
from maillage.fhir.search import Param, Token, any_of, id_values, string_param
from maillage.people.choices import LANGUAGE_LABELS
from maillage.territory import datainclusion as di
from maillage.territory.forms import ACCEPTS
from maillage.territory.models import (
    DirectoryEntry,
    Organisation,
    Profession,
    Professional,
    Service,
)
from maillage.territory.queries import organisations_of, services_of

ORGANISATION_PREFIX = "org-"
PROFESSIONAL_PREFIX = "pro-"
# data·inclusion's own identifier of an entry: ``{source}--{id}`` (its surrogate id).
DATAINCLUSION_ID = "urn:maillage:identifier:datainclusion"
THEME_SYSTEM = systems.local("datainclusion-thematique")
SERVICE_TYPE_SYSTEM = systems.local("datainclusion-type")
PUBLIC_SYSTEM = systems.local("datainclusion-public")
NETWORK_SYSTEM = systems.local("datainclusion-reseau-porteur")
ACCESS_SYSTEM = systems.local("directory-access")
PROFESSION_SYSTEM = systems.local("directory-profession")
ACCESS_LABELS = dict(ACCEPTS)


def organisation_id(pk: int) -> str:
    return f"{ORGANISATION_PREFIX}{pk}"


def professional_id(pk: int) -> str:
    return f"{PROFESSIONAL_PREFIX}{pk}"


# --- Who reads the directory ------------------------------------------------------------


def directory_member(caller: Caller) -> Member | None:
    """The member whose structure's directory the caller reads, if any."""
    member = caller.member
    if member is not None and can(member, "view_directory", member.structure):
        return member
    return None


def services_readable(caller: Caller) -> QuerySet[Service]:
    """The services the directory lists for the caller's structure."""
    member = directory_member(caller)
    if member is None:
        return Service.objects.none()
    return services_of(member.structure)


def directory_organisations(caller: Caller) -> QuerySet[Organisation]:
    """The organisations the directory lists for the caller's structure."""
    member = directory_member(caller)
    if member is None:
        return Organisation.objects.none()
    return organisations_of(member.structure)


def directory_professionals(caller: Caller) -> QuerySet[Professional]:
    """The professionals of the territory the directory lists for the caller's structure."""
    member = directory_member(caller)
    if member is None:
        return Professional.objects.none()
    return Professional.objects.filter(owner_id=member.structure_id, is_active=True)


# --- Rendering pieces -------------------------------------------------------------------


def _listed_concept(system: str, name: str, value: str) -> dict[str, Any]:
    label = di.label(name, value)
    return {"coding": [coding(system, value, label)], "text": label}


def _telecom(entry: Any, url: str = "") -> list[dict[str, Any]]:
    points = []
    if entry.telephone:
        points.append({"system": "phone", "value": entry.telephone})
    if entry.courriel:
        points.append({"system": "email", "value": entry.courriel})
    if url:
        points.append({"system": "url", "value": url})
    return points


def _address(lines: list[str], postcode: str, city: str, insee: str = "") -> dict[str, Any] | None:
    lines = [line for line in lines if line]
    if not (lines or postcode or city):
        return None
    address: dict[str, Any] = {
        "use": "work",
        "line": lines,
        "postalCode": postcode,
        "city": city,
        "country": "FRA",
    }
    if insee:
        address["extension"] = [
            {"url": systems.INSEE_CODE, "valueCoding": coding(systems.INSEE_COG, insee)}
        ]
    return address


def _languages(codes: list[str] | None) -> list[dict[str, Any]]:
    return [
        {"coding": [coding(systems.LANGUAGE, code, str(LANGUAGE_LABELS.get(code, code)))]}
        for code in codes or []
    ]


def _source_identifier(entry: DirectoryEntry) -> dict[str, Any]:
    return {
        "use": "secondary",
        "system": DATAINCLUSION_ID,
        "value": f"{entry.source}--{entry.di_id}",
    }


def _characteristics(entry: Any) -> list[dict[str, Any]]:
    """The access flags the team knows to be true (``accepts AME``…)."""
    return [
        {"coding": [coding(ACCESS_SYSTEM, flag, str(label))], "text": str(label)}
        for flag, label in ACCESS_LABELS.items()
        if getattr(entry, flag, None) is True
    ]


# --- Organization (org-…) and Practitioner (pro-…) ------------------------------------


def render_directory_organisation(org: Organisation, ctx: Context) -> dict[str, Any]:
    """An organisation of the directory as an Organization with id ``org-{pk}`` (empty
    elements already left out)."""
    identifiers = [_source_identifier(org)]
    if org.siret:
        identifiers.append(
            {
                "type": {"coding": [coding(systems.FR_IDENTIFIER_TYPE, "SIRET")]},
                "system": systems.SIRET,
                "value": org.siret,
            }
        )
    address = _address(
        [org.adresse, org.complement_adresse], org.code_postal, org.commune, org.code_insee
    )
    return clean(
        {
            "resourceType": "Organization",
            "id": organisation_id(org.pk),
            "meta": {"lastUpdated": instant(org.updated_at)},
            "identifier": identifiers,
            "active": org.is_active,
            "type": [
                _listed_concept(NETWORK_SYSTEM, "reseaux_porteurs", value)
                for value in org.reseaux_porteurs or []
            ],
            "name": org.nom,
            "telecom": _telecom(org, org.site_web),
            "address": [address] if address else [],
        }
    )


def render_directory_professional(pro: Professional, ctx: Context) -> dict[str, Any]:
    """A professional of the territory as a Practitioner with id ``pro-{pk}`` (empty
    elements already left out)."""
    identifiers = []
    if pro.rpps:
        identifiers.append(
            {
                "type": {"coding": [coding(systems.FR_IDENTIFIER_TYPE, "RPPS")]},
                "system": systems.RPPS,
                "value": pro.rpps,
            }
        )
    profession = (
        str(Profession(pro.profession).label) if pro.profession in Profession else pro.profession
    )
    qualifications = [
        {
            "code": {
                "coding": [coding(PROFESSION_SYSTEM, pro.profession, profession)],
                "text": profession,
            }
        }
    ]
    if pro.speciality:
        qualifications.append({"code": {"text": pro.speciality}})
    address = _address([pro.adresse], pro.code_postal, pro.commune)
    return clean(
        {
            "resourceType": "Practitioner",
            "id": professional_id(pro.pk),
            "meta": {"lastUpdated": instant(pro.updated_at)},
            "identifier": identifiers,
            "active": pro.is_active,
            "name": [{"use": "usual", "text": pro.name}],
            "telecom": _telecom(pro),
            "address": [address] if address else [],
            "qualification": qualifications,
            "communication": _languages(pro.languages),
        }
    )


# --- HealthcareService ----------------------------------------------------------------


def _eligibility(service: Service) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"code": _listed_concept(PUBLIC_SYSTEM, "publics", value)}
        for value in service.publics or []
    ]
    conditions = "\n\n".join(
        text for text in (service.publics_precisions, service.conditions_acces) if text
    )
    if conditions:
        rules.append({"code": {"text": _("Conditions of access")}, "comment": conditions})
    return rules


def _extra_details(service: Service) -> str:
    lines = []
    address = ", ".join(
        part
        for part in (
            service.adresse,
            service.complement_adresse,
            " ".join(p for p in (service.code_postal, service.commune) if p),
        )
        if part
    )
    if address:
        lines.append(_("Address: %(address)s") % {"address": address})
    if service.frais or service.frais_precisions:
        fees = " — ".join(
            part
            for part in (
                di.label("frais", service.frais) if service.frais else "",
                service.frais_precisions,
            )
            if part
        )
        lines.append(_("Fees: %(fees)s") % {"fees": fees})
    if service.modes_accueil:
        modes = ", ".join(di.label("modes_accueil", m) for m in service.modes_accueil)
        lines.append(_("Received: %(modes)s") % {"modes": modes})
    if service.mobilisation_precisions:
        lines.append(_("How to apply: %(text)s") % {"text": service.mobilisation_precisions})
    return "\n\n".join(lines)


def render_service(service: Service, ctx: Context) -> dict[str, Any]:
    hours = service.horaires_accueil or service.place_hours
    return {
        "resourceType": "HealthcareService",
        "id": str(service.pk),
        "meta": {"lastUpdated": instant(service.updated_at)},
        "identifier": [_source_identifier(service)],
        "active": service.is_active,
        "providedBy": reference(
            "Organization", organisation_id(service.organisation_id), service.organisation.nom
        ),
        "category": [
            _listed_concept(THEME_SYSTEM, "thematiques", value)
            for value in service.thematiques or []
        ],
        "type": [_listed_concept(SERVICE_TYPE_SYSTEM, "type", service.type)]
        if service.type
        else [],
        "name": service.nom,
        "comment": service.description,
        "extraDetails": _extra_details(service),
        "telecom": _telecom(service, service.lien_mobilisation or service.lien_source),
        "eligibility": _eligibility(service),
        "characteristic": _characteristics(service),
        "communication": _languages(service.languages),
        "availabilityExceptions": (
            _("Opening hours (OpenStreetMap format): %(hours)s") % {"hours": hours} if hours else ""
        ),
    }


def _boolean(values: list[Token], modifier: str) -> Q:
    return any_of([Q(is_active=t.code == "true") for t in values if t.code in {"true", "false"}])


def _category(values: list[Token], modifier: str) -> Q:
    """A theme (``sante--acces-aux-soins``) or a whole category (``sante``)."""
    conditions = []
    for token in values:
        if token.system not in (None, THEME_SYSTEM) or not token.code:
            continue
        prefix = "t" if "--" in token.code else "c"
        conditions.append(Q(tags__contains=f"|{prefix}:{token.code}|"))
    return any_of(conditions)


def _service_type(values: list[Token], modifier: str) -> Q:
    return Q(
        type__in=[t.code for t in values if t.system in (None, SERVICE_TYPE_SYSTEM) and t.code]
    )


def _characteristic(values: list[Token], modifier: str) -> Q:
    conditions = [
        Q(tags__contains=f"|x:{t.code}|")
        for t in values
        if t.system in (None, ACCESS_SYSTEM) and t.code in ACCESS_LABELS
    ]
    return any_of(conditions)


class HealthcareServiceType(ResourceType):
    name = "HealthcareService"
    model = Service
    documentation = gettext_lazy(
        "The services of the territory's directory (data·inclusion): themes, publics, "
        "conditions, opening hours, languages and what the team knows of their access "
        "(AME, CSS, interpreting…). Read by the structure's team."
    )
    last_updated = "updated_at"
    person_path = ""

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return services_readable(caller)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("organisation")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_service(row, ctx)

    def order(self) -> tuple[str, ...]:
        return ("nom", "pk")

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "name": string_param("name", "nom", documentation=_("Name of the service.")),
            "organization": Param(
                "organization",
                "reference",
                lambda values, _m: Q(organisation_id__in=id_values(values, ORGANISATION_PREFIX)),
                _("The organisation of the directory that offers it (Organization/org-…)."),
                targets=("Organization",),
            ),
            "service-category": Param(
                "service-category",
                "token",
                _category,
                _("A data·inclusion theme, or a whole category (sante)."),
            ),
            "service-type": Param(
                "service-type", "token", _service_type, _("The data·inclusion type of service.")
            ),
            "characteristic": Param(
                "characteristic",
                "token",
                _characteristic,
                _("What the team knows of its access: accepts_ame, accepts_css, interpreting…"),
            ),
            "active": Param("active", "token", _boolean, _("true or false.")),
        }
