"""Who is around the person and who may see what: RelatedPerson (the entourage), Consent
(the person's sharing choices) and AuditEvent (the access log, read-only).

- **RelatedPerson** — ``people.Relation``: readable like the person's identity (the
  ``Patient`` type's persons), written in the access log as an administrative read;
  created through the entourage form's rules (``RelationForm``) when the member may edit
  the entourage.
- **Consent** — ``record.SharingChoice``: one choice = one Consent with one provision
  (``deny``: refused to a role or a named member; ``permit``: granted to a named member),
  the part of the record as ``provision.securityLabel`` (code system
  ``urn:maillage:codesystem:record-section``). Readable as on the web page of the choices:
  by the team members of the person's structure, by an external partner for the choices
  that name them, and by the person themself; an administrative read in the access log.
  Created (and withdrawn, by an update to ``inactive``) by a member of the care team, with
  the rules of the web forms (``RefuseForm``, ``GrantForm``).
- **AuditEvent** — ``core.AccessEvent``: read by the structure's administrator and the
  person's referent (``view_access_log``), and by the person themself. Reading the access
  log is **not** written in the access log (``person_path = ""``), as on the web page:
  every read would otherwise add events to what is being read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.access import (
    can_on_person,
    can_record_choice,
    get_record_for_member,
    persons_for_member,
)
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Role, Section
from maillage.core.templatetags.core_tags import event_reason
from maillage.fhir import systems
from maillage.fhir.access import own_record
from maillage.fhir.caller import Caller
from maillage.fhir.errors import FhirError, fail, form_error
from maillage.fhir.registry import (
    REGISTRY,
    Context,
    Include,
    ResourceType,
    Written,
    coding,
    instant,
    label,
    member_reference,
    reference,
)
from maillage.fhir.search import (
    EVERY,
    Param,
    Token,
    any_of,
    date_param,
    parse_reference,
    reference_param,
)
from maillage.people import actions as people_actions
from maillage.people.choices import RelationKind
from maillage.people.forms import RelationForm
from maillage.people.models import Person, Relation
from maillage.record import actions as record_actions
from maillage.record.choices import SharingKind
from maillage.record.models import CareTeamMember, SharingChoice
from maillage.record.sharing_forms import GrantForm, RefuseForm, structure_members
from maillage.record.views.sharing import concerns

# --- Shared helpers (also used by documents.py and questionnaire.py) ---------------------

SECTION_SYSTEM = systems.local("record-section")
ROLE_SYSTEM = systems.local("role")


def section_coding(section: str) -> dict[str, Any]:
    return coding(SECTION_SYSTEM, section, label(Section, section))


def role_coding(role: str) -> dict[str, Any]:
    return coding(ROLE_SYSTEM, role, label(Role, role))


def referenced_id(value: Any, targets: tuple[str, ...], where: str) -> int | None:
    """The integer id a Reference (a dict with ``reference``) points to, or None when
    there is no reference; 422 when it points elsewhere."""
    if not isinstance(value, dict) or not value.get("reference"):
        return None
    raw = str(value["reference"])
    if "/" not in raw.rstrip("/"):
        raise fail(
            422,
            "value",
            _("“%(where)s” must point to %(types)s.")
            % {"where": where, "types": ", ".join(targets)},
            where,
        )
    pk = parse_reference(raw, where, targets)
    if not pk.isdigit() or len(pk) > 18:
        raise fail(422, "value", _("“%(value)s” is not a resource id.") % {"value": pk[:70]}, where)
    return int(pk)


def required_person(resource: dict[str, Any], element: str, kind: str) -> int:
    """The id of the Patient the resource is about (``subject``, ``patient``…)."""
    pk = referenced_id(resource.get(element), ("Patient",), f"{kind}.{element}")
    if pk is None:
        raise fail(
            422,
            "required",
            _("%(kind)s.%(element)s must point to the person (Patient/…).")
            % {"kind": kind, "element": element},
            f"{kind}.{element}",
        )
    return pk


def record_to_write(caller: Caller, resource: dict[str, Any], element: str, kind: str) -> Any:
    """The caller's access (``RecordAccess``) to the record of the Patient the resource's
    ``element`` points to; 403 when they may not open it."""
    person_id = required_person(resource, element, kind)
    try:
        _person, access = get_record_for_member(caller.member, person_id)
    except Http404:
        raise fail(403, "forbidden", _("You may not write in this person's record.")) from None
    return access


def person_includes(kind: str, author_field: str) -> dict[str, Include]:
    """``_include`` of the person (``patient`` and ``subject``) and of the member who
    wrote the row (``author``)."""
    persons = Include("Patient", lambda rows: {str(r.person_id) for r in rows})
    return {
        f"{kind}:patient": persons,
        f"{kind}:subject": persons,
        f"{kind}:author": Include(
            "PractitionerRole", lambda rows: {str(getattr(r, author_field)) for r in rows}
        ),
    }


def codes_of(concepts: Any, system: str) -> list[str]:
    """The codes of ``system`` in a CodeableConcept, a list of them or a list of Codings."""
    if isinstance(concepts, dict):
        concepts = [concepts]
    codes = []
    for item in concepts or []:
        if not isinstance(item, dict):
            continue
        codings = item.get("coding") if "coding" in item else [item]
        for one in codings or []:
            if isinstance(one, dict) and one.get("system") == system and one.get("code"):
                codes.append(str(one["code"]))
    return codes


def token_param(name: str, build: Any, documentation: str) -> Param:
    return Param(name, "token", build, documentation)


def _boolean_param(name: str, condition: Any, documentation: str) -> Param:
    def build(values: list[Token], modifier: str) -> Q:
        conditions = []
        for token in values:
            if token.code in {"true", "false"}:
                yes = condition()
                conditions.append(yes if token.code == "true" else ~yes)
        return any_of(conditions)

    return token_param(name, build, documentation)


def _patient_include(kind: str, param: str = "patient") -> dict[str, Include]:
    return {
        f"{kind}:{param}": Include("Patient", lambda rows: {str(r.person_id) for r in rows}),
    }


# --- RelatedPerson ---------------------------------------------------------------------

V3_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
RELATION_SYSTEM = systems.local("relation")
TEAM_MAY_CONTACT = "urn:maillage:extension:team-may-contact"

# Our kinds → v3 RoleCode (the related person is the patient's …), where one fits.
V3_RELATIONS: dict[str, tuple[str, str]] = {
    RelationKind.PARENT: ("PRN", "parent"),
    RelationKind.CHILD: ("CHILD", "child"),
    RelationKind.PARTNER: ("SIGOTHR", "significant other"),
    RelationKind.SIBLING: ("SIB", "sibling"),
    RelationKind.OTHER_FAMILY: ("FAMMEMB", "family member"),
    RelationKind.NEIGHBOUR: ("NBOR", "neighbor"),
    RelationKind.FRIEND: ("FRND", "unrelated friend"),
    RelationKind.GUARDIAN: ("GUARD", "guardian"),
    RelationKind.LEGAL_REPRESENTATIVE: ("GUARD", "guardian"),
}
# v3 RoleCode codes understood when a relation is written (the more precise ones too).
V3_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ("PRN", "MTH", "FTH", "NPRN", "NMTH", "NFTH", "STPPRN", "STPMTH", "STPFTH"),
        RelationKind.PARENT,
    ),
    **dict.fromkeys(
        ("CHILD", "SON", "DAU", "NCHILD", "SONC", "DAUC", "STPCHLD", "CHLDADOPT"),
        RelationKind.CHILD,
    ),
    **dict.fromkeys(("SIGOTHR", "SPS", "HUSB", "WIFE", "DOMPART"), RelationKind.PARTNER),
    **dict.fromkeys(("SIB", "BRO", "SIS", "NSIB", "HSIB", "STPSIB"), RelationKind.SIBLING),
    **dict.fromkeys(
        (
            "FAMMEMB",
            "EXT",
            "GRPRN",
            "GRMTH",
            "GRFTH",
            "GRNDCHILD",
            "AUNT",
            "UNCLE",
            "COUSN",
            "NIECE",
            "NEPHEW",
            "NIENEPH",
        ),
        RelationKind.OTHER_FAMILY,
    ),
    "NBOR": RelationKind.NEIGHBOUR,
    "FRND": RelationKind.FRIEND,
    "GUARD": RelationKind.GUARDIAN,
}
KIND_LABELS = dict(RelationKind.choices)


def _relation_concept(kind: str) -> dict[str, Any]:
    codings = []
    if kind in V3_RELATIONS:
        code, display = V3_RELATIONS[kind]
        codings.append({"system": V3_ROLE, "code": code, "display": display})
    codings.append(
        {"system": RELATION_SYSTEM, "code": kind, "display": str(KIND_LABELS.get(kind, kind))}
    )
    return {"coding": codings, "text": str(KIND_LABELS.get(kind, kind))}


def render_related_person(row: Relation) -> dict[str, Any]:
    relationship = [_relation_concept(row.kind)]
    if row.is_legal_representative and row.kind != RelationKind.LEGAL_REPRESENTATIVE:
        relationship.append(_relation_concept(RelationKind.LEGAL_REPRESENTATIVE))
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    if row.how_to_reach:
        telecom.append({"system": "other", "value": row.how_to_reach})
    return {
        "resourceType": "RelatedPerson",
        "id": str(row.pk),
        "meta": {"lastUpdated": instant(row.ended_at or row.created_at)},
        "extension": [{"url": TEAM_MAY_CONTACT, "valueBoolean": row.team_may_contact}],
        "active": row.ended_at is None,
        "patient": reference("Patient", row.person_id),
        "relationship": relationship,
        "name": [{"text": row.name}],
        "telecom": telecom,
        "period": {"start": instant(row.created_at), "end": instant(row.ended_at)},
    }


def _relationship_build(values: list[Token], modifier: str) -> Q:
    conditions = []
    for token in values:
        if token.code is None:
            if token.system in (V3_ROLE, RELATION_SYSTEM):
                conditions.append(EVERY)
            continue
        kinds: set[str] = set()
        if token.system in (None, RELATION_SYSTEM) and token.code in KIND_LABELS:
            kinds.add(token.code)
        if token.system in (None, V3_ROLE):
            kinds |= {kind for kind, (code, _d) in V3_RELATIONS.items() if code == token.code}
        for kind in kinds:
            conditions.append(Q(kind=kind))
            if kind == RelationKind.LEGAL_REPRESENTATIVE:
                conditions.append(Q(is_legal_representative=True))
    return any_of(conditions)


def _relation_name(values: list[str], modifier: str) -> Q:
    """The name is one text (given and family together): a value begins one of its words,
    unless ``:exact`` or ``:contains`` says otherwise."""
    if modifier == "exact":
        return any_of([Q(name__exact=v) for v in values])
    if modifier == "contains":
        return any_of([Q(name__icontains=v) for v in values])
    return any_of([Q(name__istartswith=v) | Q(name__icontains=f" {v}") for v in values])


def _relation_fields(resource: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A RelatedPerson → the entourage form's fields and the elements kept beside the row."""
    mapped = {
        "resourceType",
        "id",
        "meta",
        "patient",
        "relationship",
        "name",
        "telecom",
        "active",
        "period",
        "extension",
        "identifier",
    }
    kept: dict[str, Any] = {k: v for k, v in resource.items() if k not in mapped}
    fields: dict[str, Any] = {"kind": "", "is_legal_representative": False}
    unknown = []
    for concept in resource.get("relationship") or []:
        kind = next(iter(codes_of(concept, RELATION_SYSTEM)), None)
        if kind not in KIND_LABELS:
            kind = next((V3_KINDS[c] for c in codes_of(concept, V3_ROLE) if c in V3_KINDS), None)
        if kind is None:
            unknown.append(concept)
            continue
        if not fields["kind"]:
            fields["kind"] = kind
        if kind == RelationKind.LEGAL_REPRESENTATIVE:
            fields["is_legal_representative"] = True
    if unknown:
        kept["relationship"] = unknown
        fields["kind"] = fields["kind"] or RelationKind.OTHER
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    if names:
        first = names[0]
        fields["name"] = (
            first.get("text")
            or " ".join([*(first.get("given") or []), first.get("family") or ""]).strip()
        )
        if len(names) > 1:
            kept["name"] = names[1:]
    telecom_rest = []
    for point in resource.get("telecom") or []:
        system, value = point.get("system"), point.get("value")
        slot = {"phone": "phone", "email": "email", "other": "how_to_reach"}.get(system or "")
        if slot and value and slot not in fields:
            fields[slot] = value
        else:
            telecom_rest.append(point)
    if telecom_rest:
        kept["telecom"] = telecom_rest
    rest = []
    for ext in resource.get("extension") or []:
        if ext.get("url") == TEAM_MAY_CONTACT:
            fields["team_may_contact"] = bool(ext.get("valueBoolean"))
        else:
            rest.append(ext)
    if rest:
        kept["extension"] = rest
    if resource.get("active") is False:
        raise fail(
            422,
            "business-rule",
            _("A new member of the entourage is active (they are removed on the person's page)."),
            "RelatedPerson.active",
        )
    return fields, kept


