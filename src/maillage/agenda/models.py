"""C6: appointments for a transdisciplinary team — several members with one person, an
interpreter, a room — the members' working hours and absences, the rooms, reminders to
the person and the members' private calendar feeds.

What an appointment says about a person (why they come, notes for reception) belongs to
the coordination section of their record; their name and the time are what reception
needs to welcome them.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.coordination.models import Task
from maillage.core.models import Member, Structure
from maillage.lib import appointments as flow
from maillage.people.choices import LANGUAGES
from maillage.people.models import Person
from maillage.record.models import Entry
from maillage.territory.models import Service


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Individual consultation")
    CO_CONSULTATION = "co_consultation", _("Co-consultation")
    SOCIAL_INTERVIEW = "social_interview", _("Social interview")
    HOME_VISIT = "home_visit", _("Home visit")
    PHONE_CALL = "phone_call", _("Phone call")
    VIDEO_CALL = "video_call", _("Video call")


class AppointmentStatus(models.TextChoices):
    EXPECTED = flow.EXPECTED, pgettext_lazy("appointment", "Expected")
    ARRIVED = flow.ARRIVED, pgettext_lazy("appointment", "Arrived")
    WAITING = flow.WAITING, pgettext_lazy("appointment", "Waiting")
    IN_CONSULTATION = flow.IN_CONSULTATION, pgettext_lazy("appointment", "In consultation")
    SEEN = flow.SEEN, pgettext_lazy("appointment", "Seen")
    NO_SHOW = flow.NO_SHOW, pgettext_lazy("appointment", "Did not come")
    CANCELLED = flow.CANCELLED, pgettext_lazy("appointment", "Cancelled")


class Interpreting(models.TextChoices):
    NONE = "none", _("No interpreter")
    ON_SITE = "on_site", _("Interpreter on site")
    PHONE = "phone", _("Interpreter by phone")


class Equipment(models.TextChoices):
    EXAMINATION_TABLE = "examination_table", _("Examination table")
    COMPUTER = "computer", _("Computer")
    VIDEO = "video", _("Video call equipment")
    SPEAKERPHONE = "speakerphone", _("Speakerphone (interpreting by phone)")
    CHILDREN = "children", _("Children's corner")
    LARGE = "large", _("Room for a group or a family")
    WHEELCHAIR = "wheelchair", _("Wheelchair accessible")


class Room(models.Model):
    """A room of the structure where appointments take place."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    details = models.CharField(_("other equipment or remarks"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["structure", "name"], name="one_room_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def equipment_labels(self) -> list[str]:
        labels = dict(Equipment.choices)
        return [str(labels[code]) for code in self.equipment if code in labels]


class WorkingHours(models.Model):
    """A member works on this day of the week between these times (several per day)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        _("day"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))

    class Meta:
        ordering: ClassVar = ["weekday", "starts", "pk"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="hours_order")
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    SICK = "sick", _("Sick leave")
    OUTSIDE = "outside", _("Outside work (partners, home visits…)")
    OTHER = "other", _("Other")


class Absence(models.Model):
    """A member is not available for appointments during this period."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="absences")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["starts_at", "pk"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes: ClassVar = [models.Index(fields=["member", "ends_at"], name="absence_member")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="absence_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.starts_at:%Y-%m-%d}"


class MemberLanguage(models.Model):
    """A language a member interprets (or consults) in, for the interpreter search."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="languages")
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES)

    class Meta:
        ordering: ClassVar = ["language"]
        verbose_name = _("language of a member")
        verbose_name_plural = _("languages of members")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "language"], name="one_member_language")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.language}"


class Appointment(models.Model):
    """One or more members meet a person (or a person known by name and phone only, until
    they arrive), in a room or elsewhere, possibly with an interpreter."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=AppointmentKind.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    unregistered_name = models.CharField(_("name (not registered yet)"), max_length=200, blank=True)
    unregistered_phone = models.CharField(_("phone"), max_length=30, blank=True)
    members = models.ManyToManyField(
        Member, through="AppointmentMember", related_name="appointments"
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    place = models.CharField(_("place (outside the centre)"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    reception_notes = models.TextField(_("notes for reception"), blank=True)
    interpreting = models.CharField(
        _("interpreting"), max_length=10, choices=Interpreting.choices, default=Interpreting.NONE
    )
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES, blank=True)
    interpreter = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interpreting_appointments",
        verbose_name=_("interpreter of the team"),
    )
    interpreter_service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("interpreting service"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.EXPECTED,
    )
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    called_at = models.DateTimeField(_("called in at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=300, blank=True)
    cancelled_by_person = models.BooleanField(_("cancelled by the person"), default=False)
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )
    follow_up_task = models.ForeignKey(
        Task, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["starts_at", "pk"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes: ClassVar = [
            models.Index(fields=["structure", "starts_at"], name="appointment_day"),
            models.Index(fields=["room", "starts_at"], name="appointment_room"),
            models.Index(fields=["person", "starts_at"], name="appointment_person"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_order"
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(unregistered_name=""),
                name="appointment_with_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> datetime.timedelta:
        return self.ends_at - self.starts_at

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def is_holding(self) -> bool:
        return self.status in flow.HOLDING

    @property
    def is_present(self) -> bool:
        return self.status in flow.PRESENT


class AppointmentMember(models.Model):
    """A member held by an appointment: one of its members, or its interpreter. Its period
    and whether the appointment still holds it are copied from the appointment (the
    actions keep them in step), so that a member's agenda and their conflicts are read
    from one index."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="participants"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    as_interpreter = models.BooleanField(default=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    holding = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        indexes: ClassVar = [
            models.Index(fields=["member", "starts_at"], name="agenda_member_time"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["appointment", "member"], name="one_participation")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.member_id}"


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("Text message (SMS)")
    EMAIL = "email", _("E-mail")


class ReminderChoice(models.Model):
    """Whether the person wants appointment reminders, and how: the latest choice counts,
    earlier ones stay as history."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reminder_choices")
    wants_reminders = models.BooleanField(_("wants reminders"))
    channel = models.CharField(_("by"), max_length=5, choices=ReminderChannel.choices, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_the_person = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-recorded_at", "-pk"]
        verbose_name = _("reminder choice")
        verbose_name_plural = _("reminder choices")
        indexes: ClassVar = [
            models.Index(fields=["person", "-recorded_at"], name="reminder_choice_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.wants_reminders}"


class ReminderOutcome(models.TextChoices):
    SENT = "sent", pgettext_lazy("reminder", "sent")
    FAILED = "failed", pgettext_lazy("reminder", "could not be sent")
    SKIPPED = "skipped", pgettext_lazy("reminder", "not sent")


class Reminder(models.Model):
    """The reminder of one appointment at one start time: made once (a moved appointment
    gets a new one), whatever how many times the worker runs."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reminders")
    for_start = models.DateTimeField()
    channel = models.CharField(max_length=5, choices=ReminderChannel.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=ReminderOutcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["appointment", "for_start"], name="one_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.outcome}"


class CalendarFeed(models.Model):
    """A member's private iCalendar address: only a hash of its secret is kept; revoking it
    makes the address answer 404 at once."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.created_at:%Y-%m-%d}"
