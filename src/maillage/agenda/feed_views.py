"""A member's private iCalendar address, for the calendar of their phone.

A member creates as many addresses as they have devices, sees each one once, and revokes
any of them; only a SHA-256 hash of the secret is kept (as for API tokens). The address
itself is public — a phone's calendar cannot sign in — and answers 404 for an unknown or
revoked secret or an inactive member.

What the feed says is kept to what a phone (and the cloud it may sync to) needs: the
kind of appointment and the person's initials, the room, the time, and a link to the
appointment's page in Maillage — never the person's name nor the reason they come.
Each fetch writes one access event for the feed, with no person in it: the feed shows
no one's record content, but whoever holds the address can be traced.
"""

from __future__ import annotations

import datetime
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from maillage.agenda import queries
from maillage.agenda.models import Appointment, AppointmentStatus, CalendarFeed
from maillage.coordination.models import Attendee
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.tokens import hash_secret
from maillage.lib import ical
from maillage.people.views import current_member

A = AccessEvent.Action
PAST = datetime.timedelta(days=30)
AHEAD = datetime.timedelta(days=180)
# A feed fetched less than this long ago is not written again on each fetch.
LAST_USED_RESOLUTION = datetime.timedelta(hours=1)
SECRET_BYTES = 32


@transaction.atomic
def do_create_feed(member: Member) -> tuple[CalendarFeed, str]:
    """A new private address for the member; returns it with its secret, shown once."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = CalendarFeed.objects.create(member=member, token_hash=hash_secret(secret))
    log_event(action=A.CREATE, member=member, obj=feed, reason="calendar_feed")
    return feed, secret


@transaction.atomic
def do_revoke_feed(feed: CalendarFeed, by: Member) -> bool:
    """Revoke the address at once; False when it was already revoked."""
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is not None:
        return False
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    log_event(action=A.UPDATE, member=by, obj=feed, reason="calendar_feed_revoked")
    return True


def feed_url(request: HttpRequest, secret: str) -> str:
    return request.build_absolute_uri(reverse("agenda:calendar_ics", args=[secret]))


def _page(request: HttpRequest, member: Member, created: str = "") -> HttpResponse:
    return render(
        request,
        "agenda/calendar_feeds.html",
        {
            "feeds": list(member.calendar_feeds.all()),
            "created": created,
            "created_webcal": (
                "webcal://" + created.split("://", 1)[1] if "://" in created else ""
            ),
        },
    )


@never_cache
@login_required
@require_safe
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    return _page(request, current_member(request))


@never_cache
@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    _feed, secret = do_create_feed(member)
    # Rendered, not redirected: the address is shown once, on this page only.
    return _page(request, member, created=feed_url(request, secret))


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest, feed_pk: int) -> HttpResponse:
    member = current_member(request)
    feed = member.calendar_feeds.filter(pk=feed_pk).first()
    if feed is None:
        raise Http404
    if do_revoke_feed(feed, by=member):
        messages.success(
            request,
            _("This calendar address is revoked: the calendars that used it no longer update."),
        )
    return redirect("agenda:calendar_feeds")


# --- The feed itself --------------------------------------------------------------------


def _usable_feed(token: str) -> CalendarFeed:
    if not 20 <= len(token) <= 100 or not token.isascii():
        raise Http404
    feed = (
        CalendarFeed.objects.filter(token_hash=hash_secret(token), revoked_at__isnull=True)
        .select_related("member__user", "member__structure")
        .first()
    )
    if feed is None or not (feed.member.is_active and feed.member.user.is_active):
        raise Http404
    return feed


def _someone(appointment: Appointment) -> str:
    """The person's initials, never their name: a phone's calendar may go to a cloud."""
    person = appointment.person
    if person is not None:
        given = person.used_given_name or person.first_given_name
        return ical.initials(given, person.used_name or person.birth_name)
    words = appointment.unregistered_name.split()
    return ical.initials(*(words[:1] + words[1:][-1:]))


def appointment_event(request: HttpRequest, appointment: Appointment) -> ical.Event:
    link = request.build_absolute_uri(reverse("agenda:appointment", args=[appointment.pk]))
    who = _someone(appointment)
    kind = appointment.get_kind_display()
    return ical.Event(
        uid=f"appointment-{appointment.pk}@maillage",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=f"{kind} — {who}" if who else str(kind),
        location=appointment.room.name if appointment.room is not None else "",
        description=link,
        url=link,
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )


def meeting_event(request: HttpRequest, attendee: Attendee) -> ical.Event:
    """A coordination meeting: its kind and place (its title and agenda may name
    persons, so they stay in Maillage)."""
    meeting = attendee.meeting
    link = request.build_absolute_uri(reverse("coordination:meeting", args=[meeting.pk]))
    return ical.Event(
        uid=f"meeting-{meeting.pk}@maillage",
        starts_at=meeting.starts_at,
        ends_at=meeting.starts_at + datetime.timedelta(minutes=meeting.duration_minutes or 60),
        summary=str(meeting.get_kind_display()).capitalize(),
        location=meeting.place,
        description=link,
        url=link,
    )


@require_safe
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    feed = _usable_feed(token)
    member = feed.member
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > LAST_USED_RESOLUTION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    period = (now - PAST, now + AHEAD)
    events = [appointment_event(request, a) for a in queries.member_agenda(member, period)]
    events += [meeting_event(request, m) for m in queries.member_meetings(member, period)]
    events.sort(key=lambda e: (e.starts_at, e.uid))
    log_event(action=A.READ, member=member, obj=feed, reason="calendar_feed")
    body = ical.calendar(events, name=f"Maillage — {member.structure.name}", now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maillage.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


urlpatterns = [
    path("agenda-prive/", calendar_feeds, name="calendar_feeds"),
    path("agenda-prive/creer/", calendar_feed_create, name="calendar_feed_create"),
    path("agenda-prive/<int:feed_pk>/revoquer/", calendar_feed_revoke, name="calendar_feed_revoke"),
    path("ical/<str:token>.ics", calendar_ics, name="calendar_ics"),
]
