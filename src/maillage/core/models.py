from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from maillage.core.roles import PROFESSIONS, Role, Section, StructureKind


class User(AbstractUser):
    """An account: a member of one or more structures, or a person using their space."""

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")


def finess_is_valid(value: str) -> bool:
    """A FINESS number is 9 characters whose Luhn key checks (2A/2B read as 2 and 0)."""
    if len(value) != 9:
        return False
    digits = value.upper().replace("2A", "20").replace("2B", "20")
    return digits.isdigit() and luhn.is_valid(digits)


class Structure(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=StructureKind.choices)
    finess = models.CharField(_("FINESS number"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET number"), max_length=14, blank=True)
    is_care_team = models.BooleanField(
        _("the whole structure is one care team"),
        default=False,
        help_text=_("Every member follows every person of the structure, with role defaults."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    commune_code = models.CharField(_("commune INSEE code"), max_length=5, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet["Member"]):
    def active(self) -> MemberQuerySet:
        return self.filter(is_active=True)


class Member(models.Model):
    """A user's membership of one structure, with a role and a profession.

    Never deleted: a member who leaves is deactivated, so that history stays attributable.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    profession = models.CharField(_("profession"), max_length=40, choices=PROFESSIONS)
    rpps = models.CharField(_("RPPS number"), max_length=11, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[MemberQuerySet] = MemberQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "structure"], name="one_membership_per_structure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry() -> Any:
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    profession = models.CharField(_("profession"), max_length=40, choices=PROFESSIONS)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class AccessEventQuerySet(models.QuerySet["AccessEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The access log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only")


class AccessEvent(models.Model):
    """One entry of the append-only access log: who did what to whose record, and when.

    Written only through ``maillage.core.audit``; never updated, never deleted.
    """

    class Action(models.TextChoices):
        READ = "read", _("read")
        SEARCH = "search", _("search")
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        MERGE = "merge", _("merge")
        DENY = "deny", _("access denied")
        BREAK_GLASS = "break_glass", _("emergency access")
        EXPORT = "export", _("export")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_member = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, related_name="+")
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, null=True, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, related_name="access_events"
    )
    section = models.CharField(max_length=20, choices=Section.choices, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    flagged = models.BooleanField(default=False)

    objects: ClassVar[AccessEventQuerySet] = AccessEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [models.Index(fields=["person", "-at"], name="access_event_person_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only")
