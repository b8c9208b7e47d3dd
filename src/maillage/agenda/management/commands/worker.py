"""``maillage worker``: the one background process of Maillage.

Every ``--every`` seconds (300 by default) it sends the appointment reminders that are
due (``maillage.agenda.reminders.sweep``) and makes the renewal tasks of rights that end
soon (``maillage.rights.renewals.run``), and removes the files of expired bulk FHIR exports
(``maillage.fhir.export.purge_expired``). When the task backend is django-tasks-db's
database backend (``settings.TASKS``), it also runs the queued tasks, in this process,
between two sweeps (its ``db_worker --batch``). SIGINT or SIGTERM stop it after the
message being sent; a second SIGINT (Ctrl+C) stops it at once. ``--once`` does one round
and exits (cron, tests). Two workers at the same time never send a reminder twice.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from maillage.agenda import reminders
from maillage.agenda.models import ReminderOutcome
from maillage.core.health import WORKER
from maillage.core.models import Heartbeat
from maillage.fhir import export as fhir_export
from maillage.rights import renewals

# How often queued tasks are looked for, when there is a queue.
QUEUE_POLL_SECONDS = 5.0
HEARTBEAT_SECONDS = 60
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def has_task_queue() -> bool:
    """Whether tasks wait in a queue this process must run (django-tasks-db's database
    backend); with the immediate backend they have run where they were enqueued."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    return type(backend).__module__.startswith("django_tasks_db") and (
        "db_worker" in get_commands()
    )


class Command(BaseCommand):
    our_handler: Callable[[int, FrameType | None], None] | None = None
    help = (
        "Run the background work: send the appointment reminders that are due and make "
        "the renewal tasks of rights every --every seconds, and run queued tasks. "
        "--once: one round, then exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=300,
            help="seconds between two sweeps of the due reminders (default: 300)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="one sweep and one pass over the queued tasks, then exit (cron, tests)",
        )

    def handle(self, *args: Any, every: int, once: bool, **options: Any) -> None:
        if every < 1:
            raise CommandError("--every must be at least 1 second")
        self.verbosity = int(options.get("verbosity", 1))
        self.stopping = threading.Event()
        if once:
            Heartbeat.beat(WORKER, every)
            self.report(reminders.sweep(), always=True)
            self.report_rights(renewals.run(), always=True)
            fhir_export.purge_expired()
            if has_task_queue():
                self.run_queue()
            return
        restore = self.handle_signals()
        self.stdout.write(
            _(
                "Worker started: reminders %(hours)d hours before appointments, looked for "
                "every %(every)d seconds. Stop it with Ctrl+C or SIGTERM."
            )
            % {"hours": settings.REMINDER_HOURS, "every": every}
        )
        if connection.in_atomic_block:  # a test runs the loop inside one: one connection
            Heartbeat.beat(WORKER, every)
        else:
            threading.Thread(target=self.heartbeat, name="heartbeat", daemon=True).start()
        try:
            self.loop(every)
        finally:
            restore()
            self.stdout.write(_("Worker stopped."))

    # --- The loop ----------------------------------------------------------------------

    def loop(self, every: int) -> None:
        queue = has_task_queue()
        next_sweep = time.monotonic()
        while not self.stopping.is_set():
            if not connection.in_atomic_block:  # (a test runs the loop inside one)
                close_old_connections()  # as between two requests: a lost one is replaced
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + every
                try:
                    self.report(reminders.sweep(stop=self.stopping.is_set))
                    self.report_rights(renewals.run())
                    fhir_export.purge_expired()
                except Exception as exc:  # the database is away: try again at the next round
                    self.stderr.write(f"sweep failed ({type(exc).__name__}); next in {every} s")
            if queue and not self.stopping.is_set():
                self.run_queue()
            wait = max(0.0, next_sweep - time.monotonic())
            self.stopping.wait(min(wait, QUEUE_POLL_SECONDS) if queue else wait)

    def heartbeat(self) -> None:
        """Tell ``/sante/`` the worker is alive, every ``HEARTBEAT_SECONDS``, from a thread
        of its own: a long task (a bulk export) keeps the loop busy for minutes."""
        try:
            while not self.stopping.is_set():
                try:
                    Heartbeat.beat(WORKER, HEARTBEAT_SECONDS)
                except Exception as exc:  # the database is away: /sante/ will say so
                    self.stderr.write(f"heartbeat failed ({type(exc).__name__})")
                self.stopping.wait(HEARTBEAT_SECONDS)
        finally:
            connection.close()  # this thread's own connection

    def run_queue(self) -> None:
        """Run every queued task that is due, in this process, then come back."""
        try:
            call_command(
                "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0
            )
        finally:
            # db_worker sets its own signal handlers: ours again, unless already stopping.
            if self.our_handler is not None and not self.stopping.is_set():
                for signum in STOP_SIGNALS:
                    signal.signal(signum, self.our_handler)

    def report(self, counts: Counter[str], always: bool = False) -> None:
        sent = counts[ReminderOutcome.SENT]
        failed = counts[ReminderOutcome.FAILED] + counts[reminders.ERROR]
        skipped = counts[ReminderOutcome.SKIPPED]
        if not (always or sent or failed or skipped or self.verbosity > 1):
            return
        line = _("Reminders: %(sent)d sent, %(failed)d failed, %(skipped)d not sent.") % {
            "sent": sent,
            "failed": failed,
            "skipped": skipped,
        }
        self.stdout.write(line if always else f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {line}")

    def report_rights(self, counts: Counter[str], always: bool = False) -> None:
        if not (always or counts["tasks"] or counts["expired"] or self.verbosity > 1):
            return
        line = _("Rights: %(tasks)d renewal tasks made, %(expired)d rights expired.") % {
            "tasks": counts["tasks"],
            "expired": counts["expired"],
        }
        self.stdout.write(line if always else f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {line}")

    # --- Stopping ----------------------------------------------------------------------

    def handle_signals(self) -> Callable[[], None]:
        """Stop after the current message on SIGINT or SIGTERM, at once on a second
        SIGINT; gives back a function that puts the former handlers back."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        former = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

        def stop(signum: int, frame: FrameType | None) -> None:
            if not self.stopping.is_set():
                self.stderr.write(_("Stopping after the current message…"))
            self.stopping.set()
            # A second Ctrl+C stops at once; SIGTERM may come twice (from the service
            # manager and from `uv run` passing it on) and waits like the first.
            signal.signal(signal.SIGINT, signal.default_int_handler)

        self.our_handler = stop
        for signum in STOP_SIGNALS:
            signal.signal(signum, stop)

        def restore() -> None:
            for signum, handler in former.items():
                signal.signal(signum, handler)

        return restore
