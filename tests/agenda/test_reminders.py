"""Reminders to the person (C6): by SMS or e-mail, in their language, at the configured
delay, never twice, never against their opt-out, with nothing personal in the logs; and
``maillage worker``, which sends them."""

from __future__ import annotations

import datetime
import io
import logging
import os
import signal
import socket
import threading

import pytest
from django.core import mail
from django.core.management import call_command, get_commands
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation
from django_tasks import default_task_backend

from maillage.agenda import actions, reminders, tasks
from maillage.agenda.models import Reminder, ReminderChoice
from maillage.core import sms
from tests.agenda.conftest import at

FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture(autouse=True)
def _empty_outboxes():
    sms.outbox.clear()
    default_task_backend.clear()
    yield
    sms.outbox.clear()
    default_task_backend.clear()


def hours_before(start: datetime.datetime, hours: float) -> datetime.datetime:
    return start - datetime.timedelta(hours=hours)


def move(author, appointment, start):
    thirty = datetime.timedelta(minutes=30)
    return actions.do_move_appointment(
        author, appointment, starts_at=start, duration=thirty, room=None
    )


def weekday(moment: datetime.datetime, names: tuple[str, ...]) -> str:
    return names[timezone.localtime(moment).weekday()]


# --- Who gets one, how, in which language -------------------------------------------------


def test_by_default_sms_to_a_mobile_else_e_mail_else_nothing(make_person):
    assert reminders.wants_reminders(make_person(phone="06 12 34 56 78")) == (True, "sms")
    landline = make_person(phone="01 23 45 67 89", email="paul@example.org")
    assert reminders.wants_reminders(landline) == (True, "email")
    assert reminders.wants_reminders(make_person(phone="01 23 45 67 89")) == (False, "")


def test_the_latest_choice_counts(person, reception):
    then = timezone.now() - datetime.timedelta(days=10)
    ReminderChoice.objects.create(person=person, wants_reminders=False, recorded_at=then)
    assert reminders.wants_reminders(person) == (False, "")
    ReminderChoice.objects.create(
        person=person, wants_reminders=True, channel="email", recorded_by=reception
    )
    assert reminders.wants_reminders(person) == (True, "email")


@pytest.mark.parametrize(
    ("interpreting", "languages", "expected"),
    [
        ("", ["fr"], "fr"),
        ("", ["en"], "en"),
        ("", ["ar"], "fr"),  # Django has Arabic, Maillage does not
        ("", ["ar", "en"], "en"),
        ("en", ["fr"], "en"),  # the interpreting language first
        ("ar", ["ar", "fr"], "fr"),
        ("", [], "fr"),
        ("", ["EN-gb"], "en"),
    ],
)
def test_the_reminder_is_in_the_first_language_maillage_speaks(
    make_person, interpreting, languages, expected
):
    person = make_person(interpreting_language=interpreting, languages=languages)
    assert reminders.reminder_language(person) == expected


# --- Sending ----------------------------------------------------------------------------


def test_sent_once_by_sms_at_the_right_time(book, doctor, person):
    start = at(1, 10)
    appointment = book([doctor], start, person=person, reason="Douleurs thoraciques")

    assert reminders.schedule_due_reminders(hours_before(start, 30)) == 0
    assert sms.outbox == []

    assert reminders.schedule_due_reminders(hours_before(start, 23)) == 1
    [message] = sms.outbox
    assert message.to == "+33612345678"
    assert "Centre A" in message.text
    assert weekday(start, FRENCH_DAYS) in message.text
    assert "Douleurs" not in message.text and "DUPONT" not in message.text
    reminder = Reminder.objects.get(appointment=appointment)
    assert (reminder.outcome, reminder.channel, reminder.language, reminder.detail) == (
        "sent",
        "sms",
        "fr",
        "",
    )
    assert reminder.for_start == start

    # The sweep again, a later sweep, the task: nothing more.
    assert reminders.schedule_due_reminders(hours_before(start, 23)) == 0
    assert reminders.schedule_due_reminders(hours_before(start, 2)) == 0
    assert tasks.remind.call(appointment.pk, start.isoformat()) == reminders.DONE
    assert len(sms.outbox) == 1
    assert Reminder.objects.count() == 1


