"""``load``: a busy day in a health centre, over HTTP, against the production server.

Dataset: the record dataset of ``timeline`` (``care_team_dataset``: N persons and about
20 × N journal entries in a structure that is one care team), a little coordination work
(open health projects for N/50 persons, N/25 open referrals to members of the team, their
follow-up tasks and N/25 more tasks, N/100 requests), and the accounts the simulated users
sign in with: one per simulated user at the largest level — reception members, GPs and
nurses, social workers, coordinators, and persons with an account for their own space
(``Person.user``, as the portal's activation links them). All share one known password,
hashed once with the production hasher (Argon2: ``set_password``, whose hash every
account then carries), so that each sign-in costs what it costs in production.

Server: ``python -m maillage serve --host 127.0.0.1 --port P --threads 8`` (waitress, the
production entry point) in a process of its own, with the benchmark's data directory,
database and secret key, ``MAILLAGE_DEBUG=false``, ``MAILLAGE_HTTPS=false`` (no TLS on
loopback), ``MAILLAGE_REQUIRE_MFA=false``; started once the data is written, stopped at
the end. Its log (one JSON line per record) is kept in the data directory and its errors
are summed up on stderr.

Load: locust, as a library, in another process (``bench/load_run.py``: gevent's
monkey-patching never touches this process's Django and database driver). The scenario
(pages, flows and weights) is described there. Simulated users sign in once, through the
real login form, then work with 1–3 s of thinking time between clicks; each user sends
its own ``X-Forwarded-For`` address (a workstation behind nginx, as ``deploy/`` sets it
up: the server trusts it from 127.0.0.1), since allauth allows 30 sign-ins a minute per
address. Levels follow each other without restarting: 10, then 30, then 60 users, added
at 5 a second. Once every user of a level has signed in, the level settles for 4 s (15 s
at full size; three times as long before the first level, so that the server warms up:
templates compiled, modules imported, connections opened), then is measured for 12 s
at small size, 75 s at full (``BENCH_LOAD_SECONDS`` overrides it).

**The load generator and the server share the machine's 2 cores**, with the database
server for PostgreSQL, and with whatever else runs on it (compare ``loadavg_1m``). That is
the machine we have. Locust itself is light (about 6 % of a core at 60 users, its CPU
time in the window is printed), but the server is one Python process (waitress' 8
threads share one GIL): it can use one core at most, less when the machine is busy.

Figures: ``p50_ms_U_users``, ``p95_ms_U_users``, ``p99_ms_U_users`` (nearest-rank
percentiles of the times of every request that started in the measured window — one
started during the ramp-up, that waited behind the sign-ins, is not counted — as locust
measures them: from sending to the last byte) and ``rps_U_users`` for U = 10, 30, 60;
``errors_U_users`` (failed requests of the window); ``server_cpu_ms_per_request_U_users``
(the server process's CPU time in the window, divided by its requests: what a request
costs, whatever the machine's load); ``errors`` and
``requests``: every failed request and every request over the whole run, sign-ins and
ramp-ups included (a failure is any status other than the one the page gives when it
works: 200, or the 302 of a successful POST); ``login_p50_ms``/``login_p95_ms`` (the
POST of the login form, Argon2 included); ``server_error_lines`` (ERROR lines in the
server's log) and ``queue_warnings`` (waitress saying every thread was busy).
"""

from __future__ import annotations

import datetime
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import SEED, analyze, care_team_dataset, coordination_work, log

LEVELS = (10, 30, 60)
SPAWN_RATE = 5  # users started per second
# The synthetic accounts of a throwaway database.
PASSWORD = "Journee-chargee-au-centre-2026"  # noqa: S105
# Share of the simulated users of each kind (bench/load_run.py's user classes).
WEIGHTS = {"reception": 2, "clinician": 4, "social": 1, "coordinator": 1, "person": 2}
SERVER_START_SECONDS = 300  # collectstatic compresses every file at the first start


def seconds_per_level(persons: int) -> float:
    override = os.environ.get("BENCH_LOAD_SECONDS")
    if override:
        return float(override)
    return 75.0 if persons >= 50_000 else 12.0


def accounts_needed() -> dict[str, int]:
    """One account per simulated user at the largest level (locust gives each kind its
    share of the users, rounded), and a few more."""
    total = sum(WEIGHTS.values())
    return {kind: math.ceil(max(LEVELS) * w / total) + 2 for kind, w in WEIGHTS.items()}


