"""Crash safety: the production server (``maillage serve``) is killed with SIGKILL again and
again while members write through the web forms, and nothing acknowledged is lost.

The test has its own database, in a temporary directory (SQLite) or, when DATABASE_URL is
PostgreSQL, a database ``maillage_crash_<pid>`` on the same server, dropped at the end.
Four members (a doctor, a social worker, a coordinator, a nurse) log in through the login
form and write journal notes, corrections of their notes, encounters from their
appointments (with a note, and a weight for clinicians), referrals and their steps, and the
needs and review points of the persons' health projects, each write with a marker of its
own (``tests/crash_support.py``). Meanwhile the server is killed at random moments and
started again. Afterwards, with the server stopped cleanly, the database must hold every
acknowledged write exactly once and any other at most once, whole (no entry without its
versions, no encounter without its note or its appointment's link, no referral whose status
is not its last step, no review point that did not move the project's next review date),
with its audit event and no audit event of a row that does not exist, and no orphan row
anywhere.

``MAILLAGE_CRASH_KILLS`` (default 12) sets how many times the server is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.crash_support import KINDS, Browser, Writer

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("MAILLAGE_CRASH_KILLS", "12"))
SERVE = [sys.executable, "-m", "maillage", "serve", "--host", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(env: dict[str, str]) -> Iterator[None]:
    """SQLite in the data directory, or a PostgreSQL database of this test's own."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"maillage_crash_{os.getpid()}"

    def admin() -> psycopg.Connection:
        try:
            return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
        except psycopg.OperationalError:
            return psycopg.connect(url, autocommit=True)

    with admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield
    finally:
        with admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Server:
    """``python -m maillage serve`` on a port of its own, its output in a log file."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float) -> float:
        """Seconds until the login page answers."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"the server stopped ({self.process.returncode}):\n{self.tail()}")
            try:
                if Browser(self.base).request("/accounts/login/").status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"the server did not answer in {timeout} s:\n{self.tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s")
        time.sleep(0.02)


def run_script(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_acknowledged_writes_survive_the_server_being_killed():
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="maillage-crash-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAILLAGE_") and key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env.update(
        {
            "MAILLAGE_DATA_DIR": str(tmp / "data"),
            "MAILLAGE_SECRET_KEY": "crash-" + "k" * 60,
            "MAILLAGE_HTTPS": "false",
            "MAILLAGE_REQUIRE_MFA": "false",
            "MAILLAGE_DEBUG": "false",
            "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1",
            "MAILLAGE_EMAIL_BACKEND": "memory",
            "MAILLAGE_SMS_BACKEND": "memory",
            "DJANGO_SETTINGS_MODULE": "maillage.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    server = Server(env, free_port(), tmp / "server.log")
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        with database(env):
            try:
                # The first start collects the static files (seconds): meanwhile, the database
                # is prepared. The server reads nothing from it before the first request.
                server.start()
                run_script(env, "-m", "maillage", "migrate", "--noinput", "-v", "0")
                run_script(env, "-m", "tests.crash_support", "seed", str(tmp / "seed.json"))
                seeded = json.loads((tmp / "seed.json").read_text(encoding="utf-8"))
                server.wait_ready(timeout=240)
                ready = time.monotonic() - began

                rng = random.Random()
                members = seeded["members"]
                writers = [
                    Writer(
                        base=server.base,
                        username=name,
                        persons=seeded["persons"],
                        referral_targets=[pk for other, pk in members.items() if other != name],
                        appointments=[tuple(a) for a in seeded["appointments"][name]],
                        stop=stop,
                        seed=rng.randrange(1 << 30),
                    )
                    for name in members
                ]
                threads = [threading.Thread(target=w.run, name=w.username) for w in writers]
                for thread in threads:
                    thread.start()

                def posted() -> int:
                    return sum(len(w.attempts) for w in writers)

                # Everyone logs in once (sessions are in the database: they survive a crash).
                wait_for(lambda: all(w.logins for w in writers) or stop.is_set(), 120)
                kills, restarts = 0, []
                while kills < KILLS and not stop.is_set():
                    # A random moment once the writers are at it again.
                    before = posted()
                    wait_for(lambda before=before: posted() > before or stop.is_set(), 30)
                    time.sleep(rng.uniform(0.3, 1.5))
                    server.kill()
                    kills += 1
                    server.start()
                    restarts.append(server.wait_ready(timeout=120))
                # After the last restart the writes go on, and some must be acknowledged.
                last_restart = time.monotonic()
                deadline = last_restart + 15
                after: list = []
                while time.monotonic() < deadline and not stop.is_set():
                    after = [
                        a
                        for w in writers
                        for a in w.attempts
                        if a.acknowledged and a.at > last_restart
                    ]
                    if len(after) >= 4:
                        break
                    time.sleep(0.1)
                stop.set()
                for thread in threads:
                    thread.join(timeout=60)
                assert not any(t.is_alive() for t in threads), "a writer did not stop"
                server.kill(signal.SIGTERM)  # a clean stop: nothing is being written

                for writer in writers:
                    if writer.error is not None:
                        raise writer.error
                unexpected = [m for w in writers for m in w.unexpected]
                assert not unexpected, "answers neither a success nor a lost connection:\n" + (
                    "\n".join(unexpected[:20])
                )
                attempts = [a for w in writers for a in w.attempts]
                acknowledged = [a for a in attempts if a.acknowledged]
                assert len({a.marker for a in attempts}) == len(attempts)
                assert after, "no write was acknowledged after the last restart"

                (tmp / "markers.json").write_text(
                    json.dumps([a.marker for a in attempts]), encoding="utf-8"
                )
                run_script(
                    env,
                    "-m",
                    "tests.crash_support",
                    "check",
                    str(tmp / "markers.json"),
                    str(tmp / "check.json"),
                )
                found = json.loads((tmp / "check.json").read_text(encoding="utf-8"))
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)
                server.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    counts = found["counts"]
    lost = [a.marker for a in acknowledged if counts.get(a.marker, 0) == 0]
    doubled = [a.marker for a in attempts if counts.get(a.marker, 0) > 1]
    by_kind = {}
    for a in acknowledged:
        by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
    assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:10]}"
    assert not doubled, f"writes found more than once: {[(m, counts[m]) for m in doubled[:10]]}"
    assert not found["problems"], "\n".join(found["problems"][:30])
    tried = Counter(a.kind for a in attempts)
    assert set(by_kind) == set(KINDS), (by_kind, tried)
    unacknowledged = [a for a in attempts if not a.acknowledged]
    kept = sum(1 for a in unacknowledged if counts.get(a.marker))
    restarted = restarts or [0.0]
    print(
        f"\ncrash-safety ({found['db']}): acknowledged {by_kind} of {dict(tried)} tried; "
        f"{len(unacknowledged)} interrupted, {kept} of them kept; "
        f"{sum(w.connection_errors for w in writers)} connection errors, "
        f"{sum(w.logins for w in writers)} logins; ready in {ready:.0f} s, restarts in "
        f"{min(restarted):.1f}–{max(restarted):.1f} s; rows {found['rows']}; "
        f"{time.monotonic() - began:.0f} s in all"
    )
    print(f"crash-safety: {kills} kills survived, {len(acknowledged)} acknowledged writes, 0 lost")


