"""Patient: the person's identity (INS traits, FR Core reliability), contact and languages.

Identity vigilance travels with the resource: the INS (``urn:oid:1.2.250.1.213.1.4.8``)
is given only for a qualified identity, as the national rules require; the identity
status (PROV, RECUP, VALI, QUAL), the document checked and the doubtful or fictitious
attributes are carried by the FR Core identity-reliability extension.

Writes go through the registration form's rules (``PersonForm``): the same checks and the
same French messages as at the desk.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.access import can_on_person, can_on_structure, persons_readable_by
from maillage.core.roles import Section
from maillage.fhir import systems
from maillage.fhir.caller import Caller
from maillage.fhir.errors import fail, form_error
from maillage.fhir.registry import Context, ResourceType, Written, coding, fhir_date, instant
from maillage.fhir.search import DateRange, Param, Token, any_of, code_param, string_param
from maillage.lib.names import MAX_PREFIX_LENGTH, tokens
from maillage.lib.phone import phone_digits_for_search
from maillage.people import actions
from maillage.people.choices import LANGUAGE_LABELS, DocumentType, IdentityStatus
from maillage.people.forms import PersonForm
from maillage.people.models import Person, PersonSearchKey

GENDER = {"F": "female", "M": "male", "I": "other"}
SEX = {code: sex for sex, code in GENDER.items()}
STATUS_CODES: dict[str, str] = {
    IdentityStatus.PROVISIONAL: "PROV",
    IdentityStatus.RETRIEVED: "RECUP",
    IdentityStatus.VALIDATED: "VALI",
    IdentityStatus.QUALIFIED: "QUAL",
}
STATUSES = {code: status for status, code in STATUS_CODES.items()}
VALIDATION_MODES: dict[str, str] = {
    DocumentType.ID_CARD: "CN",
    DocumentType.PASSPORT: "PA",
    DocumentType.RESIDENCE_PERMIT: "CS",
    DocumentType.FAMILY_RECORD_BOOK: "LEP",
    DocumentType.BIRTH_CERTIFICATE: "AN",
}
DOCUMENTS = {code: document for document, code in VALIDATION_MODES.items()}


# The name fields a name search looks at (the search keys index them).
NAME_FIELDS = ("birth_name", "used_name", "given_names", "used_given_name", "preferred_name")


def reliability_extension(person: Person) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {
            "url": "identityStatus",
            "valueCoding": coding(systems.IDENTITY_STATUS, STATUS_CODES[person.identity_status]),
        }
    ]
    mode = VALIDATION_MODES.get(person.document_type)
    if mode:
        parts.append(
            {
                "url": "validationMode",
                "valueCoding": coding(systems.IDENTITY_VALIDATION_MODE, mode),
            }
        )
        if person.document_checked_at:
            parts.append(
                {"url": "validationDate", "valueDate": fhir_date(person.document_checked_at.date())}
            )
    if person.ins_retrieved_at:
        parts.append(
            {"url": "dateInterrogationINSi", "valueDate": fhir_date(person.ins_retrieved_at.date())}
        )
    for flag, code in ((person.doubtful_identity, "DOUT"), (person.fictitious_identity, "FICT")):
        if flag:
            parts.append(
                {
                    "url": "comment",
                    "valueCodeableConcept": {"coding": [coding(systems.IDENTITY_COMMENT, code)]},
                }
            )
    return {"url": systems.IDENTITY_RELIABILITY, "extension": parts}


def person_names(person: Person) -> list[dict[str, Any]]:
    names = [
        {
            "use": "official",
            "family": person.birth_name,
            "given": person.given_names.split(),
        }
    ]
    if person.used_name or person.used_given_name:
        names.append(
            {
                "use": "usual",
                "family": person.used_name or person.birth_name,
                "given": [person.used_given_name or person.first_given_name],
            }
        )
    if person.preferred_name:
        names.append({"use": "nickname", "text": person.preferred_name})
    return names


def render_patient(person: Person, ctx: Context) -> dict[str, Any]:
    extensions = [reliability_extension(person)]
    if person.birth_place_code or person.birth_place_label:
        place: dict[str, Any] = {"text": person.birth_place_label}
        if person.birth_place_code:
            place["extension"] = [
                {
                    "url": systems.INSEE_CODE,
                    "valueCoding": coding(systems.INSEE_COG, person.birth_place_code),
                }
            ]
        extensions.append({"url": systems.BIRTH_PLACE, "valueAddress": place})
    if person.interpreter_needed:
        extensions.append({"url": systems.INTERPRETER_REQUIRED, "valueBoolean": True})
    if person.pronouns:
        extensions.append(
            {
                "url": systems.PRONOUNS,
                "extension": [{"url": "value", "valueCodeableConcept": {"text": person.pronouns}}],
            }
        )
    identifiers = []
    if person.identity_status == IdentityStatus.QUALIFIED and person.nir:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [coding(systems.FR_IDENTIFIER_TYPE, "INS-NIR")]},
                "system": systems.INS_NIR,
                "value": person.nir,
            }
        )
    telecom = []
    if person.phone:
        telecom.append({"system": "phone", "value": person.phone})
    if person.email:
        telecom.append({"system": "email", "value": person.email})
    address = []
    if person.address or person.postcode or person.commune_name:
        entry: dict[str, Any] = {
            "use": "home",
            "line": [person.address] if person.address else [],
            "postalCode": person.postcode,
            "city": person.commune_name,
            "country": "FRA",
        }
        if person.commune_code:
            entry["extension"] = [
                {
                    "url": systems.INSEE_CODE,
                    "valueCoding": coding(systems.INSEE_COG, person.commune_code),
                }
            ]
        address.append(entry)
    languages = list(person.languages or [])
    if person.interpreting_language and person.interpreting_language not in languages:
        languages.append(person.interpreting_language)
    communication = [
        {
            "language": {
                "coding": [
                    {
                        "system": systems.LANGUAGE,
                        "code": code,
                        "display": str(LANGUAGE_LABELS.get(code, code)),
                    }
                ]
            },
            "preferred": code == person.interpreting_language or None,
        }
        for code in languages
    ]
    birth = person.birth_date
    return {
        "resourceType": "Patient",
        "id": str(person.pk),
        "meta": {"lastUpdated": instant(person.updated_at), "profile": [systems.PATIENT_PROFILE]},
        "extension": extensions,
        "identifier": identifiers,
        "name": person_names(person),
        "telecom": telecom,
        "gender": GENDER.get(person.sex, "unknown"),
        "birthDate": birth.iso() if birth else None,
        "address": address,
        "communication": communication,
    }


# --- Search ----------------------------------------------------------------------------


def _birth_first() -> Any:
    return (
        F("birth_year") * 10000 + Coalesce(F("birth_month"), 1) * 100 + Coalesce(F("birth_day"), 1)
    )


def _birth_last() -> Any:
    return (
        F("birth_year") * 10000
        + Coalesce(F("birth_month"), 12) * 100
        + Coalesce(F("birth_day"), 31)
    )


def _key(moment: Any) -> int:
    return moment.year * 10000 + moment.month * 100 + moment.day


def _birthdate(value: DateRange) -> Q:
    """A partial date of birth against a searched period (FHIR range semantics: ``eq`` when
    the searched period contains the whole birth date as known)."""
    first = _key(value.start)
    last = _key(value.end - datetime.timedelta(microseconds=1))
    eq = (
        Q(birth_year__isnull=False)
        & Q(GreaterThanOrEqual(_birth_first(), Value(first)))
        & Q(LessThanOrEqual(_birth_last(), Value(last)))
    )
    return {
        "eq": eq,
        "ne": Q(birth_year__isnull=False) & ~eq,
        "lt": Q(LessThan(_birth_first(), first)),
        "le": Q(LessThanOrEqual(_birth_first(), last)),
        "gt": Q(GreaterThan(_birth_last(), last)),
        "ge": Q(GreaterThanOrEqual(_birth_last(), first)),
        "sa": Q(GreaterThan(_birth_first(), last)),
        "eb": Q(LessThan(_birth_last(), first)),
    }[value.prefix]


def _name_condition(text: str, structure_id: int | None) -> Q:
    """Every word of ``text`` begins a name of the person (family, given, used or
    preferred), accents and case aside: answered by the search keys' index."""
    words = tokens(text)
    if not words:
        return Q(pk__in=[])
    condition = Q()
    for word in words:
        keys = {f"t:{word}", f"f:{word[:MAX_PREFIX_LENGTH]}"}
        if len(word) < 3:
            condition &= any_of(
                [Q(**{f"{f}__istartswith": word}) for f in NAME_FIELDS]
                + [Q(given_names__icontains=f" {word}")]
            )
            continue
        if len(word) > MAX_PREFIX_LENGTH:
            condition &= Q(pk__in=_names_beginning_with(word, structure_id or 0))
            continue
        matching = PersonSearchKey.objects.filter(
            structure_id=structure_id or 0, key__in=keys
        ).values("person_id")
        condition &= Q(pk__in=matching)
    return condition


