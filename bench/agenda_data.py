"""The agenda of a large centre, shared by ``agenda_week`` and ``free_slots``.

30 members (3 of them interpreters in Arabic), 20 rooms, working hours Monday to Friday
9:00–12:30 and 14:00–18:00, and ``appointments`` appointments (100,000 at full size, a
tenth at small size) spread over the working days of the 600 days around today, on a grid of
30 minutes, never overlapping for a member, a room or an interpreter: a tenth are
co-consultations of two members, a tenth need an interpreter, two thirds take a room.
Written with ``bulk_create`` (the booking action's checks would take an hour at this
size); the agenda's own invariants are kept by construction.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from bench import SEED, analyze, log, make_centre

ROLES = ["gp", "gp", "nurse", "social_worker", "mediator", "psychologist", "midwife"]
MORNING = [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30), (12, 0)]
AFTERNOON = [(14, 0), (14, 30), (15, 0), (15, 30), (16, 0), (16, 30), (17, 0), (17, 30)]
SLOTS = [datetime.time(h, m) for h, m in [*MORNING, *AFTERNOON]]


def prepare(appointments: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.utils import timezone

    from maillage.agenda.models import (
        Appointment,
        AppointmentMember,
        MemberLanguage,
        Room,
        WorkingHours,
    )
    from maillage.core.models import Member, User
    from maillage.people.models import Person
    from maillage.people.synthetic import generate_persons

    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(SEED)
    centre = make_centre()
    structure = centre.structure
    generate_persons(structure, 2000, seed=SEED, created_by=centre.member)
    person_ids = list(Person.objects.filter(structure=structure).values_list("pk", flat=True))
    members = [
        Member.objects.create(
            user=User.objects.create_user(
                username=f"bench-{i}", password=None, first_name="Membre", last_name=f"{i:02d}"
            ),
            structure=structure,
            role="interpreter" if i >= 27 else ROLES[i % len(ROLES)],
            profession="autre",
        )
        for i in range(30)
    ]
    team, interpreters = members[:27], members[27:]
    for member in interpreters:
        MemberLanguage.objects.create(member=member, language="ar")
    WorkingHours.objects.bulk_create(
        WorkingHours(member=m, weekday=d, starts=s, ends=e)
        for m in members
        for d in range(5)
        for s, e in (
            (datetime.time(9), datetime.time(12, 30)),
            (datetime.time(14), datetime.time(18)),
        )
    )
    rooms = [Room.objects.create(structure=structure, name=f"Salle {i + 1}") for i in range(20)]

    today = timezone.localdate()
    days = [
        today + datetime.timedelta(days=offset)
        for offset in range(-300, 300)
        if (today + datetime.timedelta(days=offset)).weekday() < 5
    ]
    per_day = appointments / len(days)
    start = time.perf_counter()
    rows: list[Appointment] = []
    held: list[tuple[int, int, bool]] = []  # (row index, member pk, as interpreter)
    for day in days:
        count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
        free = {m.pk: set(range(len(SLOTS))) for m in members}
        rooms_free = {i: set(range(len(rooms))) for i in range(len(SLOTS))}
        for _ in range(count):
            who = rng.sample(team, 2 if rng.random() < 0.1 else 1)
            slots = set.intersection(*(free[m.pk] for m in who))
            interpreter = None
            if rng.random() < 0.1:
                speaking = [m for m in interpreters if free[m.pk] & slots]
                if speaking:
                    interpreter = rng.choice(speaking)
                    slots &= free[interpreter.pk]
            if not slots:
                continue
            slot = rng.choice(sorted(slots))
            room = None
            if rng.random() < 0.66 and rooms_free[slot]:
                room = rooms[rng.choice(sorted(rooms_free[slot]))]
                rooms_free[slot].discard(rooms.index(room))
            for m in who:
                free[m.pk].discard(slot)
            if interpreter is not None:
                free[interpreter.pk].discard(slot)
            begins = timezone.make_aware(datetime.datetime.combine(day, SLOTS[slot]))
            rows.append(
                Appointment(
                    structure=structure,
                    kind="co_consultation" if len(who) == 2 else "consultation",
                    person_id=rng.choice(person_ids),
                    starts_at=begins,
                    ends_at=begins + datetime.timedelta(minutes=30),
                    room=room,
                    reason="Consultation (benchmark)",
                    interpreting="on_site" if interpreter else "none",
                    language="ar" if interpreter else "",
                    interpreter=interpreter,
                    status="seen" if day < today else "expected",
                    created_by=centre.member,
                )
            )
            index = len(rows) - 1
            held.extend((index, m.pk, False) for m in who)
            if interpreter is not None:
                held.append((index, interpreter.pk, True))
    Appointment.objects.bulk_create(rows, batch_size=2000)
    AppointmentMember.objects.bulk_create(
        (
            AppointmentMember(
                appointment=rows[index],
                member_id=member_id,
                as_interpreter=as_interpreter,
                starts_at=rows[index].starts_at,
                ends_at=rows[index].ends_at,
            )
            for index, member_id, as_interpreter in held
        ),
        batch_size=5000,
    )
    elapsed = time.perf_counter() - start
    log(f"{len(rows)} appointments for {len(members)} members in {elapsed:.1f} s")
    analyze()
    return {
        "centre": centre,
        "team": team,
        "interpreters": interpreters,
        "rooms": rooms,
        "appointments": len(rows),
        "members": len(members),
        "today": today,
    }
