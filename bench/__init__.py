"""Maillage benchmarks: ``uv run python -m bench NAME [--size small|full]``.

Each benchmark (``generate``, ``search``, ``dedup``) runs on a fresh throwaway database:

* SQLite (``DATABASE_URL`` unset): a file in a temporary ``MAILLAGE_DATA_DIR``;
* PostgreSQL (``DATABASE_URL=postgres://…``): the database ``maillage_bench`` on the server
  that ``DATABASE_URL`` names (``BENCH_DB`` names another one), dropped and created again
  (never the database the URL names, unless it is that one itself), dropped again at the end.

The helpers below prepare that database *before* Django is set up, migrate it, create a
structure with a reception member and load synthetic persons. The last line a benchmark
prints is one JSON object (see ``docs/benchmarks.md``); progress goes to stderr.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import random
import resource
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SIZES = {"small": 5_000, "full": 50_000}
# The throwaway PostgreSQL database; ``BENCH_DB=name`` picks another one, so that two
# benchmarks can run at the same time on the same server.
BENCH_DB = os.environ.get("BENCH_DB", "maillage_bench")
SEED = 42


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Database --------------------------------------------------------------------------


def _postgres_bench_url(url: str) -> str:
    """Create (again) the ``BENCH_DB`` database on the server of ``url``."""
    import psycopg

    if not BENCH_DB.replace("_", "").isalnum() or not BENCH_DB.isascii():
        raise SystemExit(f"bench: BENCH_DB must be letters, digits and _, not {BENCH_DB!r}")
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')

    def drop() -> None:
        if os.environ.get("BENCH_KEEP_DB"):
            return
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - best effort: Django may not be set up
            pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def setup_django() -> str:
    """Point the settings at a fresh database, set Django up, migrate. Returns the vendor."""
    data_dir = tempfile.mkdtemp(prefix="maillage-bench-")
    if not os.environ.get("BENCH_KEEP_DB"):
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["MAILLAGE_DATA_DIR"] = data_dir
    os.environ["MAILLAGE_SECRET_KEY"] = secrets.token_urlsafe(64)
    os.environ["MAILLAGE_DEBUG"] = "false"  # no query log
    os.environ["MAILLAGE_HTTPS"] = "false"
    os.environ["MAILLAGE_REQUIRE_MFA"] = "false"  # pages are requested as a logged-in member
    os.environ["MAILLAGE_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maillage.settings"
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
            raise SystemExit(f"bench: only SQLite and PostgreSQL are supported, not {url!r}")
        os.environ["DATABASE_URL"] = _postgres_bench_url(url)

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"{connection.vendor} database migrated in {time.perf_counter() - start:.1f} s")
    return str(connection.vendor)


def analyze() -> None:
    """Refresh planner statistics after a bulk load on PostgreSQL, as autovacuum would
    within a minute in production; benchmarks must not depend on its timing. SQLite is
    left as the application leaves it (it never runs ANALYZE)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def database_size_mb() -> float:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0]) / 1e6
    name = str(settings.DATABASES["default"]["NAME"])
    return sum(os.path.getsize(p) for p in (name, name + "-wal") if os.path.exists(p)) / 1e6


# --- Fixtures --------------------------------------------------------------------------


@dataclass
class Centre:
    structure: Any  # maillage.core.models.Structure
    member: Any  # maillage.core.models.Member (reception), with its user loaded


def make_centre() -> Centre:
    from maillage.core.models import Member, Structure, User
    from maillage.core.roles import Role, StructureKind

    structure = Structure.objects.create(name="Centre (benchmark)", kind=StructureKind.CENTRE)
    user = User.objects.create_user(username="bench-reception", password=None)
    member = Member.objects.create(
        user=user, structure=structure, role=Role.RECEPTION, profession="accueillant"
    )
    return Centre(structure, Member.objects.select_related("user").get(pk=member.pk))


def load_persons(centre: Centre, count: int) -> float:
    """Generate ``count`` synthetic persons in the centre; returns the seconds it took."""
    from maillage.people.synthetic import generate_persons

    start = time.perf_counter()
    generate_persons(centre.structure, count, seed=SEED, created_by=centre.member)
    seconds = time.perf_counter() - start
    log(f"{count} persons generated in {seconds:.1f} s")
    analyze()
    return seconds


