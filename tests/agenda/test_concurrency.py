"""Two receptionists book the same slot at the same instant: one succeeds, the other is
told why, and the agenda holds one appointment — on SQLite and on PostgreSQL (each run of
the suite uses one of them)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from maillage.agenda import actions
from maillage.agenda.models import Appointment, Room
from maillage.core.roles import Role
from tests.agenda.conftest import at
from tests.conftest import make_member


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["member", "room"])
def test_two_desks_book_the_same_slot_at_the_same_instant(centre, shared):
    desks = [make_member(centre, f"desk{i}", Role.RECEPTION) for i in range(2)]
    doctors = [make_member(centre, f"doc{i}", Role.GP, "medecin") for i in range(2)]
    room = Room.objects.create(structure=centre, name="Salle A")
    start = at(2, 10)
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def book(i: int) -> None:
        members = [doctors[0]] if shared == "member" else [doctors[i]]
        booking = actions.Booking(
            kind="consultation",
            members=members,
            starts_at=start,
            duration=datetime.timedelta(minutes=30),
            unregistered_name=f"Personne {i}",
            room=room if shared == "room" else None,
        )
        try:
            barrier.wait(timeout=10)
            outcomes[i] = actions.do_book_appointment(desks[i], booking)
        except actions.Conflict as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, actions.Conflict)]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert refused[0].reasons
    assert Appointment.objects.filter(starts_at=start).count() == 1