# --- Data ------------------------------------------------------------------------------


def make_accounts(structure: Any, persons: list[Any]) -> dict[str, list[str]]:
    """The accounts of the simulated users, all with ``PASSWORD`` (Argon2)."""
    from django.contrib.auth.hashers import identify_hasher

    from maillage.core.models import Member, User
    from maillage.core.roles import Role
    from maillage.people.models import Person

    probe = User(username="probe")
    probe.set_password(PASSWORD)
    encoded = probe.password
    algorithm = identify_hasher(encoded).algorithm
    if algorithm != "argon2":
        raise SystemExit(f"bench: the password hasher is {algorithm}, not production's argon2")
    needed = accounts_needed()
    roles = {
        "reception": [(Role.RECEPTION, "accueillant")],
        "clinician": [(Role.GP, "medecin_generaliste"), (Role.NURSE, "infirmier")],
        "social": [(Role.SOCIAL_WORKER, "assistant_service_social")],
        "coordinator": [(Role.COORDINATOR, "coordinateur")],
    }
    accounts: dict[str, list[str]] = {}
    for kind, choices in roles.items():
        names = []
        for i in range(needed[kind]):
            role, profession = choices[i % len(choices)]
            user = User.objects.create(
                username=f"charge-{kind}-{i}",
                password=encoded,
                first_name=profession.replace("_", " ").title(),
                last_name=f"Charge {i}",
            )
            Member.objects.create(user=user, structure=structure, role=role, profession=profession)
            names.append(user.username)
        accounts[kind] = names
    names = []
    for i, person in enumerate(persons[: needed["person"]]):
        user = User.objects.create(
            username=f"charge-personne-{i}",
            password=encoded,
            first_name=person.first_given_name[:150],
            last_name=person.birth_name[:150],
        )
        Person.objects.filter(pk=person.pk).update(user=user)
        names.append(user.username)
    accounts["person"] = names
    return accounts


def new_persons(rng: random.Random, count: int) -> list[dict[str, str]]:
    """Identities reception registers during the run (drawn from the synthetic lists)."""
    from maillage.people.synthetic import NAMES_BY_ORIGIN

    origins = list(NAMES_BY_ORIGIN.values())
    made = []
    for _ in range(count):
        surnames, female, male, _languages, _country = rng.choice(origins)
        sex = rng.choice(["F", "M"])
        given = rng.choice(female if sex == "F" else male)
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randint(0, 30000))
        made.append(
            {
                "birth_name": rng.choice(surnames),
                "given_names": given,
                "sex": sex,
                "birth_date": birth.strftime("%d/%m/%Y"),
            }
        )
    return made


def prepare(persons: int, data_dir: Path) -> dict[str, Any]:
    from maillage.core.models import Member
    from maillage.people.models import Person

    rng = random.Random(SEED)
    centre, written = care_team_dataset(persons)
    structure = centre.structure
    start = time.perf_counter()
    sample = list(
        Person.objects.filter(structure=structure)
        .order_by("pk")
        .only("pk", "birth_name", "given_names")
    )
    sample = rng.sample(sample, min(len(sample), 2000))
    accounts = make_accounts(structure, sample[-40:])
    # The simulated members among the team: referrals to them, tasks for them.
    team = list(Member.objects.filter(structure=structure))
    work = coordination_work(
        structure,
        team,
        rng,
        projects=persons // 50,
        referrals=persons // 25,
        tasks=persons * 2 // 25,
        requests=persons // 100,
    )
    analyze()
    log(
        f"{work['projects']} projects, {work['referrals']} referrals, {work['tasks']} tasks, "
        f"{work['requests']} requests, {sum(map(len, accounts.values()))} accounts "
        f"in {time.perf_counter() - start:.1f} s"
    )
    workers = sample[:-40]
    config = {
        "password": PASSWORD,
        "accounts": accounts,
        "levels": list(LEVELS),
        "seconds": seconds_per_level(persons),
        "settle": 15.0 if persons >= 50_000 else 4.0,
        "spawn_rate": SPAWN_RATE,
        "weights": WEIGHTS,
        "seed": SEED,
        "persons": [p.pk for p in workers],
        # What reception types: the first letters of a name (the search runs as one types),
        # then the name and the first given name.
        "prefixes": [p.birth_name[: rng.randint(3, 5)] for p in workers],
        "names": [f"{p.birth_name} {p.first_given_name}" for p in workers],
        "new_persons": new_persons(rng, 3000),
        "project_persons": work["project_persons"][:2000],
    }
    path = data_dir / "load.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return {
        "config": path,
        "entries": written,
        **{k: v for k, v in work.items() if k != "project_persons"},
    }