def test_the_delay_is_configurable(book, doctor, person, settings):
    settings.REMINDER_HOURS = 48
    start = at(2, 10)
    book([doctor], start, person=person)
    assert reminders.schedule_due_reminders(hours_before(start, 47)) == 1


def test_by_e_mail_when_there_is_no_mobile(book, doctor, make_person, settings):
    person = make_person(phone="01 23 45 67 89", email="paul.martin@example.org")
    start = at(1, 10)
    book([doctor], start, person=person)
    assert reminders.schedule_due_reminders(hours_before(start, 20)) == 1
    assert sms.outbox == []
    [email] = mail.outbox
    assert email.to == ["paul.martin@example.org"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Centre A" in email.body and weekday(start, FRENCH_DAYS) in email.body
    assert Reminder.objects.get().channel == "email"


def test_how_to_cancel_depends_on_what_the_centre_and_the_person_have(
    book, doctor, person, person_user, centre
):
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    with translation.override("en"):
        assert "go to your personal space" in reminders.reminder_text(appointment)
        centre.phone = "01 49 00 00 00"
        centre.save()
        appointment.refresh_from_db()
        assert "call 01 49 00 00 00" in reminders.reminder_text(appointment)


def test_an_opt_out_is_recorded_and_respected(book, doctor, person):
    ReminderChoice.objects.create(person=person, wants_reminders=False, by_the_person=True)
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    assert reminders.schedule_due_reminders(hours_before(start, 20)) == 0
    assert reminders.schedule_due_reminders(hours_before(start, 10)) == 0
    assert sms.outbox == [] and mail.outbox == []
    skipped = Reminder.objects.get(appointment=appointment)
    assert (skipped.outcome, skipped.detail) == ("skipped", reminders.OPTED_OUT)
    assert tasks.remind.call(appointment.pk, start.isoformat()) == reminders.DONE


@pytest.mark.parametrize(
    ("phone", "email", "choice", "detail"),
    [
        ("", "", None, reminders.NO_CONTACT),
        ("01 23 45 67 89", "paul@example.org", "sms", reminders.NO_MOBILE),
        ("06 12 34 56 78", "", "email", reminders.NO_EMAIL),
    ],
)
def test_no_way_to_reach_the_person_is_recorded(
    book, doctor, make_person, phone, email, choice, detail
):
    person = make_person(phone=phone, email=email)
    if choice:
        ReminderChoice.objects.create(person=person, wants_reminders=True, channel=choice)
    start = at(1, 10)
    book([doctor], start, person=person)
    assert reminders.sweep(hours_before(start, 20))["skipped"] == 1
    assert sms.outbox == [] and mail.outbox == []
    assert Reminder.objects.get().detail == detail


def test_a_cancelled_appointment_gets_no_reminder(book, doctor, person, reception):
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    actions.do_cancel_appointment(appointment, reason="Empêchement", author=reception)
    assert reminders.schedule_due_reminders(hours_before(start, 20)) == 0
    assert reminders.send_reminder(appointment.pk, start.isoformat()) == reminders.STALE
    assert sms.outbox == [] and not Reminder.objects.exists()


def test_a_moved_appointment_is_reminded_of_its_new_time_only(book, doctor, person, reception):
    first, moved_to = at(1, 10), at(1, 15)
    appointment = book([doctor], first, person=person)
    now = hours_before(moved_to, 20)
    move(reception, appointment, moved_to)
    # The task planned for the former time does nothing and writes nothing…
    assert reminders.send_reminder(appointment.pk, first.isoformat(), now=now) == reminders.STALE
    assert sms.outbox == [] and not Reminder.objects.exists()
    # … the new time gets its reminder.
    assert reminders.schedule_due_reminders(now) == 1
    assert Reminder.objects.get().for_start == moved_to
    assert len(sms.outbox) == 1


def test_moved_after_its_reminder_it_gets_one_for_the_new_time(book, doctor, person, reception):
    first, moved_to = at(1, 10), at(1, 16)
    appointment = book([doctor], first, person=person)
    assert reminders.schedule_due_reminders(hours_before(first, 20)) == 1
    move(reception, appointment, moved_to)
    assert reminders.schedule_due_reminders(hours_before(moved_to, 20)) == 1
    assert sorted(Reminder.objects.values_list("for_start", flat=True)) == [first, moved_to]
    assert len(sms.outbox) == 2


def test_moved_away_and_back_it_still_gets_its_reminder(book, doctor, person, reception):
    start, elsewhere = at(1, 10), at(1, 15)
    appointment = book([doctor], start, person=person)
    now = hours_before(start, 20)
    move(reception, appointment, elsewhere)
    assert reminders.send_reminder(appointment.pk, start.isoformat(), now=now) == reminders.STALE
    move(reception, appointment, start)
    assert reminders.send_reminder(appointment.pk, start.isoformat(), now=now) == "sent"


def test_no_reminder_once_the_appointment_has_begun_or_without_a_registered_person(
    book, doctor, person
):
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    late = start + datetime.timedelta(minutes=1)
    assert reminders.send_reminder(appointment.pk, start.isoformat(), now=late) == reminders.STALE
    walk_in = book([doctor], at(1, 11), unregistered_name="Nouvelle Personne",
                   unregistered_phone="06 98 76 54 32")  # fmt: skip
    assert reminders.sweep(hours_before(start, 20)) == {"sent": 1}
    assert reminders.send_reminder(walk_in.pk, walk_in.starts_at.isoformat()) == reminders.STALE
    assert [m.to for m in sms.outbox] == ["+33612345678"]


def test_the_text_is_in_english_for_an_english_speaker(book, doctor, make_person):
    person = make_person(phone="07 11 22 33 44", languages=["en"])
    start = at(1, 10)
    book([doctor], start, person=person)
    reminders.schedule_due_reminders(hours_before(start, 20))
    [message] = sms.outbox
    assert "reminder of your appointment" in message.text
    assert weekday(start, ENGLISH_DAYS) in message.text
    assert Reminder.objects.get().language == "en"


def test_an_arabic_speaker_gets_french(book, doctor, make_person):
    person = make_person(
        phone="07 11 22 33 44",
        languages=["ar"],
        interpreter_needed=True,
        interpreting_language="ar",
    )
    start = at(1, 10)
    book([doctor], start, person=person)
    reminders.schedule_due_reminders(hours_before(start, 20))
    [message] = sms.outbox
    assert weekday(start, FRENCH_DAYS) in message.text
    assert Reminder.objects.get().language == "fr"


# --- Failures and crashes ---------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failing_sms_webhook_is_recorded_and_the_sweep_goes_on(
    book, doctor, person, make_person, settings
):
    settings.SMS_BACKEND = "webhook"
    settings.SMS_WEBHOOK_URL = f"http://127.0.0.1:{closed_port()}/sms"
    by_email = make_person(phone="", email="paul.martin@example.org")
    start = at(1, 10)
    failing = book([doctor], start, person=person)
    book([doctor], at(1, 11), person=by_email)

    counts = reminders.sweep(hours_before(start, 20))
    assert counts == {"failed": 1, "sent": 1}
    failed = Reminder.objects.get(appointment=failing)
    assert failed.outcome == "failed" and "cannot be reached" in failed.detail
    assert len(mail.outbox) == 1
    # Not retried: the provider may have taken it before failing to answer.
    assert reminders.sweep(hours_before(start, 19)) == {}


