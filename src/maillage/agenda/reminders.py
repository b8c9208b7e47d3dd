"""Reminders of appointments to the person, by text message or e-mail (C6).

Who gets one
    A registered person with an appointment still expected. Their latest
    ``ReminderChoice`` decides; without any choice, the default is a text message when
    their phone is a French mobile (``french_mobile``), else an e-mail when they have an
    address, else nothing. Opting out is a ``ReminderChoice`` with
    ``wants_reminders=False``. A choice of a channel the person cannot be reached by (SMS
    with no mobile number, e-mail with no address) is respected: no reminder by the other
    channel, a "skipped" row says why.

When
    ``settings.REMINDER_HOURS`` (``MAILLAGE_REMINDER_HOURS``) before the start. The worker
    (``maillage worker``) runs ``schedule_due_reminders`` every few minutes: it sends the
    reminder of every appointment starting within that delay (plus ``SWEEP_MARGIN``) that
    has none yet for its current start, so an appointment booked at shorter notice gets
    its reminder at the next sweep, and a stopped worker catches up when it restarts.

What
    One short sentence in the person's language (``reminder_language``) with the name of
    the structure, the day and the time, and how to cancel or move it: never the name of
    the person, the reason, the kind of appointment or any other health detail.

Idempotency
    The ``Reminder`` row, unique for (appointment, start), is the key. It is created
    ("claimed") in its own short transaction *before* the message leaves, while the
    appointment row is locked and checked to be still expected at that start; the
    outcome is written after. So:

    - two runs at the same time (the sweep and a task, two workers): one insert wins, the
      other hits the unique constraint and sends nothing;
    - a run after a successful one finds the row and sends nothing;
    - a crash between the send and the outcome leaves the claimed row (outcome "failed",
      detail ``INTERRUPTED``): the retry finds it and sends nothing. A reminder is sent
      at most once; the price is that a crash in that second loses it instead of sending
      it twice, and the row says so.

    A failed send (SMS backend refusing, SMTP error) is not retried, for the same reason:
    the provider may have accepted the message before failing to answer.

    A task for a start the appointment no longer has (moved, cancelled, started) writes
    no row: if the appointment is moved back to that start, its reminder is still sent.

Privacy
    Logs and the ``detail`` column hold the appointment id, the channel, the outcome and
    an error's type or our own fixed wording: never a phone number, an address or the
    text.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable
from typing import Final, Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from maillage.agenda.models import (
    Appointment,
    AppointmentStatus,
    Reminder,
    ReminderChannel,
    ReminderChoice,
    ReminderOutcome,
)
from maillage.core.sms import SmsError, french_mobile, send_sms
from maillage.people.models import Person

__all__ = [
    "DONE",
    "ERROR",
    "STALE",
    "reminder_language",
    "reminder_text",
    "schedule_due_reminders",
    "send_reminder",
    "sweep",
    "wants_reminders",
]

logger = logging.getLogger(__name__)

# What ``send_reminder`` returns besides the three ``ReminderOutcome`` values (each of
# which means "a Reminder row with this outcome was written by this call"):
DONE: Final = "done"  # the reminder of this start was already made (or is being made): nothing
STALE: Final = "stale"  # the appointment no longer starts then, or is not expected: nothing, no row
# Counted by the sweep for an appointment the database refused to handle (logged; the
# sweep goes on, and the next one tries it again).
ERROR: Final = "error"

# The sweep looks this much further than REMINDER_HOURS, so that with a sweep every five
# minutes a reminder leaves a little before REMINDER_HOURS, never after.
SWEEP_MARGIN = datetime.timedelta(minutes=10)
# Appointments read per query by the sweep (keyset pages: memory stays bounded).
SWEEP_BATCH = 500

# Reminder.detail wording (stored data, not shown to the person; no personal data).
OPTED_OUT = "the person does not want reminders"
NO_CONTACT = "no French mobile number and no e-mail address"
NO_MOBILE = "no French mobile number"
NO_EMAIL = "no e-mail address"
INTERRUPTED = "interrupted while sending: it may or may not have left"


# --- Who, how, in which language -------------------------------------------------------


def _decide(person: Person, choice: tuple[bool, str] | None) -> tuple[bool, str, str]:
    """(wants reminders, channel, why not) from the person's latest choice, if any."""
    if choice is not None:
        wants, channel = choice
        if not wants:
            return False, "", OPTED_OUT
        if channel in ReminderChannel.values:
            return True, channel, ""
    if french_mobile(person.phone):
        return True, ReminderChannel.SMS, ""
    if person.email:
        return True, ReminderChannel.EMAIL, ""
    return False, "", NO_CONTACT


def _latest_choice(person: Person) -> tuple[bool, str] | None:
    return (
        ReminderChoice.objects.filter(person=person)
        .order_by("-recorded_at", "-pk")
        .values_list("wants_reminders", "channel")
        .first()
    )


def wants_reminders(person: Person) -> tuple[bool, str]:
    """Whether the person gets appointment reminders, and by which ``ReminderChannel``
    (``""`` when not): their latest ``ReminderChoice``; without one, by SMS when their
    phone is a French mobile, else by e-mail when they have an address, else not."""
    wants, channel, _why = _decide(person, _latest_choice(person))
    return wants, channel