def _names_beginning_with(word: str, structure_id: int) -> list[int]:
    """The persons one of whose names begins with ``word``, a normalised word longer than
    the index's prefixes: the index gives those whose name begins with its first 8
    letters, and their names, normalised the same way, tell which go on with the rest
    (the database alone cannot compare without accents)."""
    prefixed = PersonSearchKey.objects.filter(
        structure_id=structure_id, key=f"f:{word[:MAX_PREFIX_LENGTH]}"
    ).values("person_id")
    return [
        pk
        for pk, *names in Person.objects.filter(pk__in=prefixed).values_list("pk", *NAME_FIELDS)
        if any(token.startswith(word) for token in tokens(" ".join(names)))
    ]


def _identifier(values: list[Token], modifier: str) -> Q:
    from maillage.fhir.models import ExternalIdentifier

    conditions = []
    for token in values:
        if token.code is None:
            continue
        if token.system in (None, systems.INS_NIR):
            conditions.append(Q(identity_status=IdentityStatus.QUALIFIED, nir=token.code))
        rows = ExternalIdentifier.objects.filter(resource_type="Patient", value=token.code)
        if token.system is not None:
            rows = rows.filter(system=token.system)
        ids = [int(pk) for pk in rows.values_list("object_id", flat=True)[:1000] if pk.isdigit()]
        if ids:
            conditions.append(Q(pk__in=ids))
    return any_of(conditions)


