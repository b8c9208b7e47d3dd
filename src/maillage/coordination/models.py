"""C5, first part: referrals (orientations) with loop closure. A referral belongs to the
coordination section of the person's record and follows its access policy."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member, Structure
from maillage.lib import referrals as path
from maillage.people.models import Person
from maillage.territory.models import Professional, Service


class ReferralStatus(models.TextChoices):
    PROPOSED = path.PROPOSED, _("proposed")
    AGREED = path.AGREED, _("agreed by the person")
    SENT = path.SENT, _("sent")
    RECEIVED = path.RECEIVED, _("received")
    APPOINTMENT = path.APPOINTMENT, _("appointment set")
    DONE = path.DONE, _("done")
    NOT_DONE = path.NOT_DONE, _("not done")


class Referral(models.Model):
    """A referral of a person to a member of the team, a service or a professional of the
    directory, followed until the loop closes (done, or not done with a reason)."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    to_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    to_service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    to_professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    reason = models.TextField(_("why"))
    wishes = models.TextField(_("what the person wants"), blank=True)
    documents = models.TextField(_("documents to send"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=path.PROPOSED
    )
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    feedback = models.TextField(_("feedback from the receiver"), blank=True)
    closing_reason = models.TextField(_("why it was not done"), blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_news_at = models.DateTimeField(_("last news"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(
                        to_member__isnull=False,
                        to_service__isnull=True,
                        to_professional__isnull=True,
                    )
                    | Q(
                        to_member__isnull=True,
                        to_service__isnull=False,
                        to_professional__isnull=True,
                    )
                    | Q(
                        to_member__isnull=True,
                        to_service__isnull=True,
                        to_professional__isnull=False,
                    )
                ),
                name="referral_one_target",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["structure", "status", "last_news_at"], name="referral_waiting")
        ]

    def __str__(self) -> str:
        return f"{self.pk} → {self.target}"

    @property
    def target(self) -> object:
        return self.to_member or self.to_service or self.to_professional

    @property
    def is_closed(self) -> bool:
        return self.status in path.CLOSED


class ReferralEvent(models.Model):
    """One step of a referral's path, append-only: who, when, what was said."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ReferralStatus.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        verbose_name = _("step of a referral")
        verbose_name_plural = _("steps of a referral")

    def __str__(self) -> str:
        return f"{self.referral_id} {self.status}"