# --- A request's writes are one transaction -------------------------------------------------
# A crash between two commits of one request leaves half of what was asked, and the user,
# without an answer, writes it again. The failure of the second write stands for the crash.


def crash(*args, **kwargs):
    raise RuntimeError("the server is killed here")


def test_an_encounter_is_written_with_the_link_to_its_appointment_or_not_at_all(
    doctor, person, book, monkeypatch
):
    import datetime

    from django.utils import timezone

    from maillage.core.models import AccessEvent
    from maillage.record.models import Entry
    from maillage.record.views import journal
    from tests.conftest import client_for

    appointment = book(
        [doctor], timezone.now() - datetime.timedelta(hours=3), person=person, outside_hours_ok=True
    )
    monkeypatch.setattr(journal, "do_link_entry", crash)
    when = timezone.localtime() - datetime.timedelta(hours=1)
    with pytest.raises(RuntimeError):
        client_for(doctor.user).post(
            f"/personnes/{person.pk}/dossier/rencontre/?rdv={appointment.pk}",
            {
                "kind": "consultation",
                "date": when.date().isoformat(),
                "time": when.strftime("%H:%M"),
                "section": "clinical",
                "note_section": "clinical",
                "note": "Compte rendu",
            },
        )
    assert not Entry.objects.filter(person=person).exists()
    assert not AccessEvent.objects.filter(object_type="record.entry").exists()


def test_a_person_is_registered_with_the_duplicates_set_aside_or_not_at_all(
    as_reception, person, monkeypatch
):
    from django.urls import reverse

    from maillage.people import actions
    from maillage.people.models import Person

    monkeypatch.setattr(actions, "do_dismiss_duplicate", crash)
    with pytest.raises(RuntimeError):
        as_reception.post(
            reverse("people:register"),
            {
                "birth_name": "DUPOND",
                "given_names": "Marie",
                "sex": "F",
                "birth_date": "12/03/1985",
                "identity_status": "prov",
                "document_type": "none",
                "confirm_new": "1",
            },
        )
    assert list(Person.objects.all()) == [person]


def test_a_restart_collects_the_static_files_only_when_they_changed(
    settings, tmp_path, monkeypatch
):
    """``maillage serve`` compresses the static files (half a minute) only when they
    changed: a server started again after a crash answers in seconds."""
    import django.core.management

    from maillage import cli

    calls = []

    def collectstatic(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed while collecting

    monkeypatch.setattr(django.core.management, "call_command", collectstatic)
    source = tmp_path / "sources"
    source.mkdir()
    (source / "app.css").write_text("a{}", encoding="utf-8")
    settings.DATA_DIR = tmp_path
    settings.STATICFILES_DIRS = [source]
    cli._collect_static()
    cli._collect_static()
    assert len(calls) == 1
    (source / "app.css").write_text("a{color:red}", encoding="utf-8")
    cli._collect_static()
    cli._collect_static()
    assert len(calls) == 2
    (source / "app.css").write_text("a{color:blue}", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        cli._collect_static()
    cli._collect_static()  # the interrupted collection is done again
    cli._collect_static()
    assert len(calls) == 4
