"""Invitations of a person to their own space, and the wrong codes typed to open it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member

INVITATION_LIFETIME = timedelta(days=7)


def _invitation_expiry() -> Any:
    return timezone.now() + INVITATION_LIFETIME


class PortalInvitationQuerySet(models.QuerySet["PortalInvitation"]):
    def usable(self) -> PortalInvitationQuerySet:
        """Neither used, nor revoked, nor expired."""
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class PortalInvitation(models.Model):
    """A member invites a person to open their own space (C13).

    Every invitation has a one-time code the person may type on the activation page
    (printed at the desk, or the fallback when a message could not be sent); invitations
    sent by e-mail or SMS also have a link. Both are shown or sent once: only their hashes
    are kept (``maillage.portal.codes``). A new invitation revokes the earlier unused ones.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("By e-mail")
        SMS = "sms", _("By text message (SMS)")
        DESK = "desk", _("With a code printed at the desk")

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="portal_invitations"
    )
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The e-mail address or the phone number (international form) the link was sent to.
    destination = models.CharField(_("sent to"), max_length=254, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=_invitation_expiry)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects: ClassVar[PortalInvitationQuerySet] = PortalInvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("invitation to the personal space")
        verbose_name_plural = _("invitations to the personal space")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.person_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class CodeAttempt(models.Model):
    """A wrong code typed on the activation page, kept for the throttling window only.

    Neither the address nor the browser is stored: only keyed hashes of them.
    """

    client_key = models.CharField(max_length=64, db_index=True)
    address_key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("wrong activation code")
        verbose_name_plural = _("wrong activation codes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"
