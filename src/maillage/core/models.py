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
    may_export = models.BooleanField(
        _("may export the structure's data"),
        default=False,
        help_text=_("Given by the administrator: FHIR bulk export of what this member reads."),
    )
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
    # Indexed below with the time, not alone: the one index serves every person's log.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        related_name="access_events",
        db_index=False,
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
        # A person's log, newest first, is read from this index alone, in its order: fast
        # at any size of the log (docs/adr/0011).
        indexes = [models.Index(fields=["person", "-at", "-id"], name="access_event_person_at_id")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The access log is append-only")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a member should know, shown in the application (never personal data in
    the text: it is composed when shown, from the kind and the linked objects)."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", _("Emergency access to a record you are referent for")
        CARE_TEAM_ADDED = "care_team_added", _("You were added to a care team")
        REFERENT = "referent", _("You became the referent of a person")

    recipient = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Not revoked and not expired (the membership is checked on use)."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A personal access token to the JSON API, acting as one membership.

    The token is ``mlg_<prefix>_<secret>``, shown once at creation: only the public
    prefix and a SHA-256 hash of the secret are kept (see ``maillage.core.tokens``).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read the record")
        WRITE = "write", _("Write in the record")
        EXPORT = "export", _("Bulk export of what you read (FHIR, administrators)")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects: ClassVar[ApiTokenQuerySet] = ApiTokenQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class Heartbeat(models.Model):
    """A background process says it is alive (``maillage worker`` at each round): the
    health page (``/sante/``) reads it. One row per process name, updated in place."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()
    every_seconds = models.PositiveIntegerField(
        help_text="How often the process comes back: later than twice that is late."
    )

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str, every_seconds: int) -> None:
        cls.objects.update_or_create(
            name=name, defaults={"at": timezone.now(), "every_seconds": every_seconds}
        )

    def is_late(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (now - self.at).total_seconds() > 2 * self.every_seconds + 60
