"""``team_home``: the home page of a coordinator, server side.

Dataset at full size: 50,000 persons, 5,000 living health projects (a third past their
review date), 20,000 open referrals to members of the team (their last news spread over
the last 30 days, so that some are overdue; the follow-up tasks those create are made
before measuring), 30,000 open tasks in all spread over 20 members (the coordinator
among them), 2,000 requests of which 10 % wait for a first contact, and 600 meetings over
a year, two of them today. At small size, a tenth of each. The structure is one care
team, so that the coordinator reads every person's coordination section.

The page is requested through Django's test client (every middleware, the access
decisions, the queries, the template, the audit of what is shown), as the coordinator.

Figures: ``p50_ms``/``p95_ms``; ``queries`` (the number of SQL queries of one page, which
must be the same at every size); the sizes used.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from bench import (
    SEED,
    analyze,
    coordination_work,
    log,
    make_centre,
    measure,
    peak_rss_mb,
    percentile,
)

ROLES = ["coordinator", "gp", "nurse", "social_worker", "mediator", "psychologist"]


def prepare(persons: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from maillage.coordination import models as m
    from maillage.core.models import Member, User
    from maillage.people.synthetic import generate_persons

    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(SEED)
    centre = make_centre()
    structure = centre.structure
    structure.is_care_team = True
    structure.save(update_fields=["is_care_team"])
    start = time.perf_counter()
    generate_persons(structure, persons, seed=SEED, created_by=centre.member)
    log(f"{persons} persons in {time.perf_counter() - start:.1f} s")
    team = [
        Member.objects.create(
            user=User.objects.create_user(username=f"bench-{i}", password=None),
            structure=structure,
            role=ROLES[i % len(ROLES)],
            profession="coordinateur",
        )
        for i in range(20)
    ]
    coordinator = team[0]
    now = timezone.now()
    sizes = {"projects": persons // 10, "referrals": persons * 2 // 5, "tasks": persons * 3 // 5}
    start = time.perf_counter()
    work = coordination_work(structure, team, rng, **sizes, requests=persons // 25)
    ids, follow_ups, requests = work["ids"], work["follow_ups"], work["requests"]
    meetings = persons * 3 // 250
    for i in range(meetings):
        starts = (
            now.replace(hour=9 + i, minute=0) if i < 2 else now - datetime.timedelta(days=i % 365)
        )
        meeting = m.Meeting.objects.create(
            structure=structure,
            kind=rng.choice(["team", "concertation", "synthesis"]),
            title=f"Réunion {i}",
            starts_at=starts,
            created_by=coordinator,
        )
        m.Attendee.objects.create(meeting=meeting, kind="member", member=rng.choice(team))
        m.AgendaItem.objects.create(meeting=meeting, person_id=rng.choice(ids))
    log(
        f"{sizes['projects']} projects, {sizes['referrals']} referrals, {follow_ups} follow-up "
        f"tasks, {requests} requests, {meetings} meetings in {time.perf_counter() - start:.1f} s"
    )
    analyze()
    client = Client()
    client.force_login(coordinator.user)
    return {
        "client": client,
        "sizes": sizes
        | {
            "persons": persons,
            "open_tasks": m.Task.objects.filter(status="open").count(),
            "follow_up_tasks": follow_ups,
            "requests": requests,
            "meetings": meetings,
        },
    }


def run(persons: int) -> dict[str, Any]:

    data = prepare(persons)
    client = data["client"]
    rounds = 200 if persons >= 50_000 else 100

    def fetch() -> float:
        start = time.perf_counter()
        response = client.get("/")
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: unexpected status {response.status_code}")
        return elapsed

    times, queries = measure(fetch, rounds)
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "queries": queries,
        **data["sizes"],
        "rounds": rounds,
        "peak_rss_mb": peak_rss_mb(),
    }