def test_an_unexpected_error_is_recorded_without_personal_data(book, doctor, person, monkeypatch):
    def broken(to: str, text: str) -> None:
        raise RuntimeError(f"cannot send {text!r} to {to}")

    monkeypatch.setattr(reminders, "send_sms", broken)
    start = at(1, 10)
    book([doctor], start, person=person)
    assert reminders.sweep(hours_before(start, 20)) == {"failed": 1}
    assert Reminder.objects.get().detail == "RuntimeError"


def test_a_crash_after_sending_never_sends_it_again(book, doctor, person, monkeypatch):
    def sent_then_killed(to: str, text: str) -> None:
        sms.outbox.append(sms.SmsMessage(to=to, text=text))
        raise SystemExit("the worker is killed before the outcome is written")

    monkeypatch.setattr(reminders, "send_sms", sent_then_killed)
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    with pytest.raises(SystemExit):
        reminders.sweep(hours_before(start, 20))
    claimed = Reminder.objects.get(appointment=appointment)
    assert (claimed.outcome, claimed.detail) == ("failed", reminders.INTERRUPTED)

    monkeypatch.undo()
    assert reminders.sweep(hours_before(start, 19)) == {}
    assert reminders.send_reminder(appointment.pk, start.isoformat()) == reminders.DONE
    assert len(sms.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_instant_send_it_once(book, doctor, person):
    start = at(1, 10)
    appointment = book([doctor], start, person=person)
    barrier = threading.Barrier(2)
    outcomes: list[str] = ["", ""]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = reminders.send_reminder(
                appointment.pk, start.isoformat(), now=hours_before(start, 20)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["done", "sent"]
    assert len(sms.outbox) == 1
    assert Reminder.objects.count() == 1


def test_no_personal_data_in_the_logs(book, doctor, person, make_person, settings, caplog):
    caplog.set_level(logging.DEBUG)
    by_email = make_person(phone="", email="paul.martin@example.org", birth_name="MARTIN")
    start = at(1, 10)
    book([doctor], start, person=person)
    book([doctor], at(1, 11), person=by_email)
    reminders.sweep(hours_before(start, 20))
    texts = [m.text for m in sms.outbox] + [m.body for m in mail.outbox]
    assert len(texts) == 2

    # And when the webhook fails.
    settings.SMS_BACKEND = "webhook"
    settings.SMS_WEBHOOK_URL = f"http://127.0.0.1:{closed_port()}/sms"
    failing = make_person(phone="07 99 88 77 66", birth_name="LEGRAND")
    book([doctor], at(1, 12), person=failing)
    assert reminders.sweep(hours_before(start, 20)) == {"failed": 1}

    logged = caplog.text + " ".join(Reminder.objects.values_list("detail", flat=True))
    assert "reminder of appointment" in caplog.text
    for secret in (
        "06 12 34 56 78",
        "+33612345678",
        "0612345678",
        "+33799887766",
        "07 99 88 77 66",
        "paul.martin@example.org",
        "DUPONT",
        "MARTIN",
        "LEGRAND",
        "Centre A",
        *texts,
    ):
        assert secret not in logged, secret


# --- Cost --------------------------------------------------------------------------------

# One query reads the due appointments with their persons, structures and choices; each
# reminder then costs the same few queries (lock and claim in a savepoint, outcome).
SWEEP_QUERIES = 1
QUERIES_PER_REMINDER = 5


@pytest.mark.parametrize("due", [3, 30])
def test_the_sweep_costs_the_same_few_queries_per_reminder(
    book, doctor, make_person, django_assert_max_num_queries, due
):
    first = at(1, 8)
    for i in range(due):
        person = make_person(birth_name=f"PERSONNE{i}", phone=f"06 12 34 {i // 10}{i % 10} 00")
        if i % 3 == 0:
            ReminderChoice.objects.create(person=person, wants_reminders=True, channel="sms")
        book([doctor], first + datetime.timedelta(minutes=15 * i), minutes=15, person=person)
    with django_assert_max_num_queries(SWEEP_QUERIES + QUERIES_PER_REMINDER * due):
        assert reminders.schedule_due_reminders(hours_before(first, 16)) == due
    assert len(sms.outbox) == due


# --- Tasks and the worker ----------------------------------------------------------------


def test_a_booking_plans_its_reminder_for_its_time(book, doctor, person, settings):
    start = at(3, 10)
    appointment = book([doctor], start, person=person)
    assert tasks.plan_reminder(appointment) is True
    [queued] = default_task_backend.results
    assert queued.task.run_after == hours_before(start, settings.REMINDER_HOURS)
    assert queued.args == [appointment.pk, start.isoformat()]
    # The worker runs it when its time comes.
    assert queued.task.call(*queued.args) == "sent"
    assert len(sms.outbox) == 1


def test_without_a_backend_that_defers_tasks_the_sweep_sends_it(book, doctor, person):
    appointment = book([doctor], at(3, 10), person=person)
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ):
        assert tasks.plan_reminder(appointment) is False
    assert sms.outbox == []


def test_the_sweep_task(book, doctor, person):
    book([doctor], timezone.now() + datetime.timedelta(hours=2), person=person)
    assert tasks.sweep_reminders.call() == 1


def test_maillage_worker_once(book, doctor, person):
    assert get_commands()["worker"] == "maillage.agenda"  # `maillage worker` reaches it
    book([doctor], timezone.now() + datetime.timedelta(hours=3), person=person)
    book([doctor], timezone.now() + datetime.timedelta(days=3), person=person)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "1" in out.getvalue()
    assert len(sms.outbox) == 1
    call_command("worker", "--once", stdout=io.StringIO())
    assert len(sms.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_queue_of_the_database_backend(
    book, doctor, person, settings, monkeypatch
):
    """As in production: the booking's reminder waits in django-tasks-db's queue, and
    ``maillage worker`` runs it when its time has come — once."""
    from collections import Counter

    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REMINDER_HOURS = 24
    soon = book([doctor], timezone.now() + datetime.timedelta(hours=3), person=person)
    later = book([doctor], at(4, 10), person=person)  # committed: both queued at once
    queued = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
    assert set(queued) == {soon.pk, later.pk}
    assert queued[soon.pk].args_kwargs["args"] == [soon.pk, soon.starts_at.isoformat()]
    assert queued[later.pk].run_after == hours_before(later.starts_at, 24)
    # Only the queue sends here: the sweep is left out.
    monkeypatch.setattr(reminders, "sweep", lambda *args, **kwargs: Counter())

    call_command("worker", "--once", stdout=io.StringIO())
    done = DBTaskResult.objects.get(pk=queued[soon.pk].pk)
    assert (done.status, done.return_value) == ("SUCCESSFUL", "sent")
    assert DBTaskResult.objects.get(pk=queued[later.pk].pk).status == "READY"  # not yet
    assert [m.to for m in sms.outbox] == ["+33612345678"]

    call_command("worker", "--once", stdout=io.StringIO())
    assert len(sms.outbox) == 1
    assert Reminder.objects.filter(appointment=later).count() == 0


def test_maillage_worker_stops_gracefully_on_sigint(book, doctor, person, monkeypatch):
    book([doctor], timezone.now() + datetime.timedelta(hours=3), person=person)
    former = signal.getsignal(signal.SIGINT)
    real_sweep = reminders.sweep

    def sweep_then_interrupted(*args, **kwargs):
        counts = real_sweep(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return counts

    monkeypatch.setattr(reminders, "sweep", sweep_then_interrupted)
    out, err = io.StringIO(), io.StringIO()
    call_command("worker", "--every", "3600", stdout=out, stderr=err)
    assert len(sms.outbox) == 1, (out.getvalue(), err.getvalue())
    assert signal.getsignal(signal.SIGINT) is former
    assert out.getvalue().strip().splitlines()[-1]  # the "stopped" line
    assert err.getvalue()  # "stopping after the current message"


# --- Recording the choice ----------------------------------------------------------------


def test_the_team_records_the_persons_choice_and_the_sender_follows_it(
    as_reception, person, book, doctor
):
    from maillage.agenda.models import ReminderChoice

    response = as_reception.post(f"/agenda/rappels/{person.pk}/", {"choice": "none"})
    assert response.status_code == 302
    latest = ReminderChoice.objects.get(person=person)
    assert latest.wants_reminders is False and latest.by_the_person is False
    assert reminders.wants_reminders(person) == (False, "")
    page = as_reception.get(f"/personnes/{person.pk}/")
    assert page.context["reminder_form"].initial == {"choice": "none"}
    # A bad value: nothing recorded, a message.
    as_reception.post(f"/agenda/rappels/{person.pk}/", {"choice": "pigeon"})
    assert ReminderChoice.objects.filter(person=person).count() == 1


def test_the_person_chooses_in_their_space(as_person, person):
    from maillage.agenda.models import ReminderChoice

    response = as_person.post("/mon-espace/rendez-vous/rappels/", {"choice": "email"})
    assert response.status_code == 302
    latest = ReminderChoice.objects.get(person=person)
    assert latest.wants_reminders and latest.channel == "email" and latest.by_the_person


def test_others_cannot_record_a_choice(as_other, as_outsider, person):
    from maillage.agenda.models import ReminderChoice

    for client in (as_other, as_outsider):
        response = client.post(f"/agenda/rappels/{person.pk}/", {"choice": "none"})
        assert response.status_code in {302, 404}
    assert not ReminderChoice.objects.exists()
