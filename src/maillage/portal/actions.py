"""Writes on the personal space: inviting a person, and the person opening their space.

Atomic and logged in the person's access log (section ``administrative``). Messages go
out when the transaction commits, and say nothing about the person's health: the
centre's name, the link and until when it works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member, User
from maillage.core.roles import Section
from maillage.core.sms import SmsError, send_sms
from maillage.people.models import Person
from maillage.portal import codes
from maillage.portal.models import INVITATION_LIFETIME, PortalInvitation

logger = logging.getLogger(__name__)

A = AccessEvent.Action
Channel = PortalInvitation.Channel


class PortalAlreadyOpen(ValueError):
    """The person already has an account for their space: no invitation is needed."""


class InvitationUnusable(ValueError):
    """The invitation was used, revoked or has expired, or the person has an account."""


@dataclass
class SentInvitation:
    """A new invitation with its secrets, known only to the request that made it."""

    invitation: PortalInvitation
    code: str  # normal form; shown at the desk, or when the message could not be sent
    link: str  # "" for a code given at the desk
    # Whether the e-mail or SMS was handed over; None until the transaction commits
    # (and for the desk).
    delivered: bool | None = None

    @property
    def display_code(self) -> str:
        return codes.format_code(self.code)


def expiry_text(invitation: PortalInvitation, *, short: bool = False) -> str:
    """Until when an invitation works, in words: "12 mars 2025 à 14:05"."""
    local = timezone.localtime(invitation.expires_at)
    return _("%(date)s at %(time)s") % {
        "date": formats.date_format(local, "SHORT_DATE_FORMAT" if short else "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


def _unique_code() -> str:
    while True:
        code = codes.new_code()
        if not PortalInvitation.objects.usable().filter(code_hash=codes.hash_code(code)).exists():
            return code


@transaction.atomic
def do_invite_person(
    member: Member, person: Person, channel: str, destination: str, base_url: str
) -> SentInvitation:
    """Invite the person to open their space, by e-mail, by SMS or with a desk code.

    The caller checked ``can(member, "invite_to_portal", person)`` and the destination
    (an e-mail address, or a mobile number in international form). Earlier unused
    invitations of the person are revoked.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel == Channel.DESK:
        destination = ""
    elif not destination:
        raise ValueError("an e-mail or SMS invitation needs a destination")
    # Lock the person: two invitations made at once must not both stay usable.
    person = (
        Person.objects.select_for_update(of=("self",)).select_related("structure").get(pk=person.pk)
    )
    if person.user_id is not None:
        raise PortalAlreadyOpen(person.pk)
    if person.merged_into_id is not None:
        raise ValueError("a merged record cannot be invited")
    now = timezone.now()
    PortalInvitation.objects.usable().filter(person=person).update(revoked_at=now)
    code = _unique_code()
    token = codes.new_token() if channel != Channel.DESK else ""
    invitation = PortalInvitation.objects.create(
        person=person,
        created_by=member,
        channel=channel,
        destination=destination,
        token_hash=codes.hash_token(token) if token else "",
        code_hash=codes.hash_code(code),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    link = base_url + reverse("portal:activate_link", args=[token]) if token else ""
    sent = SentInvitation(invitation=invitation, code=code, link=link)
    log_event(
        action=A.CREATE,
        member=member,
        person=person,
        section=Section.ADMINISTRATIVE,
        obj=invitation,
        reason=f"portal_invitation_{channel}",
    )
    structure = person.structure.name
    if channel == Channel.EMAIL:
        subject = _("Your personal space at %(structure)s") % {"structure": structure}
        body = _(
            "Hello,\n\n"
            "%(structure)s invites you to open your personal space. There you will find "
            "what the team has written down about you, and who has looked at it.\n\n"
            "To open it, follow this link and choose your password:\n%(link)s\n\n"
            "The link works once, until %(expiry)s. After that, simply ask the team for "
            "a new one.\n\n"
            "If you were not expecting this message, you can ignore it.\n\n"
            "See you soon,\nThe team of %(structure)s\n"
        ) % {"structure": structure, "link": link, "expiry": expiry_text(invitation)}
        transaction.on_commit(
            lambda: _deliver(
                sent,
                lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [destination]),
            )
        )
    elif channel == Channel.SMS:
        text = _(
            "%(structure)s: open your personal space and choose your password here: "
            "%(link)s (the link works once, until %(expiry)s)."
        ) % {"structure": structure, "link": link, "expiry": expiry_text(invitation, short=True)}
        transaction.on_commit(lambda: _deliver(sent, lambda: send_sms(destination, text)))
    return sent


def _deliver(sent: SentInvitation, send: Callable[[], object]) -> None:
    """Hand the message over; a failure is reported to the member, never raised: the
    invitation stays usable with its code."""
    try:
        send()
    except (SmsError, OSError) as exc:  # smtplib errors are OSErrors
        # No address, number or link in the logs: they are personal data or secrets.
        logger.warning(
            "portal invitation %s: the %s could not be sent (%s)",
            sent.invitation.pk,
            sent.invitation.channel,
            type(exc).__name__,
        )
        sent.delivered = False
    else:
        sent.delivered = True


@transaction.atomic
def do_activate_portal(invitation: PortalInvitation, username: str, password: str) -> User:
    """The person opens their space: their account is created and linked to their record.

    Raises ``InvitationUnusable`` when the invitation can no longer be used, and
    ``ValidationError`` when the password does not satisfy the password validators.
    """
    invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    if not invitation.is_usable or person.user_id is not None or person.merged_into_id:
        raise InvitationUnusable(invitation.pk)
    user = User(
        username=username,
        email=invitation.destination if invitation.channel == Channel.EMAIL else "",
        first_name=(person.used_given_name or person.first_given_name)[:150],
        last_name=(person.used_name or person.birth_name)[:150],
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    PortalInvitation.objects.usable().filter(person=person).update(revoked_at=now)
    log_event(
        action=A.CREATE,
        user=user,
        person=person,
        section=Section.ADMINISTRATIVE,
        obj=invitation,
        reason="portal_activated",
    )
    return user
