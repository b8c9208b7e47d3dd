"""The agenda: Appointment (one or more members meet a person, in a room or elsewhere,
possibly with an interpreter) and Location (the structure's rooms).

An appointment is read by every member of the structure who sees the agendas, and by the
person themself (their space shows them their appointments). Why the person comes (the
reason) and the notes for reception are coordination-section content: they are given
only to a member the agenda would show them to (``agenda.queries.readable_reasons``: they
take part, or read the person's coordination section, or — for someone not registered
yet — may book); the person reads the reason of their own appointments, not the team's
notes for reception.

Mapping of an appointment:

- ``status``: expected → booked, arrived → arrived, waiting and in consultation →
  checked-in, seen → fulfilled, no-show → noshow, cancelled → cancelled; the desk's exact
  status is also given as a ``meta.tag`` of ``urn:maillage:codesystem:appointment-status``
  (an update may name it to call a person in, which FHIR's statuses cannot tell apart);
- ``appointmentType``: the kind (``urn:maillage:codesystem:appointment-kind``);
- ``description``: the reason; ``comment``: the notes for reception; ``cancelationReason``:
  why it was cancelled (the same rule as the reason);
- ``participant``: the person (``Patient/{id}``, or ``actor.display`` alone — with
  ``actor.type`` Patient — while they are not registered), every member
  (``PractitionerRole/{id}``), the room (``Location/room-{id}``) or the place outside the
  centre (``actor.display`` alone, ``actor.type`` Location), the interpreter;
- the interpreter: a participant of type ``TRANSL`` (v3 ParticipationType), with the way
  of interpreting (``urn:maillage:codesystem:interpreting``: on site or by phone) as a
  second coding of that type, and the language to interpret in words in the type's
  ``text``. The actor is the interpreter of the team (``PractitionerRole``) or the
  interpreting service of the directory (``HealthcareService``); while nobody is chosen
  yet the participant has no actor and the status ``needs-action``. Decision: FHIR R4 has
  no element for the language of an appointment and the brief rules out an extension;
  the participant's ``type.text`` keeps it next to the interpreter, readable by anyone
  who reads the appointment (the desk needs it as much as the members). A program that
  books gives the language as a ``urn:ietf:bcp:47`` coding in that participant's
  ``type``; without one, the person's interpreting language is taken.

Writes go through the agenda's actions: a create is checked by the booking form
(``BookingForm``: same rules, same messages) and booked by ``do_book_appointment`` (a
slot taken answers 409 with the conflicts in words); an update changes only the status,
through ``do_set_status`` (the desk's day, or a member who takes part calling the person
in and seeing them out) or ``do_cancel_appointment`` (with ``cancelationReason``, as the
cancel form asks). Moving an appointment stays on its page. Elements Maillage has no
field for are not kept: an appointment is read by members who may not read its reason,
and what a program wrote beside it would escape that rule. Identifiers are kept.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.agenda import actions
from maillage.agenda.forms import BookingForm
from maillage.agenda.models import (
    Appointment,
    AppointmentKind,
    AppointmentMember,
    AppointmentStatus,
    Interpreting,
    Room,
)
from maillage.agenda.queries import rooms_of
from maillage.core.access import can, persons_with_section
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.fhir import systems
from maillage.fhir.access import own_record
from maillage.fhir.caller import Caller
from maillage.fhir.errors import FhirError, Issue, fail, form_error
from maillage.fhir.registry import (
    Context,
    Include,
    ResourceType,
    Written,
    coding,
    instant,
    reference,
)
from maillage.fhir.resources.directory import services_readable
from maillage.fhir.search import Param, Token, date_param, id_values, string_param
from maillage.lib import appointments as flow
from maillage.people.choices import LANGUAGE_LABELS
from maillage.people.models import Person

KIND_SYSTEM = systems.local("appointment-kind")
DESK_STATUS_SYSTEM = systems.local("appointment-status")
INTERPRETING_SYSTEM = systems.local("interpreting")
APPOINTMENT_STATUS = "http://hl7.org/fhir/appointmentstatus"
LOCATION_STATUS = "http://hl7.org/fhir/location-status"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ROOM_PREFIX = "room-"
SECTION = Section.COORDINATION

STATUS_TO_FHIR = {
    flow.EXPECTED: "booked",
    flow.ARRIVED: "arrived",
    flow.WAITING: "checked-in",
    flow.IN_CONSULTATION: "checked-in",
    flow.SEEN: "fulfilled",
    flow.NO_SHOW: "noshow",
    flow.CANCELLED: "cancelled",
}
# FHIR status → the desk's statuses it stands for (the first when it must be chosen).
STATUS_FROM_FHIR: dict[str, tuple[str, ...]] = {
    code: tuple(desk for desk, fhir in STATUS_TO_FHIR.items() if fhir == code)
    for code in dict.fromkeys(STATUS_TO_FHIR.values())
}

# Annotations of the readable queryset: whether the reason (and the notes for reception)
# are shown to the caller, decided in the same query as the rows.
REASON_SHOWN = "fhir_reason_shown"
NOTES_SHOWN = "fhir_notes_shown"


def room_id(pk: int) -> str:
    return f"{ROOM_PREFIX}{pk}"


# --- Who reads what ---------------------------------------------------------------------


def _agenda_member(caller: Caller) -> Member | None:
    member = caller.member
    if member is not None and can(member, "view_agenda", member.structure):
        return member
    return None


def reason_condition(member: Member) -> Q:
    """``agenda.queries.readable_reasons`` as a condition on appointments of the
    member's structure: they take part (as a member or the interpreter), or they read the
    person's coordination section, or the person is not registered yet and they may
    book."""
    takes_part = Exists(
        AppointmentMember.objects.filter(appointment_id=OuterRef("pk"), member_id=member.pk)
    )
    coordination = persons_with_section(member, SECTION).values("pk")
    condition = Q(takes_part) | Q(interpreter_id=member.pk) | Q(person_id__in=coordination)
    if can(member, "book_appointment", member.structure):
        condition |= Q(person__isnull=True)
    return condition


def _flag(condition: Q | bool) -> Any:
    if isinstance(condition, bool):
        return Value(condition, output_field=BooleanField())
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def appointments_readable(caller: Caller) -> QuerySet[Appointment]:
    if caller.person is not None:
        return Appointment.objects.filter(own_record(caller)).annotate(
            **{REASON_SHOWN: _flag(True), NOTES_SHOWN: _flag(False)}
        )
    member = _agenda_member(caller)
    if member is None:
        return Appointment.objects.none()
    shown = _flag(reason_condition(member))
    return Appointment.objects.filter(structure_id=member.structure_id).annotate(
        **{REASON_SHOWN: shown, NOTES_SHOWN: shown}
    )


# --- Rendering --------------------------------------------------------------------------


def _interpreter(row: Appointment) -> dict[str, Any] | None:
    if row.interpreting == Interpreting.NONE:
        return None
    mode = str(Interpreting(row.interpreting).label)
    language = str(LANGUAGE_LABELS.get(row.language, row.language))
    actor: dict[str, Any] | None = None
    if row.interpreter_id is not None and row.interpreter is not None:
        actor = reference("PractitionerRole", row.interpreter_id, row.interpreter.display_name)
    elif row.interpreter_service_id is not None and row.interpreter_service is not None:
        actor = reference(
            "HealthcareService", row.interpreter_service_id, row.interpreter_service.nom
        )
    return {
        "type": [
            {
                "coding": [
                    coding(systems.PARTICIPATION_TYPE, "TRANSL", "Translator"),
                    coding(INTERPRETING_SYSTEM, row.interpreting, mode),
                ],
                "text": (
                    _("%(mode)s — %(language)s") % {"mode": mode, "language": language}
                    if row.language
                    else mode
                ),
            }
        ],
        "actor": actor,
        "required": "required",
        "status": "accepted" if actor else "needs-action",
    }


def render_appointment(row: Appointment, ctx: Context) -> dict[str, Any]:
    reason_shown = bool(getattr(row, REASON_SHOWN, False))
    notes_shown = bool(getattr(row, NOTES_SHOWN, False))
    participants: list[dict[str, Any]] = []
    person_status = "declined" if row.cancelled_by_person else "accepted"
    if row.person_id is not None and row.person is not None:
        participants.append(
            {
                "actor": reference("Patient", row.person_id, row.person.display_name),
                "required": "required",
                "status": person_status,
            }
        )
    elif row.unregistered_name:
        participants.append(
            {
                "actor": {"type": "Patient", "display": row.unregistered_name},
                "required": "required",
                "status": person_status,
            }
        )
    for held in row.participants.all():
        if held.as_interpreter:
            continue
        participants.append(
            {
                "actor": reference("PractitionerRole", held.member_id, held.member.display_name),
                "required": "required",
                "status": "accepted",
            }
        )
    interpreter = _interpreter(row)
    if interpreter is not None:
        participants.append(interpreter)
    if row.room_id is not None and row.room is not None:
        participants.append(
            {
                "actor": reference("Location", room_id(row.room_id), row.room.name),
                "required": "required",
                "status": "accepted",
            }
        )
    if row.place:
        participants.append(
            {
                "actor": {"type": "Location", "display": row.place},
                "required": "required",
                "status": "accepted",
            }
        )
    kind_label = str(AppointmentKind(row.kind).label) if row.kind in AppointmentKind else row.kind
    status_label = str(AppointmentStatus(row.status).label)
    cancelled = row.status == flow.CANCELLED
    return {
        "resourceType": "Appointment",
        "id": str(row.pk),
        "meta": {"tag": [coding(DESK_STATUS_SYSTEM, row.status, status_label)]},
        "status": STATUS_TO_FHIR.get(row.status, "booked"),
        "cancelationReason": (
            {"text": row.cancel_reason}
            if cancelled and reason_shown and row.cancel_reason
            else None
        ),
        "appointmentType": {
            "coding": [coding(KIND_SYSTEM, row.kind, kind_label)],
            "text": kind_label,
        },
        "description": row.reason if reason_shown else None,
        "start": instant(row.starts_at),
        "end": instant(row.ends_at),
        "minutesDuration": row.duration_minutes or None,
        "created": instant(row.created_at),
        "comment": row.reception_notes if notes_shown else None,
        "participant": participants,
    }


# --- Search -----------------------------------------------------------------------------


def _status_param() -> Param:
    def build(values: list[Token], modifier: str) -> Q:
        wanted: set[str] = set()
        for token in values:
            if token.code is None:
                if token.system in (APPOINTMENT_STATUS, DESK_STATUS_SYSTEM):
                    wanted |= set(STATUS_TO_FHIR)
                continue
            if token.system in (None, APPOINTMENT_STATUS):
                wanted |= set(STATUS_FROM_FHIR.get(token.code, ()))
            if token.system in (None, DESK_STATUS_SYSTEM) and token.code in STATUS_TO_FHIR:
                wanted.add(token.code)
        return Q(status__in=sorted(wanted))

    return Param(
        "status",
        "token",
        build,
        _(
            "booked, arrived, checked-in, fulfilled, noshow, cancelled; or the desk's own "
            "status (urn:maillage:codesystem:appointment-status)."
        ),
    )


def _kind_param() -> Param:
    def build(values: list[Token], modifier: str) -> Q:
        kinds = [
            t.code
            for t in values
            if t.system in (None, KIND_SYSTEM) and t.code in AppointmentKind.values
        ]
        return Q(kind__in=kinds)

    return Param("appointment-type", "token", build, _("The kind of appointment."))


def _practitioner(values: list[str], modifier: str) -> Q:
    held = AppointmentMember.objects.filter(member_id__in=id_values(values)).values(
        "appointment_id"
    )
    return Q(pk__in=held)


def _actor(values: list[str], modifier: str) -> Q:
    return Q(person_id__in=id_values(values)) | Q(room_id__in=id_values(values, ROOM_PREFIX))


# --- Writing ----------------------------------------------------------------------------

FORM_FIELDS = {
    "kind": "Appointment.appointmentType",
    "members": "Appointment.participant",
    "duration": "Appointment.end",
    "room": "Appointment.participant",
    "interpreting": "Appointment.participant",
    "language": "Appointment.participant",
    "date": "Appointment.start",
    "time": "Appointment.start",
    "unregistered_name": "Appointment.participant",
    "place": "Appointment.participant",
    "interpreter": "Appointment.participant",
    "interpreter_service": "Appointment.participant",
    "reason": "Appointment.description",
    "reception_notes": "Appointment.comment",
}


def _moment(raw: Any, where: str) -> datetime.datetime | None:
    if not raw:
        return None
    moment = parse_datetime(str(raw))
    if moment is None:
        raise fail(
            400, "value", _("“%(value)s” is not a date and time.") % {"value": str(raw)[:40]}, where
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _ref_parts(actor: dict[str, Any]) -> tuple[str, str]:
    """The type and id an actor points to ("" when it does not point anywhere)."""
    ref = str(actor.get("reference") or "")
    kind = str(actor.get("type") or "").rstrip("/").rsplit("/", 1)[-1]
    if ref:
        parts = ref.rstrip("/").split("/")
        if len(parts) >= 2:
            return parts[-2], parts[-1]
        return kind, parts[-1]
    return kind, ""


def _codes(participant: dict[str, Any], system: str | None = None) -> list[str]:
    return [
        str(c.get("code") or "")
        for concept in participant.get("type") or []
        for c in concept.get("coding") or []
        if system is None or c.get("system") == system
    ]


def _unknown(where: str, what: str) -> FhirError:
    return fail(
        422,
        "not-found",
        _("%(what)s is not here, or you may not read it.") % {"what": what[:80]},
        where,
    )


class _Parsed:
    def __init__(self) -> None:
        self.members: list[str] = []
        self.person: Person | None = None
        self.unregistered_name = ""
        self.room = ""
        self.place = ""
        self.interpreting = Interpreting.NONE.value
        self.language = ""
        self.interpreter = ""
        self.interpreter_service = ""


def _parse_participants(caller: Caller, member: Member, resource: dict[str, Any]) -> _Parsed:
    parsed = _Parsed()
    where = "Appointment.participant"
    persons = 0
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") or {}
        kind, pk = _ref_parts(actor)
        codes = set(_codes(participant))
        if codes & {"TRANSL", "INTPRTR"}:
            modes = [
                c for c in _codes(participant, INTERPRETING_SYSTEM) if c in Interpreting.values
            ]
            parsed.interpreting = next(
                (m for m in modes if m != Interpreting.NONE), Interpreting.ON_SITE
            )
            languages = [c.split("-")[0].lower() for c in _codes(participant, systems.LANGUAGE)]
            parsed.language = next((c for c in languages if c in LANGUAGE_LABELS), parsed.language)
            if kind in {"PractitionerRole", "Practitioner"} and pk:
                parsed.interpreter = pk
            elif kind == "HealthcareService" and pk:
                found = services_readable(caller).filter(pk__in=id_values([pk])).first()
                if found is None:
                    raise _unknown(where, f"HealthcareService/{pk}")
                parsed.interpreter_service = str(found.pk)
            elif pk:
                raise fail(
                    422,
                    "value",
                    _("The interpreter is a member of the team or an interpreting service."),
                    where,
                )
        elif kind == "Patient":
            persons += 1
            if pk:
                person = Person.objects.filter(pk__in=id_values([pk])).first()
                if (
                    person is None
                    or person.merged_into_id is not None
                    or not can(member, "view_identity", person)
                ):
                    raise _unknown(where, f"Patient/{pk}")
                parsed.person = person
            else:
                parsed.unregistered_name = str(actor.get("display") or "")
        elif kind == "Location":
            if pk:
                rooms = id_values([pk], ROOM_PREFIX)
                if not rooms:
                    raise _unknown(where, f"Location/{pk}")
                parsed.room = str(rooms[0])
            else:
                parsed.place = str(actor.get("display") or "")
        elif kind in {"PractitionerRole", "Practitioner"} and pk:
            parsed.members.append(pk)
        else:
            raise fail(
                422,
                "value",
                _(
                    "A participant is the person (Patient), a member (PractitionerRole), the "
                    "interpreter (type TRANSL), a room (Location) or a place (Location, "
                    "display only)."
                ),
                where,
            )
    if persons != 1:
        raise fail(
            422,
            "required",
            _("An appointment is with one person: give one participant of type Patient."),
            where,
        )
    if parsed.interpreting != Interpreting.NONE and not parsed.language and parsed.person:
        parsed.language = parsed.person.interpreting_language or ""
    return parsed


def _kind_of(resource: dict[str, Any]) -> str:
    concepts = [resource.get("appointmentType") or {}, *(resource.get("serviceType") or [])]
    for concept in concepts:
        for code in concept.get("coding") or []:
            if code.get("system") == KIND_SYSTEM and code.get("code"):
                return str(code["code"])
    return ""


def _booking_form(
    caller: Caller, member: Member, resource: dict[str, Any]
) -> tuple[BookingForm, Person | None]:
    if resource.get("status") != "booked":
        raise fail(
            422,
            "business-rule",
            _("An appointment is created “booked”; its status then follows the desk's day."),
            "Appointment.status",
        )
    start = _moment(resource.get("start"), "Appointment.start")
    if start is None:
        raise fail(422, "required", _("Give the start of the appointment."), "Appointment.start")
    end = _moment(resource.get("end"), "Appointment.end")
    if end is not None:
        minutes = (end - start).total_seconds() / 60
    elif resource.get("minutesDuration"):
        minutes = float(resource["minutesDuration"])
    else:
        raise fail(422, "required", _("Give the end of the appointment."), "Appointment.end")
    local = timezone.localtime(start)
    if local.second or local.microsecond or minutes != int(minutes):
        raise fail(
            422,
            "value",
            _("An appointment starts and ends on a whole minute."),
            "Appointment.start",
        )
    parsed = _parse_participants(caller, member, resource)
    data = {
        "kind": _kind_of(resource),
        "members": parsed.members,
        "duration": str(int(minutes)),
        "room": parsed.room,
        "interpreting": parsed.interpreting,
        "language": parsed.language,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "unregistered_name": parsed.unregistered_name,
        "place": parsed.place,
        "interpreter": parsed.interpreter,
        "interpreter_service": parsed.interpreter_service,
        "reason": str(resource.get("description") or ""),
        "reception_notes": str(resource.get("comment") or ""),
    }
    form = BookingForm(
        data,
        member=member,
        rooms=list(rooms_of(member.structure_id)),
        registered=parsed.person is not None,
    )
    if not form.is_valid():
        raise form_error(form, FORM_FIELDS, "Appointment")
    return form, parsed.person


def _same_time(row: Appointment, resource: dict[str, Any]) -> None:
    """An update changes the status only: a different time is refused, not ignored."""
    for name, current in (("start", row.starts_at), ("end", row.ends_at)):
        sent = _moment(resource.get(name), f"Appointment.{name}")
        if sent is not None and sent.replace(microsecond=0) != current.replace(microsecond=0):
            raise fail(
                422,
                "business-rule",
                _(
                    "Only the status of an appointment changes through this interface: "
                    "move it from its page in Maillage."
                ),
                f"Appointment.{name}",
            )


def _wanted_status(row: Appointment, resource: dict[str, Any]) -> str:
    fhir_status = str(resource.get("status") or "")
    desk = STATUS_FROM_FHIR.get(fhir_status)
    if not desk:
        raise fail(
            422,
            "business-rule",
            _("Maillage has no appointment status “%(status)s”.") % {"status": fhir_status[:30]},
            "Appointment.status",
        )
    tags = [
        str(t.get("code") or "")
        for t in (resource.get("meta") or {}).get("tag") or []
        if t.get("system") == DESK_STATUS_SYSTEM
    ]
    # The desk's status, when the tag agrees with the FHIR status (a tag left over from
    # an earlier read, with a status changed since, is not taken).
    for tag in tags:
        if tag in desk:
            return tag
    return row.status if row.status in desk else desk[0]


def _cancel_reason(resource: dict[str, Any]) -> str:
    concept = resource.get("cancelationReason") or {}
    texts = [concept.get("text") or ""] + [
        c.get("display") or "" for c in concept.get("coding") or []
    ]
    return next((str(t).strip() for t in texts if str(t).strip()), "")


def _refused(message: str) -> FhirError:
    return fail(403, "forbidden", message)


def _transition(row: Appointment, status: str) -> FhirError:
    return fail(
        422,
        "business-rule",
        _("This appointment cannot go from “%(current)s” to “%(wanted)s”.")
        % {
            "current": AppointmentStatus(row.status).label,
            "wanted": AppointmentStatus(status).label,
        },
        "Appointment.status",
    )


class AppointmentType(ResourceType):
    name = "Appointment"
    model = Appointment
    documentation = gettext_lazy(
        "Appointments of the agenda: the person, the members, the room or place, the "
        "interpreter (type TRANSL, the language in its text). The reason and the notes for "
        "reception only for a member who takes part or reads the person's coordination "
        "section. Created with the booking rules (409 when the slot is taken); an update "
        "changes the status only."
    )
    person_path = "person"
    writable = frozenset({"create", "update"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return appointments_readable(caller)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related(
            "person", "room", "interpreter__user", "interpreter_service"
        ).prefetch_related(
            Prefetch(
                "participants",
                queryset=AppointmentMember.objects.select_related("member__user"),
            )
        )

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_appointment(row, ctx)

    def section_of(self, row: Any) -> str:
        return SECTION

    def order(self) -> tuple[str, ...]:
        return ("starts_at", "pk")

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "date": date_param("date", "starts_at", documentation=_("When it starts.")),
            "status": _status_param(),
            "appointment-type": _kind_param(),
            "patient": Param(
                "patient",
                "reference",
                lambda values, _m: Q(person_id__in=id_values(values)),
                _("The person."),
                targets=("Patient",),
            ),
            "actor": Param(
                "actor",
                "reference",
                _actor,
                _("The person (Patient) or the room (Location/room-…)."),
                targets=("Patient", "Location"),
            ),
            "practitioner": Param(
                "practitioner",
                "reference",
                _practitioner,
                _("A member who takes part (the interpreter too)."),
                targets=("Practitioner", "PractitionerRole"),
            ),
            "location": Param(
                "location",
                "reference",
                lambda values, _m: Q(room_id__in=id_values(values, ROOM_PREFIX)),
                _("The room (Location/room-…)."),
                targets=("Location",),
            ),
        }

    def includes(self) -> dict[str, Include]:
        return {
            "Appointment:patient": Include(
                "Patient", lambda rows: {str(r.person_id) for r in rows if r.person_id}
            ),
            "Appointment:location": Include(
                "Location", lambda rows: {room_id(r.room_id) for r in rows if r.room_id}
            ),
            "Appointment:practitioner": Include(
                "Practitioner",
                lambda rows: {str(p.member_id) for r in rows for p in r.participants.all()},
            ),
        }

    # -- writing -------------------------------------------------------------------------

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None or not can(member, "book_appointment", member.structure):
            raise _refused(_("You may not book appointments in this structure."))
        form, person = _booking_form(caller, member, resource)
        booking = form.booking(person)
        try:
            appointment = actions.do_book_appointment(member, booking)
        except actions.Conflict as exc:
            raise FhirError(409, [Issue("conflict", reason) for reason in exc.reasons]) from None
        except PermissionDenied:
            raise _refused(_("You may not book this appointment.")) from None
        except ValueError:
            # The form already checks what the action refuses this way.
            raise fail(
                422, "business-rule", _("This appointment cannot be booked as it is.")
            ) from None
        return Written(appointment, identifiers=list(resource.get("identifier") or []))

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        member = caller.member
        if member is None:
            raise _refused(_("You may not change this appointment."))
        _same_time(row, resource)
        wanted = _wanted_status(row, resource)
        identifiers = list(resource.get("identifier") or [])
        if wanted == row.status:
            if not (
                actions.may_set_status(member, row, row.status)
                or can(member, "book_appointment", member.structure)
            ):
                raise _refused(_("You may not change this appointment."))
            return Written(row, identifiers=identifiers)
        if wanted == flow.CANCELLED:
            reason = _cancel_reason(resource)
            if not reason:
                raise fail(
                    422,
                    "required",
                    _("Say why the appointment is cancelled (cancelationReason)."),
                    "Appointment.cancelationReason",
                )
            try:
                actions.do_cancel_appointment(row, reason=reason, author=member)
            except PermissionDenied:
                raise _refused(_("You may not cancel this appointment.")) from None
            except flow.TransitionError:
                raise _transition(row, wanted) from None
            return Written(row, identifiers=identifiers)
        if not actions.may_set_status(member, row, wanted):
            raise _refused(
                _("You may not set this appointment to “%(status)s”.")
                % {"status": AppointmentStatus(wanted).label}
            )
        try:
            actions.do_set_status(member, row, wanted)
        except PermissionDenied:
            raise _refused(_("You may not change this appointment.")) from None
        except flow.TransitionError:
            raise _transition(row, wanted) from None
        return Written(row, identifiers=identifiers)


# --- Location: the rooms ----------------------------------------------------------------


def render_room(row: Room) -> dict[str, Any]:
    equipment = ", ".join(row.equipment_labels)
    description = " — ".join(
        part
        for part in (
            _("Equipment: %(list)s") % {"list": equipment} if equipment else "",
            row.details,
        )
        if part
    )
    return {
        "resourceType": "Location",
        "id": room_id(row.pk),
        "status": "active" if row.is_active else "inactive",
        "name": row.name,
        "description": description,
        "mode": "instance",
        "physicalType": {"coding": [coding(PHYSICAL_TYPE, "ro", "Room")]},
        "managingOrganization": reference("Organization", row.structure_id),
    }


class LocationType(ResourceType):
    name = "Location"
    model = Room
    documentation = gettext_lazy(
        "The structure's rooms (ids room-…): name, in use or not, equipment. Read by the "
        "structure's team."
    )
    person_path = ""

    def readable(self, caller: Caller) -> QuerySet[Any]:
        member = _agenda_member(caller)
        if member is None:
            return Room.objects.none()
        return Room.objects.filter(structure_id=member.structure_id)

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_room(row)

    def pk_of(self, fhir_id: str) -> Q:
        return Q(pk__in=id_values([fhir_id], ROOM_PREFIX))

    def fhir_id(self, row: Any) -> str:
        return room_id(row.pk)

    def order(self) -> tuple[str, ...]:
        return ("name", "pk")

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        def status(values: list[Token], modifier: str) -> Q:
            wanted = {
                t.code == "active"
                for t in values
                if t.system in (None, LOCATION_STATUS) and t.code in {"active", "inactive"}
            }
            return Q(is_active__in=sorted(wanted))

        return {
            "name": string_param("name", "name", documentation=_("Name of the room.")),
            "organization": Param(
                "organization",
                "reference",
                lambda values, _m: Q(structure_id__in=id_values(values)),
                _("The structure."),
                targets=("Organization",),
            ),
            "status": Param("status", "token", status, _("active (in use) or inactive.")),
        }
