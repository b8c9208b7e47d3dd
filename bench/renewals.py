"""``renewals``: the renewal job of rights (``maillage.rights.renewals.run``), as the
worker runs it.

Dataset at full size: 50,000 persons with three rights each (150,000), of the national
kinds; four in five held (open or to renew), the others refused, not claimed or ended;
their end dates spread over the 30 days before today and the 700 after, so that the
first run makes a renewal task for every right held ending within 60 days (about one in
twelve) and marks the lapsed ones expired. Half the rights have a member who follows
them; for the others the job looks for the referent, then the social roles. At small
size, a tenth.

The job runs in a fresh process (``python -m bench.renewals_job``), as the worker would:
``seconds`` is its duration, ``peak_mb`` the peak resident memory of that process
(Django, the job and its pages of rights). It then runs a second time, which must make
nothing (``tasks_again``, ``seconds_again``).

Figures: ``seconds``, ``peak_mb``, ``rights``, ``persons``, ``tasks`` (made by the first
run), ``expired``, ``seconds_again``, ``tasks_again``.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import subprocess
import sys
import time
from typing import Any

from bench import SEED, analyze, load_persons, log, make_centre

ROLES = ["social_worker", "mediator", "gp", "nurse", "coordinator"]


def prepare(persons: int) -> int:
    from django.utils import timezone

    from maillage.core.models import Member, User
    from maillage.people.models import Person
    from maillage.rights.models import PersonRight, RightKind, RightStatus

    rng = random.Random(SEED)
    centre = make_centre()
    load_persons(centre, persons)
    team = [
        Member.objects.create(
            user=User.objects.create_user(username=f"bench-{i}", password=None),
            structure=centre.structure,
            role=ROLES[i % len(ROLES)],
            profession="assistant_social",
        )
        for i in range(20)
    ]
    kinds = list(RightKind.objects.filter(structure=None))
    held = [RightStatus.OPEN] * 7 + [RightStatus.TO_RENEW]
    other = [RightStatus.REFUSED, RightStatus.NOT_CLAIMED, RightStatus.ENDED]
    today = timezone.localdate()
    start = time.perf_counter()
    rows = []
    count = 0
    for person_id in Person.objects.values_list("pk", flat=True).iterator():
        for kind in rng.sample(kinds, 3):
            ends = today + datetime.timedelta(days=rng.randint(-30, 700))
            rows.append(
                PersonRight(
                    person_id=person_id,
                    kind=kind,
                    status=rng.choice(held) if rng.random() < 0.8 else rng.choice(other),
                    starts_on=ends - datetime.timedelta(days=365),
                    ends_on=ends,
                    follower=rng.choice(team) if rng.random() < 0.5 else None,
                )
            )
        if len(rows) >= 5000:
            PersonRight.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    PersonRight.objects.bulk_create(rows)
    count += len(rows)
    log(f"{count} rights in {time.perf_counter() - start:.1f} s")
    analyze()
    return count


def _job() -> dict[str, Any]:
    """Run the job in a fresh process with the same settings and database."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.renewals_job"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(persons: int) -> dict[str, Any]:
    rights = prepare(persons)
    first = _job()
    again = _job()
    return {
        "seconds": first["seconds"],
        "peak_mb": first["peak_mb"],
        "rights": rights,
        "persons": persons,
        "tasks": first["tasks"],
        "expired": first["expired"],
        "seconds_again": again["seconds"],
        "tasks_again": again["tasks"],
    }
