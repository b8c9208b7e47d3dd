"""The shared record's entries: Encounter (journal entries, a co-consultation has several
participants, an interpreted one a translator), Observation (measures, LOINC and UCUM as
the FHIR vital-signs profiles), Condition (problems, ICPC-2 or ICD-10 codes) and
MedicationStatement (treatments, as written).

Each entry belongs to one section of the record: a member reads it when the access policy
lets them read that section of that person's record; the person reads their own record
except what concerns a third party. Writes need the write right on the section, as on the
record's pages, and go through the record's actions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import HttpError
from pydantic import ValidationError as PydanticError

from maillage import api
from maillage.core.access import ALL_SECTIONS, RecordAccess, get_record_for_member
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.fhir import registry, systems
from maillage.fhir.access import section_rows
from maillage.fhir.caller import Caller
from maillage.fhir.errors import FhirError, Issue, fail, form_error
from maillage.fhir.registry import (
    Context,
    Include,
    ResourceType,
    Written,
    instant,
    reference,
)
from maillage.fhir.search import (
    Param,
    Token,
    any_of,
    code_param,
    date_param,
    id_values,
    int_id,
    reference_param,
)
from maillage.lib import observations as obs
from maillage.record import actions
from maillage.record.choices import (
    CodeSystem,
    EncounterKind,
    EntryKind,
    ObservationKind,
    ParticipantKind,
    Place,
    ProblemStatus,
    TreatmentStatus,
)
from maillage.record.forms import ProblemForm, default_section
from maillage.record.models import Entry, Participant

SECTION_SYSTEM = systems.local("record-section")
ENCOUNTER_TYPE = systems.local("encounter-type")
CLASS_OF_PLACE = {
    Place.HOME: ("HH", "home health"),
    Place.PHONE: ("VR", "virtual"),
    Place.VIDEO: ("VR", "virtual"),
    Place.OUTREACH: ("FLD", "field"),
}
AMBULATORY = ("AMB", "ambulatory")
CODE_SYSTEMS = {CodeSystem.ICPC2: systems.ICPC2, CodeSystem.ICD10: systems.ICD10}
CODE_SYSTEM_OF = {url: code for code, url in CODE_SYSTEMS.items()}
KIND_OF_LOINC = {kind.loinc: code for code, kind in obs.KINDS.items()}


def section_coding(section: str) -> dict[str, Any]:
    return registry.concept(SECTION_SYSTEM, section, registry.label(Section, section))


def section_from(concepts: list[dict[str, Any]] | None) -> str | None:
    for concept in concepts or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") == SECTION_SYSTEM:
                code = coding.get("code")
                if code not in Section.values:
                    raise fail(
                        422,
                        "value",
                        _("Unknown part of the record “%(code)s”.") % {"code": str(code)[:30]},
                    )
                return str(code)
    return None


def entry_meta(entry: Entry) -> dict[str, Any]:
    return {
        "versionId": str(entry.version),
        "lastUpdated": instant(entry.updated_at or entry.created_at),
        "security": [{"system": SECTION_SYSTEM, "code": entry.section}],
    }


def subject(entry: Entry) -> dict[str, Any]:
    return reference("Patient", entry.person_id)


def author(entry: Entry) -> dict[str, Any]:
    return reference("PractitionerRole", entry.author_id, entry.author.display_name)


def require_write(access: RecordAccess, section: str, expression: str = "") -> None:
    """403 unless the member writes in that section of the record."""
    if not access.can_write(section):
        raise fail(
            403,
            "forbidden",
            _("You may not write in the “%(section)s” part of this record.")
            % {"section": Section(section).label},
            expression,
        )


def with_authors(rows: QuerySet[Any], *related: str) -> QuerySet[Any]:
    """``rows`` with ``related`` joined and their authors read in one more query: a page of
    a thousand entries has a few authors, and a member object made per row would be most
    of the cost of a bulk export."""
    return rows.select_related(*related).prefetch_related(
        Prefetch("author", queryset=Member.objects.select_related("user"))
    )


class EntryType(ResourceType):
    """What every record entry type shares: access by section, audit, version, writes."""

    model = Entry
    kind: str = ""
    last_updated = "created_at"

    def stored(self) -> QuerySet[Any]:
        return Entry.objects.filter(kind=self.kind)

    def readable(self, caller: Caller) -> QuerySet[Any]:
        rows = section_rows(caller, Entry.objects.filter(kind=self.kind), ALL_SECTIONS)
        if caller.person is not None:
            rows = rows.exclude(concerns_third_party=True)
        return rows

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return with_authors(rows)

    def section_of(self, row: Any) -> str:
        return str(row.section)

    def version(self, row: Any) -> str | None:
        return str(row.version)

    def changed_at(self, row: Any) -> datetime.datetime | None:
        return row.updated_at or row.created_at

    def order(self) -> tuple[str, ...]:
        return ("-occurred_at", "-pk")

    def patient_params(self) -> dict[str, Param]:
        patient = reference_param("patient", "person_id", ("Patient",), _("The person."))
        return {
            "patient": patient,
            "subject": reference_param("subject", "person_id", ("Patient",), _("The person.")),
        }

    def patient_include(self, name: str) -> dict[str, Include]:
        return {
            f"{self.name}:{name}": Include("Patient", lambda rows: {str(r.person_id) for r in rows})
        }

    def access_for(self, caller: Caller, resource: dict[str, Any], field: str) -> RecordAccess:
        """The caller's access to the record the resource is about (``field``)."""
        if caller.member is None:
            raise fail(403, "forbidden", _("Only members of the team write in a record."))
        ref = str((resource.get(field) or {}).get("reference", ""))
        kind, _sep, pk = ref.rpartition("/")
        if kind.rsplit("/", 1)[-1] != "Patient" or int_id(pk) is None:
            raise fail(
                422,
                "required",
                _("%(field)s must point to the person (Patient/…).") % {"field": field},
                f"{self.name}.{field}",
            )
        try:
            _person, access = get_record_for_member(caller.member, pk)
        except Exception:  # Http404: missing and forbidden look the same
            raise fail(
                404,
                "not-found",
                _("Patient/%(id)s is not here, or you may not read it.") % {"id": pk},
            ) from None
        return access


