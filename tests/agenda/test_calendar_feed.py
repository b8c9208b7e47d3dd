"""A member's private iCalendar address: created and shown once, answers without signing
in with the member's appointments (initials only) and meetings, 404 once revoked, for a
wrong secret or an inactive member; no one else revokes it; its cost does not grow with
the number of appointments."""

from __future__ import annotations

import datetime
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.agenda import actions
from maillage.agenda.feed_views import do_create_feed
from maillage.agenda.models import CalendarFeed
from maillage.coordination.models import Attendee, Meeting
from maillage.core.models import AccessEvent
from maillage.core.tokens import hash_secret
from tests.agenda.conftest import at

FEEDS = reverse("agenda:calendar_feeds")
CREATE = reverse("agenda:calendar_feed_create")


def ics_url(secret: str) -> str:
    return reverse("agenda:calendar_ics", args=[secret])


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def created_url(response) -> str:
    match = re.search(r'id="new-feed"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "the new address is shown"
    return match.group(1)


def fetch(url: str):
    """A phone: no session, no cookie."""
    return Client().get(url)


def test_create_then_subscribe(
    as_doctor, doctor, person, person_user, book, room, interpreter, social_worker
):
    mine = book(
        [doctor],
        at(2, 10),
        person=person,
        room=room,
        reason="Motif-tres-prive",
        reception_notes="Note-accueil",
    )
    unregistered = book([doctor], at(3, 9), unregistered_name="Jeanne Inconnue Lefort")
    called_off = book([doctor], at(4, 9), person=person)
    actions.do_cancel_appointment(called_off, reason="", by_person=person_user)
    interpreted = book(
        [social_worker],
        at(5, 14),
        person=person,
        interpreting="on_site",
        language="ar",
        interpreter=interpreter,
    )
    old = book([doctor], at(-40, 9), person=person)
    far = book([doctor], at(200, 9), person=person)
    meeting = Meeting.objects.create(
        structure=doctor.structure,
        kind="concertation",
        title="Situation de Marie DUPONT",
        starts_at=at(6, 16),
        duration_minutes=90,
        place="Salle de réunion",
        created_by=doctor,
    )
    Attendee.objects.create(meeting=meeting, kind="member", member=doctor)

    response = as_doctor.post(CREATE)
    assert response.status_code == 200
    url = created_url(response)
    assert url.startswith("http://testserver/agenda/ical/") and url.endswith(".ics")
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 43
    # Only a hash of the secret is kept.
    feed = CalendarFeed.objects.get(member=doctor)
    assert feed.token_hash == hash_secret(secret) and secret not in feed.token_hash
    # The list page never shows it again.
    assert secret not in as_doctor.get(FEEDS).content.decode()

    answer = fetch(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    text = answer.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    lines = unfold(text)
    assert "PRODID:-//Maillage//Agenda//FR" in lines and "VERSION:2.0" in lines
    assert any(line.startswith("X-WR-CALNAME:") for line in lines)
    uids = [line for line in lines if line.startswith("UID:")]
    assert uids == [
        f"UID:appointment-{mine.pk}@maillage",
        f"UID:appointment-{unregistered.pk}@maillage",
        f"UID:appointment-{called_off.pk}@maillage",
        f"UID:meeting-{meeting.pk}@maillage",
    ]
    # Initials only: never the name, never the reason nor the notes.
    assert "SUMMARY:Consultation individuelle — M. D." in lines
    assert "SUMMARY:Consultation individuelle — J. L." in lines
    for secret_text in ("DUPONT", "Dupont", "Marie", "Jeanne", "Lefort", "Motif", "Note-accueil"):
        assert secret_text not in text
    assert f"LOCATION:{room.name}" in lines
    start = timezone.localtime(mine.starts_at).astimezone(datetime.UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in lines
    link = f"http://testserver{reverse('agenda:appointment', args=[mine.pk])}"
    assert f"DESCRIPTION:{link}" in lines
    assert lines.count("STATUS:CANCELLED") == 1
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert f"appointment-{interpreted.pk}@" not in text  # the social worker's, not mine
    assert f"appointment-{old.pk}@" not in text and f"appointment-{far.pk}@" not in text

    # The interpreter's own feed holds the appointment they interpret.
    _feed, interpreter_secret = do_create_feed(interpreter)
    theirs = fetch(ics_url(interpreter_secret)).content.decode()
    assert f"UID:appointment-{interpreted.pk}@maillage" in unfold(theirs)
    assert f"appointment-{mine.pk}@" not in theirs

    # Used: the date is kept (once an hour at most), and each fetch is in the access log,
    # with no person in it.
    feed.refresh_from_db()
    first_use = feed.last_used_at
    assert first_use is not None
    fetch(url)
    feed.refresh_from_db()
    assert feed.last_used_at == first_use
    fetches = AccessEvent.objects.filter(
        action=AccessEvent.Action.READ, object_type="agenda.calendarfeed", object_id=str(feed.pk)
    )
    assert fetches.count() == 2
    assert all(e.person_id is None and e.actor_member_id == doctor.pk for e in fetches)
    assert AccessEvent.objects.filter(
        action=AccessEvent.Action.CREATE, object_type="agenda.calendarfeed"
    ).exists()


def test_last_used_is_written_again_after_an_hour(doctor):
    feed, secret = do_create_feed(doctor)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=long_ago)
    assert fetch(ics_url(secret)).status_code == 200
    feed.refresh_from_db()
    assert feed.last_used_at > long_ago


def test_revoked_wrong_or_inactive_answers_404(as_doctor, doctor):
    feed, secret = do_create_feed(doctor)
    assert fetch(ics_url(secret)).status_code == 200
    assert fetch(ics_url("x" * 43)).status_code == 404
    assert fetch(ics_url(secret[:-1] + ("A" if secret[-1] != "A" else "B"))).status_code == 404
    assert fetch(ics_url("short")).status_code == 404

    doctor.is_active = False
    doctor.save(update_fields=["is_active"])
    assert fetch(ics_url(secret)).status_code == 404
    doctor.is_active = True
    doctor.save(update_fields=["is_active"])
    doctor.user.is_active = False
    doctor.user.save(update_fields=["is_active"])
    assert fetch(ics_url(secret)).status_code == 404
    doctor.user.is_active = True
    doctor.user.save(update_fields=["is_active"])
    assert fetch(ics_url(secret)).status_code == 200

    response = as_doctor.post(reverse("agenda:calendar_feed_revoke", args=[feed.pk]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert fetch(ics_url(secret)).status_code == 404
    # The list still shows it, as revoked, without a revoke button.
    page = as_doctor.get(FEEDS).content.decode()
    assert reverse("agenda:calendar_feed_revoke", args=[feed.pk]) not in page


def test_no_one_else_revokes_a_feed(doctor, reception, other_member, as_reception, as_other):
    feed, secret = do_create_feed(doctor)
    revoke = reverse("agenda:calendar_feed_revoke", args=[feed.pk])
    assert as_reception.post(revoke).status_code == 404
    assert as_other.post(revoke).status_code == 404
    assert Client().post(revoke).status_code == 302  # to the sign-in page
    feed.refresh_from_db()
    assert feed.revoked_at is None
    assert fetch(ics_url(secret)).status_code == 200
    # Nor sees it in their list.
    assert f'action="{revoke}"' not in as_reception.get(FEEDS).content.decode()


def test_the_list_of_my_feeds(as_doctor, doctor):
    do_create_feed(doctor)
    response = as_doctor.get(FEEDS)
    assert response.status_code == 200
    assert [f.member_id for f in response.context["feeds"]] == [doctor.pk]
    assert response.context["created"] == ""
    assert as_doctor.get(CREATE).status_code == 405
    assert Client().get(FEEDS).status_code == 302


def test_accounts_without_a_structure_have_no_feeds(as_outsider, as_person):
    for client in (as_outsider, as_person):
        assert client.get(FEEDS).status_code == 404
        assert client.post(CREATE).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_feed_is_read_only(doctor):
    _feed, secret = do_create_feed(doctor)
    assert Client().post(ics_url(secret)).status_code == 405


def test_the_cost_of_a_feed_does_not_grow(
    doctor, person, book, room, interpreter, django_assert_max_num_queries
):
    """Six queries for 3 appointments as for 30: the feed, its last use, the appointments,
    their members, the meetings, the access event."""
    meeting = Meeting.objects.create(
        structure=doctor.structure,
        kind="team",
        title="Réunion",
        starts_at=at(5, 12),
        created_by=doctor,
    )
    Attendee.objects.create(meeting=meeting, kind="member", member=doctor)
    feed, secret = do_create_feed(doctor)
    client = Client()
    start = at(1, 8)
    booked = 0
    counts = []
    for count in (3, 30):
        for i in range(booked, count):
            book(
                [doctor],
                start + datetime.timedelta(hours=i),
                minutes=30,
                person=person,
                room=room if i % 2 else None,
                outside_hours_ok=True,
                interpreting="on_site" if i % 3 == 0 else "none",
                language="ar" if i % 3 == 0 else "",
                interpreter=interpreter if i % 3 == 0 else None,
            )
        booked = count
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=None)
        with django_assert_max_num_queries(6) as captured:
            response = client.get(ics_url(secret))
        assert response.status_code == 200
        assert response.content.decode().count("BEGIN:VEVENT") == count + 1
        counts.append(len(captured))
    assert counts[0] == counts[1]