def reminder_language(person: Person) -> str:
    """The first of the person's languages (their interpreting language, then the
    languages they speak, in order) that Maillage speaks — in ``settings.LANGUAGES`` with
    a catalog — else ``settings.LANGUAGE_CODE``."""
    spoken = {code for code, _name in settings.LANGUAGES}
    candidates = [person.interpreting_language, *(person.languages or [])]
    for raw in candidates:
        if not isinstance(raw, str) or not raw.strip():
            continue
        code = raw.strip().lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in spoken and translation.check_for_language(candidate):
                return candidate
    return str(settings.LANGUAGE_CODE)


def reminder_text(appointment: Appointment) -> str:
    """The reminder, in the active language: the structure, the day, the time and how to
    cancel or move the appointment — nothing else."""
    local = timezone.localtime(appointment.starts_at)
    values = {
        "structure": appointment.structure.name,
        # Translators: format of the day in an appointment reminder (Django date format);
        # gives "Tuesday 1 December". French: "l j F".
        "day": dateformat.format(local, pgettext("date in a reminder", "l j F")),
        # Translators: format of the time in an appointment reminder (Django time format);
        # gives "10:30". French, for "10 h 30": "G \h i".
        "time": dateformat.format(local, pgettext("time in a reminder", "H:i")),
    }
    phone = appointment.structure.phone.strip()
    person = appointment.person
    if phone:
        values["phone"] = phone
        template = _(  # Translators: SMS or e-mail reminding a person of their appointment.
            # No health detail, ever. %(structure)s is the name of the centre, %(day)s like
            # "mardi 1 décembre", %(time)s like "10 h 30", %(phone)s the centre's number.
            "%(structure)s: reminder of your appointment on %(day)s at %(time)s. "
            "To cancel or move it, call %(phone)s."
        )
    elif person is not None and person.user_id is not None:
        template = _(  # Translators: the same reminder when the centre has no phone
            # number and the person has their personal space (where they can cancel it or
            # ask to move it).
            "%(structure)s: reminder of your appointment on %(day)s at %(time)s. "
            "To cancel or move it, go to your personal space."
        )
    else:
        template = _(  # Translators: the same reminder when the centre has no phone
            # number and the person has no personal space.
            "%(structure)s: reminder of your appointment on %(day)s at %(time)s. "
            "To cancel or move it, contact us."
        )
    return template % values


# --- Sending one reminder ---------------------------------------------------------------


def _with_choice(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """The appointments with their person, structure and the person's latest reminder
    choice (``choice_wants``, ``choice_channel``) in the same query."""
    latest = ReminderChoice.objects.filter(person=OuterRef("person_id")).order_by(
        "-recorded_at", "-pk"
    )
    return appointments.select_related("person", "structure").annotate(
        choice_wants=Subquery(latest.values("wants_reminders")[:1]),
        choice_channel=Subquery(latest.values("channel")[:1]),
    )


def _claim(
    appointment: Appointment,
    for_start: datetime.datetime,
    *,
    outcome: str,
    channel: str,
    language: str,
    detail: str,
) -> Reminder | Literal["done", "stale"]:
    """Create the reminder's row, committed before anything is sent; "done" when it
    exists already, "stale" when the appointment no longer starts then as expected."""
    try:
        with transaction.atomic():
            # Locked, so that a move or a cancellation waits for the claim (or the claim
            # sees it): a reminder never leaves for a start the appointment has just left.
            still = Appointment.objects.select_for_update(no_key=True).filter(
                pk=appointment.pk,
                status=AppointmentStatus.EXPECTED,
                starts_at=for_start,
                person__isnull=False,
            )
            if not list(still.values_list("pk", flat=True)):
                return STALE
            return Reminder.objects.create(
                appointment=appointment,
                for_start=for_start,
                outcome=outcome,
                channel=channel,
                language=language,
                detail=detail,
            )
    except IntegrityError:  # the unique (appointment, start): another run made it
        return DONE


def _deliver(appointment: Appointment, channel: str, destination: str, language: str) -> None:
    with translation.override(language):
        text = reminder_text(appointment)
        if channel == ReminderChannel.SMS:
            send_sms(destination, text)
        else:
            subject = _("Reminder of your appointment")
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [destination])


