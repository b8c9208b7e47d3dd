"""``access_log``: reading one person's access log when the log holds 100 million events.

Dataset: N persons (50,000 at full size) of one centre with 20 team members, and an
access log of 2,000 × N events (100,000,000 at full size; 200 × N, 1,000,000, at small
size) written by the database itself (``generate_series`` on PostgreSQL, a recursive
``WITH`` on SQLite), as the application writes them: in time order over ten years, by
the team's members, about the persons' records. The persons are not equal: the person
of rank ``i`` among N gets a share of the log that falls with ``i`` (the rank is
``N × u²`` for ``u`` spread evenly), so a few persons have hundreds of thousands of events
and most a few hundred — the skew of a real centre, where some records are opened every
day for years.

On PostgreSQL the table's secondary indexes are dropped during the load and built again
after it, foreign keys are not checked row by row (``session_replication_role``) and the
table is then vacuumed and analysed, as autovacuum would do; the load is not measured.

Measured: what the person's page "Journal des accès" does (``people.queries.access_log``
through Django's paginator: the count, then the first page of 50 events with who acted),
for 300 persons drawn at random (``p50_ms``, ``p95_ms``, ``p99_ms``); the same for page 20
(``p95_ms_page_20``); and for the person with the most events (``heaviest_ms``,
``heaviest_events``).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench import SEED, analyze, log, make_centre, percentile

MEMBERS = 20
ROUNDS = 300
CHUNK = 5_000_000
EVENTS_PER_PERSON = {5_000: 200, 50_000: 2_000}
# Knuth's multiplicative hash of the event's number: an even spread in [0, 1) that both
# databases compute the same way (SQLite's random() cannot be pinned in a subquery).
HASH = "((({n}) * 2654435761) %% 4294967296) / 4294967296.0"  # %% for the driver
SECTIONS = ("administrative", "clinical", "social", "mental_health", "coordination")


def _members(centre: Any) -> None:
    from maillage.core.models import Member, User
    from maillage.core.roles import Role

    roles = [Role.GP, Role.NURSE, Role.SOCIAL_WORKER, Role.MEDIATOR, Role.PSYCHOLOGIST]
    for number in range(MEMBERS - 1):
        Member.objects.create(
            user=User.objects.create_user(username=f"bench-member-{number}"),
            structure=centre.structure,
            role=roles[number % len(roles)],
            profession="bench",
        )


def _load_postgres(events: int, structure_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'core_accessevent' "
            "AND indexname NOT LIKE '%%_pkey'"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")  # no FK trigger per row
        for start in range(1, events + 1, CHUNK):
            stop = min(events, start + CHUNK - 1)
            r = HASH.format(n="g.n")
            cursor.execute(
                f"""
                WITH p AS (SELECT array_agg(id ORDER BY id) AS ids FROM people_person),
                     m AS (SELECT array_agg(id ORDER BY id) AS mids,
                                  array_agg(user_id ORDER BY id) AS uids
                           FROM core_member WHERE structure_id = %(structure)s)
                INSERT INTO core_accessevent (at, actor_user_id, actor_member_id,
                    structure_id, person_id, section, action, object_type, object_id,
                    reason, flagged)
                SELECT now() - interval '3650 days' * ((%(events)s - g.n)::float8 / %(events)s),
                       m.uids[1 + g.n %% {MEMBERS}], m.mids[1 + g.n %% {MEMBERS}],
                       %(structure)s,
                       p.ids[1 + floor(power({r}, 2) * cardinality(p.ids))::int],
                       (ARRAY{list(SECTIONS)!r})[1 + g.n %% {len(SECTIONS)}],
                       CASE WHEN g.n %% 7 = 0 THEN 'update' ELSE 'read' END,
                       'record.entry', (g.n %% 1000003)::text, '', false
                FROM generate_series(%(start)s, %(stop)s) AS g(n), p, m
                """,  # noqa: S608 - constants of this module
                {"structure": structure_id, "events": events, "start": start, "stop": stop},
            )
            connection.commit() if not connection.get_autocommit() else None
            log(f"{stop:,} events")
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            begin = time.perf_counter()
            cursor.execute(definition)
            log(f"index {name} built in {time.perf_counter() - begin:.0f} s")
        cursor.execute("VACUUM (ANALYZE) core_accessevent")


def _load_sqlite(events: int, structure_id: int) -> None:
    from django.db import connection

    from maillage.core.models import Member
    from maillage.people.models import Person

    low, high, count = (
        Person.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
        Person.objects.order_by("-pk").first().pk,  # type: ignore[union-attr]
        Person.objects.count(),
    )
    if high - low + 1 != count:
        raise SystemExit("bench: the persons' ids are not contiguous")
    members = list(
        Member.objects.filter(structure_id=structure_id).order_by("pk").values_list("pk", "user_id")
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_member (k INTEGER PRIMARY KEY, mid, uid)")
        cursor.executemany(
            "INSERT INTO bench_member VALUES (%s, %s, %s)",
            [(k, mid, uid) for k, (mid, uid) in enumerate(members)],
        )
        sections = (
            "CASE g.n %% 5 "
            + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(SECTIONS))
            + " END"
        )
        r = HASH.format(n="g.n")
        for start in range(1, events + 1, CHUNK):
            stop = min(events, start + CHUNK - 1)
            cursor.execute(
                f"""
                WITH RECURSIVE g(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM g WHERE n < %s)
                INSERT INTO core_accessevent (at, actor_user_id, actor_member_id,
                    structure_id, person_id, section, action, object_type, object_id,
                    reason, flagged)
                SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%f',
                                julianday('now') - 3650.0 * (%s - g.n) / %s),
                       m.uid, m.mid, %s,
                       %s + CAST(({r}) * ({r}) * %s AS INTEGER),
                       {sections},
                       CASE WHEN g.n %% 7 = 0 THEN 'update' ELSE 'read' END,
                       'record.entry', CAST(g.n %% 1000003 AS TEXT), '', 0
                FROM g JOIN bench_member AS m ON m.k = g.n %% {len(members)}
                """,  # noqa: S608 - constants of this module
                [start, stop, events, events, structure_id, low, count],
            )
            log(f"{stop:,} events")


def _sizes() -> dict[str, float]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_table_size('core_accessevent'), pg_indexes_size('core_accessevent')"
        )
        table, indexes = cursor.fetchone()
    return {"table_mb": table / 1e6, "indexes_mb": indexes / 1e6}


def _read(person: Any, page_number: int = 1) -> float:
    from django.core.paginator import Paginator

    from maillage.people.queries import access_log

    start = time.perf_counter()
    page = Paginator(access_log(person), 50).get_page(page_number)
    rows = [(event.at, event.actor_member, event.action) for event in page.object_list]
    assert rows or page.paginator.count == 0
    return (time.perf_counter() - start) * 1000


def run(persons: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from maillage.core.models import AccessEvent
    from maillage.people.models import Person

    centre = make_centre()
    from bench import load_persons

    load_persons(centre, persons)
    _members(centre)
    events = persons * EVENTS_PER_PERSON.get(persons, 2_000)
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        _load_postgres(events, centre.structure.pk)
    else:
        _load_sqlite(events, centre.structure.pk)
    load_seconds = time.perf_counter() - start
    analyze()
    total = AccessEvent.objects.count()
    log(f"{total:,} events in the log, loaded in {load_seconds:.0f} s")

    rng = random.Random(SEED)
    ids = list(Person.objects.values_list("pk", flat=True))
    sample = [Person.objects.get(pk=pk) for pk in rng.sample(ids, ROUNDS)]
    from maillage.people.queries import access_log

    log("plan of a first page:\n" + access_log(sample[0])[:50].explain())
    for person in sample[:20]:  # warm-up
        _read(person)
    first = [_read(person) for person in sample]
    deep = [_read(person, 20) for person in sample]
    heaviest = (
        AccessEvent.objects.values("person_id").annotate(n=Count("pk")).order_by("-n").first()
    )
    assert heaviest is not None
    top = Person.objects.get(pk=heaviest["person_id"])
    heavy = sorted(_read(top) for _ in range(20))
    return {
        "p50_ms": percentile(first, 50),
        "p95_ms": percentile(first, 95),
        "p99_ms": percentile(first, 99),
        "p95_ms_page_20": percentile(deep, 95),
        "heaviest_ms": percentile(heavy, 50),
        "heaviest_events": heaviest["n"],
        "events": total,
        "persons": persons,
        "load_seconds": load_seconds,
        **_sizes(),
    }