def _telecom(kind: str) -> Any:
    def build(values: list[Token], modifier: str) -> Q:
        conditions = []
        for token in values:
            if token.code is None:
                continue
            if kind == "phone":
                digits = phone_digits_for_search(token.code)
                if digits:
                    conditions.append(Q(phone_digits=digits))
            else:
                conditions.append(Q(email__iexact=token.code))
        return any_of(conditions)

    return build


class PatientType(ResourceType):
    name = "Patient"
    model = Person
    documentation = gettext_lazy(
        "The persons the structure accompanies: INS traits, FR Core identity reliability, "
        "contact, languages. The INS is given only for a qualified identity."
    )
    profile = systems.PATIENT_PROFILE
    last_updated = "updated_at"
    person_path = "self"
    writable = frozenset({"create", "update"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        if caller.person is not None:
            return Person.objects.filter(pk=caller.person.pk, merged_into__isnull=True)
        return persons_readable_by(caller.member)

    def person_id_of(self, row: Any) -> int | None:
        return int(row.pk)

    def section_of(self, row: Any) -> str:
        return Section.ADMINISTRATIVE

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_patient(row, ctx)

    def order(self) -> tuple[str, ...]:
        return ("birth_name", "given_names", "pk")

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        structure_id = None
        if caller is not None:
            structure_id = caller.structure_id or (
                caller.person.structure_id if caller.person else None
            )
        return {
            "name": Param(
                "name",
                "string",
                lambda values, _m: any_of([_name_condition(v, structure_id) for v in values]),
                _("Each word begins a name of the person (birth, used, given or preferred)."),
            ),
            "family": string_param(
                "family", "birth_name", "used_name", documentation=_("Birth or used name.")
            ),
            "given": string_param(
                "given", "given_names", "used_given_name", documentation=_("Given name.")
            ),
            "birthdate": Param(
                "birthdate",
                "date",
                lambda values, _m: any_of([_birthdate(v) for v in values]),
                _("Date of birth (may be partial)."),
            ),
            "gender": code_param(
                "gender",
                "sex",
                SEX,
                "http://hl7.org/fhir/administrative-gender",
                _("female, male or other."),
            ),
            "identifier": Param(
                "identifier",
                "token",
                _identifier,
                _("The INS (qualified identities only) or an identifier of another system."),
            ),
            "phone": Param("phone", "token", _telecom("phone"), _("Phone number.")),
            "email": Param("email", "token", _telecom("email"), _("E-mail address.")),
            "address-postalcode": string_param(
                "address-postalcode", "postcode", documentation=_("Postcode.")
            ),
            "address-city": string_param(
                "address-city", "commune_name", documentation=_("Commune.")
            ),
        }

    # -- writing -------------------------------------------------------------------------

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None or not can_on_structure(member, "register_person", member.structure):
            raise fail(403, "forbidden", _("You may not register persons in this structure."))
        fields, kept, identifiers = patient_fields(resource)
        form = PersonForm(data=fields)
        person_data = _valid(form)
        person = actions.do_register_person(member, person_data)
        return Written(person, kept, identifiers)

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None or not can_on_person(member, "edit_identity", row):
            raise fail(403, "forbidden", _("You may not correct this person's identity."))
        fields, kept, identifiers = patient_fields(resource)
        form = PersonForm(data=fields, instance=row)
        person_data = _valid(form)
        person = actions.do_update_identity(member, row, person_data, reason="FHIR")
        return Written(person, kept, identifiers)


FORM_FIELDS = {
    "birth_name": "Patient.name",
    "given_names": "Patient.name.given",
    "used_name": "Patient.name",
    "used_given_name": "Patient.name.given",
    "sex": "Patient.gender",
    "birth_date": "Patient.birthDate",
    "nir": "Patient.identifier",
    "identity_status": "Patient.extension",
    "document_type": "Patient.extension",
    "phone": "Patient.telecom",
    "email": "Patient.telecom",
    "postcode": "Patient.address.postalCode",
    "commune_code": "Patient.address",
    "birth_place_code": "Patient.extension",
    "interpreting_language": "Patient.communication",
}


def _valid(form: PersonForm) -> dict[str, Any]:
    if form.is_valid():
        return form.person_data()
    raise form_error(form, FORM_FIELDS, "Patient", rules=frozenset({"identity_status"}))


def _partial_french(value: str) -> str:
    """``1985-03`` → ``00/03/1985`` (the form's way to write a partial date)."""
    parts = value.split("-")
    year = parts[0]
    month = parts[1] if len(parts) > 1 else "00"
    day = parts[2][:2] if len(parts) > 2 else "00"
    return f"{day}/{month}/{year}"


def _names(resource: dict[str, Any], fields: dict[str, Any], kept: dict[str, Any]) -> None:
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    by_use: dict[str, dict[str, Any]] = {}
    for name in names:
        by_use.setdefault(name.get("use") or "official", name)
    official = by_use.get("official") or next((n for n in names if n.get("family")), None)
    if official is None or not official.get("family"):
        raise fail(
            422,
            "required",
            _("A family name is required (the birth name, in an official name)."),
            "Patient.name",
        )
    maiden = by_use.get("maiden")
    usual = by_use.get("usual")
    if maiden and maiden.get("family"):
        fields["birth_name"] = maiden["family"]
        fields["used_name"] = official["family"]
    else:
        fields["birth_name"] = official["family"]
    fields["given_names"] = " ".join(official.get("given") or [])
    if usual is not None:
        if usual.get("family") and usual["family"] != fields["birth_name"]:
            fields["used_name"] = usual["family"]
        if usual.get("given"):
            fields["used_given_name"] = usual["given"][0]
    nickname = by_use.get("nickname")
    if nickname is not None:
        fields["preferred_name"] = nickname.get("text") or " ".join(nickname.get("given") or [])
    used = [n for n in (official, maiden, usual, nickname) if n is not None]
    rest = [n for n in names if not any(n is u for u in used)]
    # Parts of the used names the form has no field for (prefix, period, text…).
    for name in used:
        extra = {k: v for k, v in name.items() if k not in {"use", "family", "given", "text"}}
        if extra:
            rest.append(name)
    if rest:
        kept["name"] = rest


def _extensions(resource: dict[str, Any], fields: dict[str, Any], kept: dict[str, Any]) -> None:
    rest = []
    for ext in resource.get("extension") or []:
        url = ext.get("url")
        if url == systems.IDENTITY_RELIABILITY:
            for part in ext.get("extension") or []:
                value = part.get("valueCoding") or {}
                if part.get("url") in {"identityStatus", "identityReliability"}:
                    status = STATUSES.get(value.get("code", ""))
                    if status is None:
                        raise fail(
                            422,
                            "value",
                            _("Unknown identity status “%(code)s”: PROV, RECUP, VALI or QUAL.")
                            % {"code": str(value.get("code", ""))[:20]},
                            "Patient.extension",
                        )
                    fields["identity_status"] = status
                    fields["ins_retrieved"] = status in {
                        IdentityStatus.RETRIEVED,
                        IdentityStatus.QUALIFIED,
                    }
                elif part.get("url") == "validationMode":
                    document = DOCUMENTS.get(value.get("code", ""))
                    fields["document_type"] = document or DocumentType.OTHER
                elif part.get("url") == "comment":
                    codes = {
                        c.get("code")
                        for c in (part.get("valueCodeableConcept") or {}).get("coding") or []
                    }
                    fields["doubtful_identity"] = fields.get("doubtful_identity") or "DOUT" in codes
                    fields["fictitious_identity"] = (
                        fields.get("fictitious_identity") or "FICT" in codes
                    )
        elif url == systems.BIRTH_PLACE:
            place = ext.get("valueAddress") or {}
            fields["birth_place_label"] = place.get("text") or place.get("city") or ""
            for inner in place.get("extension") or []:
                if inner.get("url") == systems.INSEE_CODE:
                    fields["birth_place_code"] = (inner.get("valueCoding") or {}).get("code", "")
        elif url == systems.INTERPRETER_REQUIRED:
            fields["interpreter_needed"] = bool(ext.get("valueBoolean"))
        elif url == systems.PRONOUNS:
            for inner in ext.get("extension") or []:
                concept = inner.get("valueCodeableConcept") or {}
                fields["pronouns"] = concept.get("text") or ""
        else:
            rest.append(ext)
    if rest:
        kept["extension"] = rest


def patient_fields(
    resource: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A Patient resource → the registration form's fields, the elements kept beside the
    row, and the identifiers of other systems."""
    mapped = {
        "resourceType",
        "id",
        "meta",
        "name",
        "gender",
        "birthDate",
        "identifier",
        "telecom",
        "address",
        "communication",
        "extension",
    }
    kept: dict[str, Any] = {k: v for k, v in resource.items() if k not in mapped}
    fields: dict[str, Any] = {
        "identity_status": IdentityStatus.PROVISIONAL,
        "document_type": DocumentType.NONE,
    }
    _names(resource, fields, kept)
    gender = resource.get("gender")
    if gender not in SEX:
        raise fail(
            422,
            "required",
            _("The sex is required for the identity (female, male or other)."),
            "Patient.gender",
        )
    fields["sex"] = SEX[gender]
    if resource.get("birthDate"):
        fields["birth_date"] = _partial_french(resource["birthDate"])
    identifiers = []
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") in {systems.INS_NIR} and identifier.get("value"):
            fields["nir"] = identifier["value"]
        else:
            identifiers.append(identifier)
    _extensions(resource, fields, kept)
    telecom_rest = []
    for point in resource.get("telecom") or []:
        kind = point.get("system")
        if kind == "phone" and "phone" not in fields and point.get("value"):
            fields["phone"] = point["value"]
        elif kind == "email" and "email" not in fields and point.get("value"):
            fields["email"] = point["value"]
        else:
            telecom_rest.append(point)
    if telecom_rest:
        kept["telecom"] = telecom_rest
    addresses = list(resource.get("address") or [])
    if addresses:
        first = addresses[0]
        fields["address"] = ", ".join(first.get("line") or [])
        fields["postcode"] = first.get("postalCode", "")
        fields["commune_name"] = first.get("city", "")
        for inner in first.get("extension") or []:
            if inner.get("url") == systems.INSEE_CODE:
                fields["commune_code"] = (inner.get("valueCoding") or {}).get("code", "")
        extra = {
            k: v
            for k, v in first.items()
            if k not in {"use", "line", "postalCode", "city", "country", "extension"}
        }
        if extra or len(addresses) > 1:
            kept["address"] = ([first] if extra else []) + addresses[1:]
    languages, comm_rest = [], []
    for item in resource.get("communication") or []:
        codes = [c.get("code", "") for c in (item.get("language") or {}).get("coding") or []]
        code = next(
            (c.split("-")[0].lower() for c in codes if c.split("-")[0].lower() in LANGUAGE_LABELS),
            None,
        )
        if code is None:
            comm_rest.append(item)
            continue
        languages.append(code)
        if item.get("preferred") and fields.get("interpreter_needed"):
            fields["interpreting_language"] = code
    fields["languages"] = list(dict.fromkeys(languages))
    if comm_rest:
        kept["communication"] = comm_rest
    if fields.get("interpreter_needed") and not fields.get("interpreting_language") and languages:
        fields["interpreting_language"] = next((c for c in languages if c != "fr"), languages[0])
    return {k: v for k, v in fields.items() if v is not None}, kept, identifiers