def care_team_dataset(persons: int, entries_per_person: int = 20) -> tuple[Centre, int]:
    """The record dataset: ``persons`` synthetic persons in a structure that is one care
    team, and about ``entries_per_person`` × ``persons`` journal entries written by a scale
    team (50,000 persons and about 1,000,000 entries at full size). Returns the centre and
    the number of entries written."""
    from maillage.core.management.commands.generate import generate_entries
    from maillage.people.synthetic import generate_persons

    centre = make_centre()
    centre.structure.is_care_team = True
    centre.structure.save(update_fields=["is_care_team"])
    start = time.perf_counter()
    generate_persons(centre.structure, persons, seed=SEED, created_by=centre.member)
    log(f"{persons} persons in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    written = generate_entries(centre.structure, persons * entries_per_person, seed=SEED)
    log(f"{written} entries in {time.perf_counter() - start:.1f} s")
    analyze()
    return centre, written


def coordination_work(
    structure: Any,
    team: list[Any],
    rng: random.Random,
    *,
    projects: int,
    referrals: int,
    tasks: int,
    requests: int,
) -> dict[str, Any]:
    """Coordination data for the team's pages: ``projects`` open health projects,
    ``referrals`` referrals waiting on someone (with their follow-up tasks), manual tasks
    up to ``tasks`` in all, ``requests`` coordination requests (one in ten waiting)."""
    import datetime

    from django.utils import timezone

    from maillage.coordination import models as m
    from maillage.coordination.actions.tasks import create_follow_up_tasks
    from maillage.lib import referrals as path
    from maillage.people.models import Person

    ids = list(Person.objects.filter(structure=structure).values_list("pk", flat=True))
    now = timezone.now()
    today = timezone.localdate()
    opened = m.HealthProject.objects.bulk_create(
        m.HealthProject(
            structure=structure,
            person_id=pk,
            next_review_on=today + datetime.timedelta(days=rng.randint(-60, 120)),
            opened_by=rng.choice(team),
        )
        for pk in rng.sample(ids, projects)
    )
    waiting = [*sorted(path.WAITING), path.PROPOSED, path.AGREED]
    m.Referral.objects.bulk_create(
        (
            m.Referral(
                structure=structure,
                person_id=rng.choice(ids),
                to_member=rng.choice(team),
                reason="Orientation (benchmark)",
                status=rng.choice(waiting),
                created_by=rng.choice(team),
                created_at=now - datetime.timedelta(days=40),
                last_news_at=now - datetime.timedelta(hours=rng.randint(0, 30 * 24)),
            )
            for _ in range(referrals)
        ),
        batch_size=2000,
    )
    follow_ups = create_follow_up_tasks(structure_id=structure.pk, now=now)
    manual = m.Task.objects.bulk_create(
        (
            m.Task(
                structure=structure,
                title=f"Tâche {i}",
                person_id=rng.choice(ids) if i % 2 else None,
                due_on=today + datetime.timedelta(days=rng.randint(-20, 40)),
                created_by=rng.choice(team),
            )
            for i in range(max(0, tasks - follow_ups))
        ),
        batch_size=2000,
    )
    through = m.Task.assignees.through
    through.objects.bulk_create(
        (through(task_id=task.pk, member_id=rng.choice(team).pk) for task in manual),
        batch_size=2000,
    )
    m.CoordinationRequest.objects.bulk_create(
        (
            m.CoordinationRequest(
                structure=structure,
                concerns="registered",
                person_id=rng.choice(ids),
                source=rng.choice(["person", "relative", "professional"]),
                channel=rng.choice(["phone", "desk", "email"]),
                first_words="Demande (benchmark)",
                urgency=rng.choice(["routine", "soon", "urgent"]),
                received_at=now - datetime.timedelta(hours=rng.randint(1, 2000)),
                received_by=rng.choice(team),
                status="waiting" if i % 10 == 0 else "closed",
                first_contact_at=None if i % 10 == 0 else now,
            )
            for i in range(requests)
        ),
        batch_size=2000,
    )
    return {
        "ids": ids,
        "projects": len(opened),
        "project_persons": [p.person_id for p in opened],
        "referrals": referrals,
        "follow_ups": follow_ups,
        "tasks": len(manual) + follow_ups,
        "requests": requests,
    }


# --- Figures ---------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def high_water_mb() -> float:
    """This process's own peak resident memory (``VmHWM``), for a job run in a process of
    its own: ``ru_maxrss`` would also count the parent's memory at the fork, which
    survives ``execve``."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return peak_rss_mb()


def emit(bench: str, size: str, database: str, figures: dict[str, Any]) -> None:
    def tidy(value: Any) -> Any:
        return round(value, 3) if isinstance(value, float) else value

    result = {
        "bench": bench,
        "size": size,
        "database": database,
        "figures": {key: tidy(value) for key, value in figures.items()}
        | {"loadavg_1m": os.getloadavg()[0]},
    }
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False), flush=True)


def measure(fetch: Any, rounds: int, warmup: int = 20) -> tuple[list[float], int]:
    """Call ``fetch`` (which returns one duration in ms) ``warmup`` times, once more while
    counting the SQL queries it makes, then ``rounds`` times: the durations and the count."""
    from django.db import connection

    for _ in range(warmup):
        fetch()
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fetch()
    return [fetch() for _ in range(rounds)], len(executed)