# --- The server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def without_proxies(env: dict[str, str]) -> dict[str, str]:
    """Loopback only: no HTTP proxy of the environment in the way."""
    return {
        k: v for k, v in env.items() if k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }


def answers(port: int) -> int | None:
    """The status of ``/accounts/login/`` (``/sante/`` says 503 without the worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/accounts/login/")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    from django.db import connections

    connections.close_all()  # SQLite: the server writes too; PostgreSQL: nothing held
    port = free_port()
    env = without_proxies(os.environ.copy()) | {
        "MAILLAGE_DEBUG": "false",
        "MAILLAGE_HTTPS": "false",
        "MAILLAGE_REQUIRE_MFA": "false",
        "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1",
    }
    server_log = data_dir / "server.log"
    with server_log.open("wb") as output:
        command = ["-m", "maillage", "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(
            [sys.executable, *command, "--threads", "8"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    start = time.monotonic()
    while time.monotonic() - start < SERVER_START_SECONDS:
        if server.poll() is not None:
            sys.stderr.write(server_log.read_text(encoding="utf-8", errors="replace")[-4000:])
            raise SystemExit(f"bench: the server stopped at start ({server.returncode})")
        status = answers(port)
        if status is not None and status < 500:
            log(f"server up on 127.0.0.1:{port} in {time.monotonic() - start:.1f} s")
            return server, port, server_log
        time.sleep(0.5)
    server.kill()
    raise SystemExit(f"bench: the server did not answer within {SERVER_START_SECONDS} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_problems(server_log: Path) -> dict[str, int]:
    """Count the server's ERROR lines and waitress's queue warnings; show what they say."""
    errors: dict[str, int] = {}
    queue = 0
    for line in server_log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "Task queue depth" in line:
            queue += 1
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line:
                errors[line[:200]] = errors.get(line[:200], 0) + 1
            continue
        if not isinstance(record, dict) or record.get("level") not in {"ERROR", "CRITICAL"}:
            continue
        cause = str(record.get("exception", "")).strip().splitlines()[-1:] or [""]
        key = f"{record.get('message', '')[:120]} | {cause[0][:200]}"
        errors[key] = errors.get(key, 0) + 1
    for key, count in sorted(errors.items(), key=lambda item: -item[1])[:10]:
        log(f"server error ×{count}: {key}")
    if queue:
        log(f"waitress: {queue} 'Task queue depth' warnings (every thread busy)")
    return {"server_error_lines": sum(errors.values()), "queue_warnings": queue}


# --- The run ---------------------------------------------------------------------------


def run(persons: int) -> dict[str, Any]:
    from django.conf import settings

    data_dir = Path(settings.DATA_DIR)
    data = prepare(persons, data_dir)
    server, port, server_log = start_server(data_dir)
    seconds = seconds_per_level(persons)
    try:
        env = without_proxies(os.environ.copy())
        limit = len(LEVELS) * (seconds + 240) + 60
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.load_run",
                str(data["config"]),
                str(port),
                str(server.pid),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            timeout=limit,
            check=False,
        )
    finally:
        stop_server(server)
    problems = server_problems(server_log)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"bench: the load generator failed ({done.returncode})")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    figures: dict[str, Any] = {}
    for users in LEVELS:
        level = report["levels"][str(users)]
        for q in ("p50", "p95", "p99"):
            figures[f"{q}_ms_{users}_users"] = level[f"{q}_ms"]
    figures["errors"] = report["errors"]
    figures["requests"] = report["requests"]
    for users in LEVELS:
        figures[f"rps_{users}_users"] = report["levels"][str(users)]["rps"]
    for users in LEVELS:
        figures[f"errors_{users}_users"] = report["levels"][str(users)]["failures"]
    for users in LEVELS:
        level = report["levels"][str(users)]
        figures[f"server_cpu_ms_per_request_{users}_users"] = (
            1000 * level["server_cpu_s"] / max(1, level["requests"])
        )
    return figures | {
        "login_p50_ms": report["login_p50_ms"],
        "login_p95_ms": report["login_p95_ms"],
        "logins": report["logins"],
        "scenario_exceptions": report["scenario_exceptions"],
        **problems,
        "seconds_per_level": seconds,
        "persons": persons,
        "entries": data["entries"],
    }
