"""The demo's agenda: rooms, the team's working hours, the interpreters' languages, and
three weeks of appointments around today — co-consultations, interpreted consultations,
social interviews, home visits and calls — with today's desk at every status."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from maillage.agenda import actions
from maillage.agenda.models import (
    AppointmentKind,
    Equipment,
    Interpreting,
    MemberLanguage,
    Room,
    WorkingHours,
)
from maillage.core.models import Member, Structure
from maillage.core.roles import Role
from maillage.lib import appointments as flow
from maillage.people.models import Person

ROOMS = [
    ("Cabinet 1", [Equipment.EXAMINATION_TABLE, Equipment.COMPUTER, Equipment.WHEELCHAIR]),
    ("Cabinet 2", [Equipment.EXAMINATION_TABLE, Equipment.COMPUTER, Equipment.SPEAKERPHONE]),
    ("Bureau social", [Equipment.COMPUTER, Equipment.SPEAKERPHONE]),
    ("Salle des familles", [Equipment.LARGE, Equipment.CHILDREN, Equipment.WHEELCHAIR]),
]
REASONS = {
    AppointmentKind.CONSULTATION: ["Suivi du diabète", "Toux depuis dix jours", "Vaccins"],
    AppointmentKind.CO_CONSULTATION: [
        "Bilan médical et social après l'arrivée en France",
        "Douleurs chroniques et situation de logement",
    ],
    AppointmentKind.SOCIAL_INTERVIEW: [
        "Renouvellement de la complémentaire santé solidaire",
        "Demande d'aide médicale de l'État",
    ],
    AppointmentKind.HOME_VISIT: ["Visite après la sortie de l'hôpital"],
    AppointmentKind.PHONE_CALL: ["Résultats d'analyse à expliquer"],
}
MORNING, AFTERNOON = (
    (datetime.time(9), datetime.time(12, 30)),
    (datetime.time(14), datetime.time(18)),
)


def load_agenda(structure: Structure, persons: list[Person], seed: int = 2026) -> int:
    """Book the demo's appointments through the actions (so that they never overlap);
    returns how many were booked."""
    rng = random.Random(seed)
    desk = Member.objects.filter(structure=structure, role=Role.RECEPTION).first()
    team = list(
        Member.objects.filter(structure=structure, is_active=True)
        .exclude(role__in=[Role.ADMIN, Role.PARTNER, Role.NETWORK_OBSERVER])
        .select_related("user")
        .order_by("pk")
    )
    if desk is None or not team or not persons:
        return 0
    rooms = [
        Room.objects.create(structure=structure, name=name, equipment=list(equipment))
        for name, equipment in ROOMS
    ]
    for member in team:
        WorkingHours.objects.bulk_create(
            WorkingHours(member=member, weekday=day, starts=start, ends=end)
            for day in range(5)
            for start, end in (MORNING, AFTERNOON)
        )
    interpreters = [m for m in team if m.role == Role.INTERPRETER]
    for member, language in zip(interpreters, ["ar", "ar", "ta", "ps"], strict=False):
        MemberLanguage.objects.create(member=member, language=language)
    for member in interpreters[:1]:
        MemberLanguage.objects.get_or_create(member=member, language="ber")
    clinicians = [m for m in team if m.role in {Role.GP, Role.NURSE, Role.MIDWIFE}]
    social = [m for m in team if m.role in {Role.SOCIAL_WORKER, Role.MEDIATOR}]
    if not clinicians or not social:
        return 0

    today = timezone.localdate()
    booked = 0
    for offset in range(-7, 15):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for slot in range(10):
            hour = 9 + slot // 2 if slot < 6 else 14 + (slot - 6)
            minute = 30 * (slot % 2) if slot < 6 else 0
            start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
            kind = rng.choice(
                [AppointmentKind.CONSULTATION] * 4
                + [AppointmentKind.CO_CONSULTATION, AppointmentKind.SOCIAL_INTERVIEW] * 2
                + [AppointmentKind.HOME_VISIT, AppointmentKind.PHONE_CALL]
            )
            members = {
                AppointmentKind.CO_CONSULTATION: [rng.choice(clinicians), rng.choice(social)],
                AppointmentKind.SOCIAL_INTERVIEW: [rng.choice(social)],
            }.get(kind, [rng.choice(clinicians)])
            person = rng.choice(persons)
            interpreting, language, interpreter = Interpreting.NONE, "", None
            if person.interpreter_needed and person.interpreting_language:
                speaking = [
                    m
                    for m in interpreters
                    if m.languages.filter(language=person.interpreting_language).exists()
                ]
                interpreting = rng.choice([Interpreting.ON_SITE, Interpreting.PHONE])
                language = person.interpreting_language
                interpreter = speaking[0] if speaking else None
            room = None
            if kind not in {AppointmentKind.HOME_VISIT, AppointmentKind.PHONE_CALL}:
                room = rng.choice(rooms)
            booking = actions.Booking(
                kind=kind,
                members=members,
                starts_at=start,
                duration=datetime.timedelta(minutes=45 if kind == "co_consultation" else 30),
                person=person,
                room=room,
                place=person.address if kind == AppointmentKind.HOME_VISIT else "",
                reason=rng.choice(REASONS[kind]),
                interpreting=interpreting,
                language=language,
                interpreter=interpreter,
            )
            try:
                appointment = actions.do_book_appointment(desk, booking)
            except actions.Conflict:
                continue
            booked += 1
            _live(desk, appointment, day, today, rng)
    return booked + _by_name(desk, social, today)


# Persons who phoned for an appointment and are not registered yet (synthetic).
BY_NAME = [("Samira KHELIFI", "06 98 00 12 34"), ("Oumar SYLLA", "07 61 00 45 67")]


def _by_name(desk: Member, social: list[Member], today: datetime.date) -> int:
    """Two first social interviews booked by name and phone, on the next two working days
    (today included), for the desk to attach to a record when the person arrives."""
    days = [today + datetime.timedelta(days=n) for n in range(7)]
    days = [d for d in days if d.weekday() < 5][:2]
    booked = 0
    for (name, phone), day in zip(BY_NAME, days, strict=False):
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 30)))
        for member in social:
            booking = actions.Booking(
                kind=AppointmentKind.SOCIAL_INTERVIEW,
                members=[member],
                starts_at=start,
                duration=datetime.timedelta(minutes=30),
                unregistered_name=name,
                unregistered_phone=phone,
                reason="Première venue : ouverture des droits",
            )
            try:
                actions.do_book_appointment(desk, booking)
            except actions.Conflict:
                continue
            booked += 1
            break
    return booked


def _live(desk: Member, appointment: object, day: datetime.date, today: datetime.date,
          rng: random.Random) -> None:  # fmt: skip
    """Past appointments happened (or not); today's are at every step of the desk."""
    from maillage.agenda.models import Appointment

    assert isinstance(appointment, Appointment)
    now = timezone.now()
    if day < today or (day == today and appointment.ends_at < now):
        if rng.random() < 0.1:
            actions.do_set_status(desk, appointment, flow.NO_SHOW, now=appointment.starts_at)
            return
        if rng.random() < 0.05:
            actions.do_cancel_appointment(appointment, reason="Empêchement", author=desk)
            return
        arrived = appointment.starts_at - datetime.timedelta(minutes=rng.randint(0, 15))
        actions.do_set_status(desk, appointment, flow.ARRIVED, now=arrived)
        called = appointment.starts_at + datetime.timedelta(minutes=rng.randint(0, 20))
        actions.do_set_status(desk, appointment, flow.IN_CONSULTATION, now=called)
        actions.do_set_status(desk, appointment, flow.SEEN, now=appointment.ends_at)
    elif day == today and appointment.starts_at < now + datetime.timedelta(hours=1):
        step = rng.choice([flow.ARRIVED, flow.WAITING, flow.IN_CONSULTATION, flow.EXPECTED])
        if step == flow.EXPECTED:
            return
        arrived = min(now, appointment.starts_at) - datetime.timedelta(minutes=rng.randint(2, 25))
        actions.do_set_status(desk, appointment, flow.ARRIVED, now=arrived)
        if step in {flow.WAITING, flow.IN_CONSULTATION}:
            actions.do_set_status(desk, appointment, flow.WAITING, now=arrived)
        if step == flow.IN_CONSULTATION:
            actions.do_set_status(desk, appointment, flow.IN_CONSULTATION, now=now)