RELATION_FIELDS = {
    "kind": "RelatedPerson.relationship",
    "name": "RelatedPerson.name",
    "phone": "RelatedPerson.telecom",
    "email": "RelatedPerson.telecom",
    "how_to_reach": "RelatedPerson.telecom",
}


class RelatedPersonType(ResourceType):
    name = "RelatedPerson"
    model = Relation
    documentation = gettext_lazy(
        "The person's entourage (family, neighbours, natural helpers, legal representatives): "
        "how to reach them and whether the person agrees that the team contacts them "
        "(extension urn:maillage:extension:team-may-contact). Ended relations are inactive."
    )
    writable = frozenset({"create"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        persons = REGISTRY["Patient"].readable(caller)
        return Relation.objects.filter(person__in=persons.values("pk"))

    def section_of(self, row: Any) -> str:
        return Section.ADMINISTRATIVE

    def changed_at(self, row: Any) -> Any:
        return row.ended_at or row.created_at

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_related_person(row)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "patient": reference_param(
                "patient", "person_id", ("Patient",), _("The person whose entourage it is.")
            ),
            "name": Param(
                "name",
                "string",
                _relation_name,
                _("A word of the related person's name begins with it."),
                modifiers=("exact", "contains"),
            ),
            "relationship": token_param(
                "relationship",
                _relationship_build,
                _("The relation: a v3 RoleCode (PRN, CHILD, SIGOTHR…) or a Maillage code."),
            ),
            "active": _boolean_param(
                "active", lambda: Q(ended_at__isnull=True), _("true: still in the entourage.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return _patient_include(self.name)

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member = caller.member
        person_id = required_person(resource, "patient", self.name)
        person = Person.objects.select_related("structure").filter(pk=person_id).first()
        if member is None or person is None or not can_on_person(member, "edit_entourage", person):
            raise fail(403, "forbidden", _("You may not change this person's entourage."))
        fields, kept = _relation_fields(resource)
        form = RelationForm(data=fields)
        if not form.is_valid():
            raise form_error(form, RELATION_FIELDS, "RelatedPerson")
        relation = people_actions.do_add_relation(member, person, form.cleaned_data)
        return Written(relation, kept, list(resource.get("identifier") or []))


# --- Consent ---------------------------------------------------------------------------

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PARTICIPATION = systems.PARTICIPATION_TYPE
# The default sharing rules of the shared record (ACCESS.md), which the choices adjust.
SHARING_POLICY = "urn:maillage:policy:shared-record"
SHARING_NOTE = "urn:maillage:extension:sharing-note"
PROVISION_TYPES: dict[str, str] = {SharingKind.REFUSE: "deny", SharingKind.GRANT: "permit"}
KINDS = {code: kind for kind, code in PROVISION_TYPES.items()}


def _actor_role(role: str) -> dict[str, Any]:
    return {
        "coding": [
            {"system": PARTICIPATION, "code": "IRCP", "display": "information recipient"},
            role_coding(role),
        ]
    }


def render_consent(row: SharingChoice) -> dict[str, Any]:
    if row.member is not None:
        actor = {
            "role": _actor_role(row.member.role),
            "reference": member_reference(row.member),
        }
    else:
        actor = {
            "role": _actor_role(row.role),
            "reference": {"display": label(Role, row.role)},
        }
    performer = [reference("Patient", row.person_id)]
    if row.recorded_by_member is not None:
        performer.append(member_reference(row.recorded_by_member))  # type: ignore[arg-type]
    return {
        "resourceType": "Consent",
        "id": str(row.pk),
        "meta": {"lastUpdated": instant(row.withdrawn_at or row.recorded_at)},
        "extension": [{"url": SHARING_NOTE, "valueString": row.note}] if row.note else [],
        "status": "inactive" if row.withdrawn_at else "active",
        "scope": {
            "coding": [
                {"system": CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}
            ]
        },
        "category": [
            {"coding": [{"system": systems.LOINC, "code": "59284-0", "display": "Patient Consent"}]}
        ],
        "patient": reference("Patient", row.person_id),
        "dateTime": instant(row.recorded_at),
        "performer": performer,
        "policy": [{"uri": SHARING_POLICY}],
        "provision": {
            "type": PROVISION_TYPES[row.kind],
            "period": {"start": instant(row.recorded_at), "end": instant(row.withdrawn_at)},
            "actor": [actor],
            "securityLabel": [section_coding(row.section)],
        },
    }


def _status_build(values: list[Token], modifier: str) -> Q:
    conditions = []
    for token in values:
        if token.code == "active":
            conditions.append(Q(withdrawn_at__isnull=True))
        elif token.code == "inactive":
            conditions.append(Q(withdrawn_at__isnull=False))
    return any_of(conditions)


def _unexpressible(message: str, where: str) -> FhirError:
    return fail(422, "not-supported", message, where)


def consent_choice(resource: dict[str, Any]) -> dict[str, Any]:
    """The choice a Consent expresses: kind, section, role or member id, note; 422 for what
    a sharing choice cannot say."""
    provision = resource.get("provision")
    if not isinstance(provision, dict):
        raise fail(
            422,
            "required",
            _("Consent.provision says what is refused or granted (type, actor, securityLabel)."),
            "Consent.provision",
        )
    if provision.get("provision"):
        raise _unexpressible(
            _("Send one choice per Consent (nested provisions are not supported)."),
            "Consent.provision.provision",
        )
    unsupported = set(provision) - {"type", "actor", "securityLabel", "class", "period", "id"}
    if unsupported:
        raise _unexpressible(
            _("A choice concerns a part of the record and a reader only; not: %(list)s.")
            % {"list": ", ".join(sorted(unsupported))},
            "Consent.provision",
        )
    kind = KINDS.get(provision.get("type", ""))
    if kind is None:
        raise fail(
            422,
            "required",
            _("Consent.provision.type is “deny” (refuse) or “permit” (grant)."),
            "Consent.provision.type",
        )
    sections = set(codes_of(provision.get("securityLabel"), SECTION_SYSTEM))
    sections |= set(codes_of(provision.get("class"), SECTION_SYSTEM))
    if len(sections) != 1:
        raise _unexpressible(
            _("Name exactly one part of the record (provision.securityLabel, system %(system)s).")
            % {"system": SECTION_SYSTEM},
            "Consent.provision.securityLabel",
        )
    actors = provision.get("actor") or []
    if len(actors) != 1:
        raise _unexpressible(
            _("Name exactly one reader: a member (PractitionerRole/…) or a role."),
            "Consent.provision.actor",
        )
    actor = actors[0]
    member_id = referenced_id(
        actor.get("reference"), ("PractitionerRole", "Practitioner"), "Consent.provision.actor"
    )
    role = ""
    if member_id is None:
        roles = codes_of(actor.get("role"), ROLE_SYSTEM)
        if len(roles) != 1:
            raise _unexpressible(
                _("Name exactly one reader: a member (PractitionerRole/…) or a role."),
                "Consent.provision.actor",
            )
        role = roles[0]
        if kind == SharingKind.GRANT:
            raise _unexpressible(
                _("A part of the record is granted to a named member, not to a whole role."),
                "Consent.provision.actor",
            )
    note = ""
    for ext in resource.get("extension") or []:
        if ext.get("url") == SHARING_NOTE:
            note = str(ext.get("valueString") or "")
    return {
        "kind": kind,
        "section": sections.pop(),
        "role": role,
        "member_id": member_id,
        "note": note,
    }


CONSENT_MAPPED = {
    "resourceType",
    "id",
    "meta",
    "status",
    "scope",
    "category",
    "patient",
    "dateTime",
    "performer",
    "policy",
    "policyRule",
    "provision",
    "extension",
    "identifier",
}
CHOICE_FIELDS = {
    "section": "Consent.provision.securityLabel",
    "target": "Consent.provision.actor",
    "member": "Consent.provision.actor",
    "note": "Consent.extension",
}


def _consent_kept(resource: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in resource.items() if k not in CONSENT_MAPPED}
    rest = [e for e in resource.get("extension") or [] if e.get("url") != SHARING_NOTE]
    if rest:
        kept["extension"] = rest
    return kept


def _consent_person(caller: Caller, resource: dict[str, Any]) -> tuple[Member, Person]:
    member = caller.member
    person_id = required_person(resource, "patient", "Consent")
    person = Person.objects.select_related("structure").filter(pk=person_id).first()
    if member is None or person is None or not can_record_choice(member, person):
        raise fail(403, "forbidden", _("You may not record this person's sharing choices."))
    return member, person


class ConsentType(ResourceType):
    name = "Consent"
    model = SharingChoice
    documentation = gettext_lazy(
        "The person's sharing choices: a part of the record (provision.securityLabel, "
        "urn:maillage:codesystem:record-section) refused (deny) to a role or a named member, "
        "or granted (permit) to a named member. Withdrawn choices are inactive and kept. "
        "Create a choice, or withdraw it by an update to status “inactive”."
    )
    writable = frozenset({"create", "update"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        if caller.person is not None:
            return SharingChoice.objects.filter(own_record(caller))
        member = caller.member
        if member is None:
            return SharingChoice.objects.none()
        if member.role == Role.PARTNER:
            # An external partner sees the choices that name them (as on the web page).
            persons = REGISTRY["Patient"].readable(caller)
            return SharingChoice.objects.filter(member=member, person__in=persons.values("pk"))
        return SharingChoice.objects.filter(person__in=persons_for_member(member).values("pk"))

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("member__user", "recorded_by_member__user")

    def section_of(self, row: Any) -> str:
        # Who may read what is an administrative fact of the record (as on the web pages).
        return Section.ADMINISTRATIVE

    def changed_at(self, row: Any) -> Any:
        return row.withdrawn_at or row.recorded_at

    def order(self) -> tuple[str, ...]:
        return ("-recorded_at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_consent(row)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "patient": reference_param(
                "patient", "person_id", ("Patient",), _("The person whose choice it is.")
            ),
            "status": token_param(
                "status", _status_build, _("active, or inactive (withdrawn choices).")
            ),
            "date": date_param("date", "recorded_at", documentation=_("When it was recorded.")),
        }

    def includes(self) -> dict[str, Include]:
        return _patient_include(self.name)

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member, person = _consent_person(caller, resource)
        if resource.get("status") != "active":
            raise fail(
                422,
                "business-rule",
                _("A new choice is “active” (withdraw it afterwards with an update)."),
                "Consent.status",
            )
        choice = consent_choice(resource)
        members = structure_members(person)
        form: RefuseForm | GrantForm
        if choice["kind"] == SharingKind.REFUSE:
            target = (
                f"member:{choice['member_id']}" if choice["member_id"] else f"role:{choice['role']}"
            )
            data = {"section": choice["section"], "target": target, "note": choice["note"]}
            form = RefuseForm(data=data, person=person, members=members, me=member)
        else:
            data = {
                "section": choice["section"],
                "member": str(choice["member_id"]),
                "note": choice["note"],
            }
            form = GrantForm(data=data, person=person, members=members, me=member)
        if not form.is_valid():
            raise form_error(form, CHOICE_FIELDS, "Consent")
        try:
            made = form.record(member.user, on_behalf_by=member)
        except ValueError:
            raise _unexpressible(
                _("This choice cannot be recorded: a role or a member of the structure."),
                "Consent.provision.actor",
            ) from None
        return Written(made, _consent_kept(resource), list(resource.get("identifier") or []))

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        """Only the withdrawal: the same choice, with status ``inactive``."""
        member, person = _consent_person(caller, resource)
        if person.pk != row.person_id or concerns(row, member):
            # Nobody lifts a refusal that keeps them out (as on the web page).
            raise fail(403, "forbidden", _("You may not withdraw this choice."))
        choice = consent_choice(resource)
        same = (
            choice["kind"] == row.kind
            and choice["section"] == row.section
            and choice["role"] == row.role
            and choice["member_id"] == row.member_id
        )
        if not same:
            raise fail(
                422,
                "business-rule",
                _("A choice is not changed: withdraw it and record a new one."),
                "Consent.provision",
            )
        status = resource.get("status")
        if status == "inactive":
            if row.withdrawn_at is None:
                record_actions.do_withdraw_choice(row, user=member.user, on_behalf_by=member)
        elif status != "active" or row.withdrawn_at is not None:
            raise fail(
                422,
                "business-rule",
                _("A withdrawn choice stays withdrawn: record a new one."),
                "Consent.status",
            )
        return Written(row, _consent_kept(resource), list(resource.get("identifier") or []))


# --- AuditEvent ------------------------------------------------------------------------

AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ACCESS_ACTION = systems.local("access-action")
FHIR_REASON = "fhir"  # the reason the FHIR interface writes on its reads
Action = AccessEvent.Action
ACTION_CODES: dict[str, str] = {
    Action.READ: "R",
    Action.SEARCH: "E",
    Action.CREATE: "C",
    Action.UPDATE: "U",
    Action.MERGE: "U",
    Action.DENY: "E",
    Action.BREAK_GLASS: "E",
    Action.EXPORT: "R",
}
ACTION_LABELS = dict(Action.choices)


def _log_readers(member: Member | None) -> QuerySet[Person]:
    """The persons whose access log the member reads (``view_access_log``): all of the
    structure's for its administrator, those they are referent for otherwise."""
    persons = persons_for_member(member)
    if member is None or member.role == Role.ADMIN:
        return persons
    referent_of = (
        CareTeamMember.objects.current().filter(member=member, is_referent=True).values("person_id")
    )
    return persons.filter(pk__in=referent_of)


def _agent(row: AccessEvent) -> dict[str, Any]:
    if row.actor_member is not None:
        return {
            "who": member_reference(row.actor_member),
            "role": [{"coding": [role_coding(row.actor_member.role)]}],
            "requestor": True,
        }
    person = row.person
    if row.actor_user_id is not None and person is not None and person.user_id == row.actor_user_id:
        return {"who": reference("Patient", row.person_id), "requestor": True}
    if row.actor_user_id is not None:
        return {"who": {"display": _("An account outside the team")}, "requestor": True}
    return {"who": {"display": "Maillage"}, "requestor": False}


def render_audit_event(row: AccessEvent) -> dict[str, Any]:
    reason = event_reason(row.reason) if row.reason else ""
    denied = row.action == Action.DENY
    emergency = row.flagged or row.action == Action.BREAK_GLASS
    purpose: list[dict[str, Any]] = []
    if emergency:
        purpose.append(
            {
                "coding": [
                    {"system": ACT_REASON, "code": "ETREAT", "display": "Emergency Treatment"}
                ],
                "text": reason,
            }
        )
    elif reason and not denied:
        purpose.append({"text": reason})
    details = []
    if row.section:
        details.append({"type": "section", "valueString": row.section})
    if row.object_type:
        details.append(
            {"type": "object", "valueString": f"{row.object_type}/{row.object_id}".rstrip("/")}
        )
    if row.reason == FHIR_REASON:
        event_type = {"system": AUDIT_TYPE, "code": "rest", "display": "RESTful Operation"}
    else:
        event_type = {"system": DICOM, "code": "110110", "display": "Patient Record"}
    return {
        "resourceType": "AuditEvent",
        "id": str(row.pk),
        "meta": {"lastUpdated": instant(row.at)},
        "type": event_type,
        "subtype": [
            {
                "system": ACCESS_ACTION,
                "code": row.action,
                "display": str(ACTION_LABELS.get(row.action, row.action)),
            }
        ],
        "action": ACTION_CODES.get(row.action, "E"),
        "recorded": instant(row.at),
        "outcome": "4" if denied else "0",
        "outcomeDesc": (_("Access refused: %(what)s") % {"what": reason}) if denied else None,
        "purposeOfEvent": purpose,
        "agent": [_agent(row)],
        "source": {"observer": {"display": "Maillage"}},
        "entity": [
            {
                "what": reference("Patient", row.person_id),
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
                "securityLabel": [section_coding(row.section)] if row.section else [],
                "detail": details,
            }
        ],
    }


ACTIONS_BY_CODE: dict[str, list[str]] = {}
for _action, _code in ACTION_CODES.items():
    ACTIONS_BY_CODE.setdefault(_code, []).append(_action)


def _action_build(values: list[Token], modifier: str) -> Q:
    conditions = []
    for token in values:
        if token.code in ACTIONS_BY_CODE and token.system in (
            None,
            "http://hl7.org/fhir/audit-event-action",
        ):
            conditions.append(Q(action__in=ACTIONS_BY_CODE[token.code]))
    return any_of(conditions)


class AuditEventType(ResourceType):
    name = "AuditEvent"
    model = AccessEvent
    documentation = gettext_lazy(
        "The access log of the persons' records (append-only): who read, wrote, was refused "
        "or opened a record in an emergency (purposeOfEvent ETREAT). Readable by the "
        "structure's administrator, the person's referent and the person themself. Reading "
        "it is not itself written in the access log."
    )
    last_updated = "at"
    # Not logged: reading the log would add to what is read, without end (as on the web).
    person_path = ""
    compartment = "person_id"

    def readable(self, caller: Caller) -> QuerySet[Any]:
        if caller.person is not None:
            return AccessEvent.objects.filter(own_record(caller))
        persons = _log_readers(caller.member).values("pk")
        return AccessEvent.objects.filter(
            Q(person_id__in=persons) | Q(person__merged_into_id__in=persons)
        )

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("actor_member__user", "person")

    def order(self) -> tuple[str, ...]:
        return ("-at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_audit_event(row)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "patient": reference_param(
                "patient", "person_id", ("Patient",), _("The person whose record it concerns.")
            ),
            "date": date_param("date", "at", documentation=_("When it happened.")),
            "agent": reference_param(
                "agent",
                "actor_member_id",
                ("PractitionerRole", "Practitioner"),
                _("The member who acted."),
            ),
            "action": token_param("action", _action_build, _("C, R, U or E.")),
        }