# --- Encounter ---------------------------------------------------------------------------


def _participant(p: Participant) -> dict[str, Any]:
    if p.kind == ParticipantKind.INTERPRETER:
        code, display = "TRANSL", "Translator"
    elif p.kind == ParticipantKind.MEMBER:
        code, display = "SPRF", "secondary performer"
    else:
        code, display = "PART", "Participation"
    individual: dict[str, Any]
    if p.member_id:
        individual = reference(
            "PractitionerRole", p.member_id, p.member.display_name if p.member else ""
        )
    else:
        individual = {"display": " — ".join(x for x in (p.name, p.detail) if x)}
    return {
        "type": [
            {"coding": [{"system": systems.PARTICIPATION_TYPE, "code": code, "display": display}]}
        ],
        "individual": individual,
    }


class EncounterType(EntryType):
    name = "Encounter"
    kind = EntryKind.ENCOUNTER
    documentation = gettext_lazy(
        "Encounters of the journal: type, place, length, reason (ICPC-2), who took part "
        "(several professionals in a co-consultation, the interpreter as translator)."
    )
    writable = frozenset({"create"})

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        # ``to_attr``: a plain list, without a queryset made per row (bulk export).
        return with_authors(rows, "encounter").prefetch_related(
            Prefetch(
                "participants",
                Participant.objects.order_by("pk").prefetch_related(
                    Prefetch("member", queryset=Member.objects.select_related("user"))
                ),
                to_attr="participant_rows",
            )
        )

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        enc = row.encounter
        klass = CLASS_OF_PLACE.get(enc.place, AMBULATORY)
        end = (
            row.occurred_at + datetime.timedelta(minutes=enc.duration_minutes)
            if enc.duration_minutes
            else None
        )
        reasons = []
        if enc.reason or enc.reason_codes:
            reasons.append(
                {
                    "coding": [
                        {"system": systems.ICPC2, "code": code} for code in enc.reason_codes or []
                    ],
                    "text": enc.reason,
                }
            )
        participants = [
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": systems.PARTICIPATION_TYPE,
                                "code": "PPRF",
                                "display": "primary performer",
                            }
                        ]
                    }
                ],
                "individual": author(row),
            }
        ]
        participants += [_participant(p) for p in row.participant_rows]
        return {
            "resourceType": "Encounter",
            "id": str(row.pk),
            "meta": entry_meta(row),
            "extension": (
                [{"url": INTERPRETING_LANGUAGE, "valueCode": enc.interpreting_language}]
                if enc.interpreting_language
                else []
            ),
            "status": "finished",
            "class": {"system": systems.ENCOUNTER_CLASS, "code": klass[0], "display": klass[1]},
            "type": [
                {
                    "coding": [
                        {
                            "system": ENCOUNTER_TYPE,
                            "code": enc.kind,
                            "display": registry.label(EncounterKind, enc.kind),
                        }
                    ],
                    "text": registry.label(EncounterKind, enc.kind),
                }
            ],
            "serviceType": section_coding(row.section),
            "subject": subject(row),
            "participant": participants,
            "period": {"start": instant(row.occurred_at), "end": instant(end)},
            "length": (
                {
                    "value": enc.duration_minutes,
                    "unit": "min",
                    "system": systems.UCUM,
                    "code": "min",
                }
                if enc.duration_minutes
                else None
            ),
            "reasonCode": reasons,
            "location": [{"location": {"display": enc.place_detail}}] if enc.place_detail else [],
            "serviceProvider": reference("Organization", row.structure_id),
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **self.patient_params(),
            "date": date_param("date", "occurred_at", documentation=_("When it happened.")),
            "type": code_param(
                "type",
                "encounter__kind",
                {k: k for k in EncounterKind.values},
                ENCOUNTER_TYPE,
                _("Type of encounter."),
            ),
            "participant": Param(
                "participant",
                "reference",
                _participant_condition,
                _("A member who wrote it or took part (PractitionerRole or Practitioner)."),
                targets=("PractitionerRole", "Practitioner"),
            ),
            "reason-code": Param(
                "reason-code",
                "token",
                lambda values, _m: any_of(
                    [Q(encounter__reason_codes__icontains=f'"{t.code}"') for t in values if t.code]
                ),
                _("An ICPC-2 code of the reason."),
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {**self.patient_include("patient"), **self.patient_include("subject")}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        access = self.access_for(caller, resource, "subject")
        section = section_from([resource.get("serviceType") or {}]) or default_section(access)
        data = encounter_payload(resource, section, caller)
        try:
            payload = api.EncounterIn.model_validate(data)
        except PydanticError as exc:
            raise FhirError(
                422,
                [
                    Issue("value", f"Encounter: {err.get('msg', '')}", "Encounter")
                    for err in exc.errors()[:10]
                ],
            ) from None
        try:
            entry = actions.do_record_encounter(access, api.encounter_input(access, payload))
        except api.Invalid as exc:
            raise fail(
                422,
                "business-rule",
                exc.message,
                f"Encounter.{ENCOUNTER_FIELDS.get(exc.field, '')}",
            ) from None
        except HttpError as exc:
            raise fail(403, "forbidden", str(exc.message)) from None
        mapped = {
            "resourceType",
            "id",
            "meta",
            "status",
            "class",
            "type",
            "serviceType",
            "subject",
            "participant",
            "period",
            "length",
            "reasonCode",
            "location",
            "serviceProvider",
        }
        return Written(entry, {k: v for k, v in resource.items() if k not in mapped})


ENCOUNTER_FIELDS = {
    "occurred_at": "period.start",
    "member_ids": "participant",
    "interpreter_id": "participant",
    "interpreting_language": "participant",
    "reason_codes": "reasonCode",
    "section": "serviceType",
}


def _member_id(ref: str) -> int | None:
    kind, _sep, pk = ref.rpartition("/")
    if kind.rsplit("/", 1)[-1] in {"PractitionerRole", "Practitioner"}:
        return int_id(pk)
    return None


def encounter_payload(resource: dict[str, Any], section: str, caller: Caller) -> dict[str, Any]:
    """An Encounter resource → the JSON API's encounter (the same rules as the form)."""
    kind = None
    for concept in resource.get("type") or []:
        for coding in concept.get("coding") or []:
            if (
                coding.get("system") == ENCOUNTER_TYPE
                and coding.get("code") in EncounterKind.values
            ):
                kind = coding["code"]
    klass = (resource.get("class") or {}).get("code")
    if kind is None:
        kind = {"HH": EncounterKind.HOME_VISIT, "VR": EncounterKind.PHONE_CALL}.get(
            klass or "", EncounterKind.CONSULTATION
        )
    place = {"HH": Place.HOME, "VR": Place.PHONE, "FLD": Place.OUTREACH}.get(
        klass or "", Place.CENTRE
    )
    period = resource.get("period") or {}
    start = period.get("start")
    if not start:
        raise fail(
            422,
            "required",
            _("Say when the encounter took place (period.start)."),
            "Encounter.period.start",
        )
    moment = parse_datetime(start) if "T" in start else None
    if moment is None:
        day = parse_date(start[:10]) if len(start) >= 10 else None
        if day is None:
            raise fail(
                422, "value", _("period.start must be a date and time."), "Encounter.period.start"
            )
        moment = datetime.datetime.combine(day, datetime.time(12, 0))
    duration = None
    length = resource.get("length") or {}
    if length.get("value") is not None:
        duration = int(Decimal(str(length["value"])))
    elif period.get("end") and "T" in str(period["end"]):
        end = parse_datetime(period["end"])
        if end is not None:
            begin = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
            finish = end if timezone.is_aware(end) else timezone.make_aware(end)
            duration = max(1, int((finish - begin).total_seconds() // 60))
    reason_texts, codes = [], []
    for concept in resource.get("reasonCode") or []:
        if concept.get("text"):
            reason_texts.append(concept["text"])
        for coding in concept.get("coding") or []:
            if coding.get("system") == systems.ICPC2 and coding.get("code"):
                codes.append(coding["code"])
            elif coding.get("display"):
                reason_texts.append(coding["display"])
    member_ids, interpreter_id, interpreter_name = [], None, ""
    for participant in resource.get("participant") or []:
        codes_of = {
            c.get("code") for t in participant.get("type") or [] for c in t.get("coding") or []
        }
        individual = participant.get("individual") or {}
        pk = _member_id(str(individual.get("reference", "")))
        if "TRANSL" in codes_of or "INTPRTR" in codes_of:
            if pk is not None:
                interpreter_id = pk
            else:
                interpreter_name = str(individual.get("display", ""))[:200]
        elif pk is not None and caller.member is not None and pk != caller.member.pk:
            member_ids.append(pk)
    language = ""
    for ext in resource.get("extension") or []:
        if ext.get("url") == INTERPRETING_LANGUAGE:
            language = str(ext.get("valueCode") or "")[:5]
    if member_ids and kind == EncounterKind.CONSULTATION:
        kind = EncounterKind.CO_CONSULTATION
    return {
        "type": "encounter",
        "kind": kind,
        "section": section,
        "occurred_at": moment,
        "duration_minutes": duration,
        "place": place,
        "place_detail": str(
            ((resource.get("location") or [{}])[0].get("location") or {}).get("display", "")
        )[:200],
        "reason": " — ".join(reason_texts)[:2000],
        "reason_codes": codes[:20],
        "member_ids": member_ids[:50],
        "interpreter_id": interpreter_id,
        "interpreter_name": interpreter_name,
        "interpreting_language": language,
    }


INTERPRETING_LANGUAGE = "urn:maillage:extension:interpreting-language"


def _participant_condition(values: list[str], modifier: str) -> Q:
    ids = id_values(values)
    took_part = Participant.objects.filter(member_id__in=ids).values("entry_id")
    return Q(author_id__in=ids) | Q(pk__in=took_part)


# --- Observation -------------------------------------------------------------------------


def _quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return {"value": float(value), "unit": unit, "system": systems.UCUM, "code": unit}


class ObservationType(EntryType):
    name = "Observation"
    kind = EntryKind.OBSERVATION
    documentation = gettext_lazy(
        "Measures (weight, height, BMI, blood pressure, heart rate, temperature, HbA1c, "
        "capillary glucose, SpO2) with LOINC codes and UCUM units."
    )
    writable = frozenset({"create"})

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return with_authors(rows, "observation")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        ob = row.observation
        kind = obs.KINDS[ob.kind]
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": str(row.pk),
            "meta": entry_meta(row),
            "status": "amended" if row.version > 1 else "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": systems.OBSERVATION_CATEGORY,
                            "code": "vital-signs",
                            "display": "Vital Signs",
                        }
                    ]
                }
                if ob.kind not in {"hba1c", "capillary_glucose"}
                else {
                    "coding": [
                        {
                            "system": systems.OBSERVATION_CATEGORY,
                            "code": "laboratory",
                            "display": "Laboratory",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {
                        "system": systems.LOINC,
                        "code": kind.loinc,
                        "display": registry.label(ObservationKind, ob.kind),
                    }
                ],
                "text": registry.label(ObservationKind, ob.kind),
            },
            "subject": subject(row),
            "encounter": reference("Encounter", row.parent_id) if row.parent_id else None,
            "effectiveDateTime": instant(row.occurred_at),
            "issued": instant(row.created_at),
            "performer": [author(row)],
        }
        if kind.has_second_value:
            resource["component"] = [
                {
                    "code": {"coding": [{"system": systems.LOINC, "code": obs.SYSTOLIC_LOINC}]},
                    "valueQuantity": _quantity(ob.value, ob.unit),
                },
                {
                    "code": {"coding": [{"system": systems.LOINC, "code": kind.second_loinc}]},
                    "valueQuantity": _quantity(ob.value2, ob.unit)
                    if ob.value2 is not None
                    else None,
                },
            ]
        else:
            resource["valueQuantity"] = _quantity(ob.value, ob.unit)
        return resource

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **self.patient_params(),
            "date": date_param("date", "occurred_at", documentation=_("When it was measured.")),
            "code": code_param(
                "code",
                "observation__kind",
                KIND_OF_LOINC,
                systems.LOINC,
                _("LOINC code of the measure."),
            ),
            "category": code_param(
                "category",
                "observation__kind__in",
                lambda c: {
                    "vital-signs": VITAL_KINDS,
                    "laboratory": ["hba1c", "capillary_glucose"],
                }.get(c),
                systems.OBSERVATION_CATEGORY,
                _("vital-signs or laboratory."),
            ),
            "encounter": reference_param(
                "encounter", "parent_id", ("Encounter",), _("The encounter.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {**self.patient_include("patient"), **self.patient_include("subject")}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        access = self.access_for(caller, resource, "subject")
        require_write(access, Section.CLINICAL)
        kind_code = None
        for coding in (resource.get("code") or {}).get("coding") or []:
            if coding.get("system") == systems.LOINC and coding.get("code") in KIND_OF_LOINC:
                kind_code = KIND_OF_LOINC[coding["code"]]
        if kind_code is None:
            raise fail(
                422,
                "not-supported",
                _("This measure is not recorded here: use one of the LOINC codes %(codes)s.")
                % {"codes": ", ".join(sorted(KIND_OF_LOINC))},
                "Observation.code",
            )
        kind = obs.KINDS[kind_code]
        values: list[Any] = []
        if kind.has_second_value:
            by_code = {
                (c.get("code") or {}).get("coding", [{}])[0].get("code"): c.get("valueQuantity")
                or {}
                for c in resource.get("component") or []
            }
            values = [by_code.get(obs.SYSTOLIC_LOINC), by_code.get(kind.second_loinc)]
            if not all(values):
                raise fail(
                    422,
                    "required",
                    _("Give the systolic and the diastolic values (component)."),
                    "Observation.component",
                )
        else:
            values = [resource.get("valueQuantity")]
            if not values[0]:
                raise fail(
                    422,
                    "required",
                    _("Give the value (valueQuantity)."),
                    "Observation.valueQuantity",
                )
        try:
            numbers = [_in_unit(q, kind.unit) for q in values]
            first, second = obs.check(
                kind_code, numbers[0], numbers[1] if len(numbers) > 1 else None
            )
        except obs.ObservationError as exc:
            from maillage.record.forms import observation_error

            _second, error = observation_error(kind_code, exc)
            raise fail(422, "value", " ".join(error.messages), "Observation.value") from None
        when = resource.get("effectiveDateTime")
        moment = parse_datetime(when) if when else None
        if when and moment is None:
            raise fail(
                422,
                "value",
                _("effectiveDateTime must be a date and time."),
                "Observation.effectiveDateTime",
            )
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment is not None and moment > timezone.now() + datetime.timedelta(minutes=5):
            raise fail(
                422,
                "value",
                _("A measure cannot be recorded in the future."),
                "Observation.effectiveDateTime",
            )
        parent = None
        encounter_ref = str((resource.get("encounter") or {}).get("reference", ""))
        if encounter_ref:
            pk = encounter_ref.rpartition("/")[2]
            parent = (
                Entry.objects.filter(
                    person=access.person,
                    kind=EntryKind.ENCOUNTER,
                    pk=int_id(pk) or 0,
                )
                .filter(section__in=sorted(access.readable))
                .first()
            )
            if parent is None:
                raise fail(
                    422,
                    "value",
                    _("This encounter is not in this person's record."),
                    "Observation.encounter",
                )
        entries = actions.do_add_observations(
            access,
            [actions.ObservationInput(kind_code, first, second)],
            occurred_at=moment,
            parent=parent,
        )
        mapped = {
            "resourceType",
            "id",
            "meta",
            "status",
            "category",
            "code",
            "subject",
            "encounter",
            "effectiveDateTime",
            "issued",
            "performer",
            "valueQuantity",
            "component",
        }
        return Written(entries[0], {k: v for k, v in resource.items() if k not in mapped})


VITAL_KINDS = [k for k in obs.KINDS if k not in {"hba1c", "capillary_glucose"}]

# Exact UCUM conversions to the unit the record keeps (the official examples weigh in
# pounds and measure in inches).
CONVERSIONS = {
    ("kg", "[lb_av]"): Decimal("0.45359237"),
    ("kg", "g"): Decimal("0.001"),
    ("cm", "[in_i]"): Decimal("2.54"),
    ("cm", "m"): Decimal("100"),
    ("cm", "mm"): Decimal("0.1"),
}


def _in_unit(quantity: dict[str, Any], unit: str) -> Decimal:
    """The quantity's value in ``unit``; 422 for a unit that does not convert exactly."""
    given = quantity.get("code") or quantity.get("unit") or unit
    value = obs.parse_value(str(quantity.get("value")))
    if given == unit:
        return value
    factor = CONVERSIONS.get((unit, given))
    if factor is None:
        raise fail(
            422,
            "value",
            _("Give this measure in %(unit)s (UCUM code “%(unit)s”).") % {"unit": unit},
            "Observation.valueQuantity.code",
        )
    return value * factor


# --- Condition ---------------------------------------------------------------------------

CLINICAL_STATUS = {ProblemStatus.ACTIVE: "active", ProblemStatus.RESOLVED: "resolved"}
PROBLEM_STATUS = {
    "active": ProblemStatus.ACTIVE,
    "recurrence": ProblemStatus.ACTIVE,
    "relapse": ProblemStatus.ACTIVE,
    "resolved": ProblemStatus.RESOLVED,
    "remission": ProblemStatus.RESOLVED,
    "inactive": ProblemStatus.RESOLVED,
}


class ConditionType(EntryType):
    name = "Condition"
    kind = EntryKind.PROBLEM
    documentation = gettext_lazy(
        "Problems of the record, coded in ICPC-2 or ICD-10 or written freely."
    )
    writable = frozenset({"create", "update"})

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        coding = []
        if row.code and row.code_system in CODE_SYSTEMS:
            coding.append({"system": CODE_SYSTEMS[row.code_system], "code": row.code})
        status = CLINICAL_STATUS.get(row.status, "active")
        return {
            "resourceType": "Condition",
            "id": str(row.pk),
            "meta": entry_meta(row),
            "clinicalStatus": {"coding": [{"system": systems.CONDITION_CLINICAL, "code": status}]},
            "verificationStatus": {
                "coding": [{"system": systems.CONDITION_VERIFICATION, "code": "confirmed"}]
            },
            "category": [
                {"coding": [{"system": systems.CONDITION_CATEGORY, "code": "problem-list-item"}]},
                section_coding(row.section),
            ],
            "code": {"coding": coding, "text": row.title},
            "subject": subject(row),
            "encounter": reference("Encounter", row.parent_id) if row.parent_id else None,
            "onsetDateTime": row.onset.isoformat() if row.onset else None,
            "abatementDateTime": row.ended.isoformat() if row.ended else None,
            "recordedDate": instant(row.created_at),
            "recorder": author(row),
            "note": [{"text": row.text}] if row.text else [],
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **self.patient_params(),
            "clinical-status": code_param(
                "clinical-status",
                "status",
                PROBLEM_STATUS,
                systems.CONDITION_CLINICAL,
                _("active or resolved."),
            ),
            "code": Param("code", "token", _condition_code, _("ICPC-2 or ICD-10 code.")),
            "onset-date": date_param(
                "onset-date", "onset", as_date=True, documentation=_("Since when.")
            ),
            "recorded-date": date_param(
                "recorded-date", "created_at", documentation=_("When it was written.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {**self.patient_include("patient"), **self.patient_include("subject")}

    def _fields(
        self, resource: dict[str, Any], access: RecordAccess, section: str
    ) -> dict[str, Any]:
        code = resource.get("code") or {}
        system, value = "", ""
        mapped = _mapped_coding(code)
        if mapped is not None:
            coding = code["coding"][mapped]
            system, value = CODE_SYSTEM_OF[coding["system"]], coding["code"]
        title = _problem_title(code)
        onset = resource.get("onsetDateTime") or ""
        form = ProblemForm(
            data={
                "title": title,
                "code_system": system,
                "code": value,
                "onset": onset[:10],
                "text": "\n".join(n.get("text", "") for n in resource.get("note") or []),
                "section": section,
            },
            access=access,
        )
        if not form.is_valid():
            where = {
                "title": "code.text",
                "code": "code",
                "code_system": "code",
                "onset": "onsetDateTime",
                "section": "category",
                "text": "note",
            }
            paths = {f: f"Condition.{where.get(f, f)}" for f in form.errors}
            raise form_error(form, paths, "Condition")
        data = dict(form.cleaned_data)
        status_codes = [
            c.get("code") for c in (resource.get("clinicalStatus") or {}).get("coding") or []
        ]
        data["status"] = next(
            (PROBLEM_STATUS[c] for c in status_codes if c in PROBLEM_STATUS), ProblemStatus.ACTIVE
        )
        ended = resource.get("abatementDateTime")
        data["ended"] = parse_date(ended[:10]) if ended else None
        return data

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        access = self.access_for(caller, resource, "subject")
        section = section_from(resource.get("category")) or Section.CLINICAL
        require_write(access, section)
        data = self._fields(resource, access, section)
        entry = actions.do_add_problem(access, **ProblemForm.problem(data))
        if data["status"] != ProblemStatus.ACTIVE or data["ended"]:
            entry = actions.do_correct_entry(
                access, entry, {"status": data["status"], "ended": data["ended"]}, reason="FHIR"
            )
        return Written(entry, _kept_condition(resource, entry.title))

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        access = self.access_for(caller, resource, "subject")
        if access.person.pk != row.person_id:
            raise fail(
                422,
                "business-rule",
                _("A problem cannot move to another person's record."),
                "Condition.subject",
            )
        require_write(access, row.section)
        data = self._fields(resource, access, row.section)
        changes = {
            k: data.get(k) or ("" if k in {"title", "text", "code", "code_system"} else None)
            for k in ("title", "text", "code_system", "code", "onset", "ended", "status")
        }
        entry = actions.do_correct_entry(access, row, changes, reason="FHIR")
        return Written(entry, _kept_condition(resource, entry.title))


def _problem_title(code: dict[str, Any]) -> str:
    """The problem's title: the code's text, else a coding's display, else the code."""
    mapped = _mapped_coding(code)
    return str(
        code.get("text")
        or next((c.get("display") for c in code.get("coding") or [] if c.get("display")), "")
        or (code["coding"][mapped]["code"] if mapped is not None else "")
    )


def _mapped_coding(code: dict[str, Any]) -> int | None:
    """The position of the coding a problem takes its code from: the first ICPC-2 or
    ICD-10 one."""
    for index, coding in enumerate(code.get("coding") or []):
        if coding.get("system") in CODE_SYSTEM_OF and coding.get("code"):
            return index
    return None


def _kept_condition(resource: dict[str, Any], title: str) -> dict[str, Any]:
    mapped = {
        "resourceType",
        "id",
        "meta",
        "clinicalStatus",
        "verificationStatus",
        "category",
        "code",
        "subject",
        "encounter",
        "onsetDateTime",
        "abatementDateTime",
        "recordedDate",
        "recorder",
        "note",
    }
    kept = {k: v for k, v in resource.items() if k not in mapped}
    # A problem coded in other systems too (SNOMED CT…): the whole code is kept, with the
    # title the record takes, so that its codings come back while the problem reads the
    # same (kept.py).
    code = resource.get("code") or {}
    taken = _mapped_coding(code)
    if any(i != taken for i, _c in enumerate(code.get("coding") or [])):
        kept["code"] = {"coding": code["coding"], "text": title}
    return kept


def _condition_code(values: list[Token], modifier: str) -> Q:
    conditions = []
    for token in values:
        if token.code is None:
            continue
        system = CODE_SYSTEM_OF.get(token.system or "") if token.system else None
        if token.system and system is None:
            continue
        condition = Q(code__iexact=token.code)
        if system:
            condition &= Q(code_system=system)
        conditions.append(condition)
    return any_of(conditions)


# --- MedicationStatement -----------------------------------------------------------------

MEDICATION_STATUS = {TreatmentStatus.ACTIVE: "active", TreatmentStatus.STOPPED: "stopped"}


class MedicationStatementType(EntryType):
    name = "MedicationStatement"
    kind = EntryKind.TREATMENT
    documentation = gettext_lazy("Treatments of the record, as written by the team (free text).")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return {
            "resourceType": "MedicationStatement",
            "id": str(row.pk),
            "meta": entry_meta(row),
            "status": MEDICATION_STATUS.get(row.status, "active"),
            "medicationCodeableConcept": {"text": row.text or row.title or "—"},
            "subject": subject(row),
            "effectivePeriod": {
                "start": row.onset.isoformat() if row.onset else None,
                "end": row.ended.isoformat() if row.ended else None,
            },
            "dateAsserted": instant(row.created_at),
            "informationSource": author(row),
        }

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            **self.patient_params(),
            "status": code_param(
                "status",
                "status",
                {v: k for k, v in MEDICATION_STATUS.items()},
                "http://hl7.org/fhir/CodeSystem/medication-statement-status",
                _("active or stopped."),
            ),
            "effective": date_param(
                "effective", "onset", as_date=True, documentation=_("Since when.")
            ),
        }

    def includes(self) -> dict[str, Include]:
        return self.patient_include("patient")
