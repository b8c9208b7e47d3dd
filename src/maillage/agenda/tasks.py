"""Background tasks of the agenda (django-tasks), run by ``maillage worker``.

``remind`` sends the reminder of one appointment for one start; ``sweep_reminders`` sends
every reminder that is due. The sweep alone is enough (the worker runs it every few
minutes); ``plan_reminder`` also asks the task backend, when it can defer tasks, to run
``remind`` at the exact time. Both are idempotent (see ``maillage.agenda.reminders``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from maillage.agenda import reminders
from maillage.agenda.models import Appointment


@task()
def remind(appointment_id: int, for_start: str) -> str:
    """Send the reminder of an appointment for the start it had when it was planned."""
    return reminders.send_reminder(appointment_id, for_start)


@task()
def sweep_reminders() -> int:
    """Send every reminder that is due and not made yet."""
    return reminders.schedule_due_reminders(timezone.now())


def plan_reminder(appointment: Appointment, now: datetime.datetime | None = None) -> bool:
    """Queue the reminder of a booked or moved appointment for ``REMINDER_HOURS`` before
    its start (at once if that is past); call it once the booking is committed
    (``transaction.on_commit``). Does nothing, and says so (False), when the task backend
    cannot defer a task — the sweep of the worker then sends the reminder."""
    if appointment.person_id is None or not remind.get_backend().supports_defer:
        return False
    now = now or timezone.now()
    leaves = appointment.starts_at - datetime.timedelta(hours=settings.REMINDER_HOURS)
    planned = remind.using(run_after=leaves) if leaves > now else remind
    planned.enqueue(appointment.pk, appointment.starts_at.isoformat())
    return True