def _remind(appointment: Appointment, for_start: datetime.datetime, now: datetime.datetime) -> str:
    """Send the reminder of ``appointment`` (loaded by ``_with_choice``) for ``for_start``."""
    person = appointment.person
    if (
        person is None
        or appointment.status != AppointmentStatus.EXPECTED
        or appointment.starts_at != for_start
        or for_start <= now
    ):
        return STALE
    choice_wants: bool | None = getattr(appointment, "choice_wants", None)
    choice = None if choice_wants is None else (choice_wants, appointment.choice_channel or "")  # type: ignore[attr-defined]
    wants, channel, why = _decide(person, choice)
    language = reminder_language(person)
    destination = ""
    if wants and channel == ReminderChannel.SMS:
        destination = french_mobile(person.phone) or ""
        why = "" if destination else NO_MOBILE
    elif wants:
        destination = person.email.strip()
        why = "" if destination else NO_EMAIL

    if not destination:
        claimed = _claim(
            appointment,
            for_start,
            outcome=ReminderOutcome.SKIPPED,
            channel=channel,
            language=language,
            detail=why,
        )
        if isinstance(claimed, Reminder):
            logger.info("reminder of appointment %s: skipped (%s)", appointment.pk, why)
            return ReminderOutcome.SKIPPED
        return claimed

    claimed = _claim(
        appointment,
        for_start,
        outcome=ReminderOutcome.FAILED,
        channel=channel,
        language=language,
        detail=INTERRUPTED,
    )
    if not isinstance(claimed, Reminder):
        return claimed
    outcome, detail = ReminderOutcome.SENT, ""
    try:
        _deliver(appointment, channel, destination, language)
    except SmsError as exc:
        # SmsError messages never hold the number, the text or the webhook's address.
        outcome, detail = ReminderOutcome.FAILED, str(exc)[:200]
    except Exception as exc:
        # smtplib's errors name the recipient: only the type of the error is kept.
        outcome, detail = ReminderOutcome.FAILED, type(exc).__name__
    Reminder.objects.filter(pk=claimed.pk).update(outcome=outcome, detail=detail, at=timezone.now())
    if outcome == ReminderOutcome.SENT:
        logger.info("reminder of appointment %s: sent by %s", appointment.pk, channel)
    else:
        logger.warning(
            "reminder of appointment %s: the %s could not be sent (%s)",
            appointment.pk,
            channel,
            detail,
        )
    return outcome


def send_reminder(
    appointment_id: int, for_start_iso: str, *, now: datetime.datetime | None = None
) -> str:
    """Send the reminder of one appointment for the start it had when it was planned
    (ISO 8601, as ``starts_at.isoformat()``), at once, whatever the delay.

    Returns the outcome: "sent", "failed" or "skipped" (opt-out, no way to reach the
    person) when this call wrote the ``Reminder`` row; ``DONE`` when a row for this start
    existed (nothing sent); ``STALE`` when the appointment is gone, cancelled or no longer
    expected, has moved to another start, has begun, or has no registered person (nothing
    sent, no row). Never raises for a failed send: it is recorded.
    """
    now = now or timezone.now()
    for_start = datetime.datetime.fromisoformat(for_start_iso)
    if timezone.is_naive(for_start):
        for_start = timezone.make_aware(for_start)
    appointment = _with_choice(Appointment.objects.filter(pk=appointment_id)).first()
    if appointment is None:
        return STALE
    return _remind(appointment, for_start, now)


# --- The sweep ---------------------------------------------------------------------------


def sweep(
    now: datetime.datetime | None = None, *, stop: Callable[[], bool] | None = None
) -> Counter[str]:
    """Send every reminder due at ``now`` and not made yet; how many of each outcome.

    Due: an expected appointment of a registered person, starting after ``now`` and at most
    ``REMINDER_HOURS`` (plus ``SWEEP_MARGIN``) later, without a ``Reminder`` for its
    current start. Appointments are read in pages of ``SWEEP_BATCH`` (one query each, with
    the persons, structures and reminder choices); each send then costs a constant few
    queries (the claim and the outcome). ``stop`` is asked between two sends (the worker
    stopping). A reminder that fails is recorded and the sweep goes on.
    """
    now = now or timezone.now()
    horizon = now + datetime.timedelta(hours=settings.REMINDER_HOURS) + SWEEP_MARGIN
    made = Reminder.objects.filter(appointment=OuterRef("pk"), for_start=OuterRef("starts_at"))
    due = _with_choice(
        Appointment.objects.filter(
            status=AppointmentStatus.EXPECTED,
            person__isnull=False,
            starts_at__gt=now,
            starts_at__lte=horizon,
        ).filter(~Exists(made))
    ).order_by("starts_at", "pk")
    counts: Counter[str] = Counter()
    after: tuple[datetime.datetime, int] | None = None
    while True:
        page = due
        if after is not None:
            page = due.filter(Q(starts_at__gt=after[0]) | Q(starts_at=after[0], pk__gt=after[1]))
        batch = list(page[:SWEEP_BATCH])
        for appointment in batch:
            if stop is not None and stop():
                return counts
            try:
                outcome = _remind(appointment, appointment.starts_at, now)
            except Exception as exc:  # the database refused this one: the others still go
                logger.warning(
                    "reminder of appointment %s: not made (%s)", appointment.pk, type(exc).__name__
                )
                outcome = ERROR
            counts[outcome] += 1
        if len(batch) < SWEEP_BATCH:
            return counts
        after = (batch[-1].starts_at, batch[-1].pk)


def schedule_due_reminders(now: datetime.datetime | None = None) -> int:
    """The safety sweep (see ``sweep``): send every reminder due at ``now``; how many
    were sent."""
    return sweep(now)[ReminderOutcome.SENT]
