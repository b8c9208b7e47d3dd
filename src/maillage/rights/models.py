"""C7: a person's living conditions, their EPICES precarity score, their rights and health
coverage, and the applications (démarches) made with them to open or renew a right.

All of it is in the social section of the person's record. Nothing is edited in place or
deleted: living conditions and EPICES answers are dated snapshots (the latest counts), and
each change of a right is kept as a ``RightChange``.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.coordination.models import Task
from maillage.core.models import Member, Structure
from maillage.people.models import Person

# --- Living conditions ------------------------------------------------------------------


class Housing(models.TextChoices):
    OWNER = "owner", _("Owns their home")
    TENANT = "tenant", _("Tenant (private)")
    SOCIAL_TENANT = "social_tenant", _("Tenant (social housing)")
    HOSTED = "hosted", _("Hosted by relatives or friends")
    EMERGENCY = "emergency", _("Emergency shelter (115)")
    CHRS = "chrs", _("CHRS (shelter and social rehabilitation centre)")
    ASYLUM_CENTRE = "asylum_centre", _("Accommodation for asylum seekers (CADA, HUDA…)")
    HOTEL = "hotel", _("Hotel (social hotel)")
    INSTITUTION = "institution", _("Institution (care home, residence…)")
    SQUAT = "squat", _("Squat or camp")
    STREET = "street", _("Street (no shelter)")
    OTHER = "other", _("Other")


class Work(models.TextChoices):
    EMPLOYED = "employed", _("In work (employed)")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    UNEMPLOYED_PAID = "unemployed_paid", _("Job seeker, with unemployment benefit")
    UNEMPLOYED = "unemployed", _("Job seeker, without benefit")
    NOT_ALLOWED = "not_allowed", _("Not allowed to work")
    STUDENT = "student", _("Student or in training")
    RETIRED = "retired", _("Retired")
    UNABLE = "unable", _("Unable to work (illness, disability)")
    AT_HOME = "at_home", pgettext_lazy("work", "At home")
    OTHER = "other", _("Other")


class IncomeSource(models.TextChoices):
    WAGES = "wages", _("Wages")
    INFORMAL = "informal", _("Undeclared work")
    UNEMPLOYMENT = "unemployment", _("Unemployment benefit")
    RSA = "rsa", _("RSA")
    PPA = "ppa", _("Prime d'activité")
    AAH = "aah", _("AAH (disability allowance)")
    PENSION = "pension", _("Pension")
    FAMILY = "family", _("Family benefits")
    HOUSING_AID = "housing_aid", _("Housing aid")
    ASYLUM = "asylum", _("Allowance for asylum seekers (ADA)")
    HELP = "help", _("Help from relatives or associations")
    NONE = "none", _("No income")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    """How much a difficulty weighs (food, transport, isolation)."""

    NONE = "none", pgettext_lazy("difficulty", "None")
    SOME = "some", pgettext_lazy("difficulty", "Sometimes")
    SEVERE = "severe", pgettext_lazy("difficulty", "Often or always")


class Digital(models.TextChoices):
    AUTONOMOUS = "autonomous", _("Autonomous (phone or computer, internet, e-mail)")
    WITH_HELP = "with_help", _("Needs help for online procedures")
    NO_ACCESS = "no_access", _("No access (no device or no internet)")


class AdministrativeStatus(models.TextChoices):
    FRENCH = "french", _("French national")
    EU = "eu", _("National of the European Union, EEA or Switzerland")
    PERMIT = "permit", _("Residence permit")
    RECEIPT = "receipt", _("Receipt or temporary permit (récépissé, APS)")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    PROTECTED = "protected", _("Refugee or subsidiary protection")
    UNDOCUMENTED = "undocumented", _("Without a residence permit")
    OTHER = "other", _("Other")


class LivingConditions(models.Model):
    """The person's situation on a date, as told to a member; the latest is current. A
    change is a new one: earlier ones stay as history."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="living_conditions")
    as_of = models.DateField(_("situation on"))
    housing = models.CharField(_("housing"), max_length=20, choices=Housing.choices, blank=True)
    housing_details = models.CharField(_("about the housing"), max_length=300, blank=True)
    adults = models.PositiveSmallIntegerField(_("adults in the household"), null=True, blank=True)
    children = models.PositiveSmallIntegerField(
        _("children in the household"), null=True, blank=True
    )
    household_details = models.CharField(_("about the household"), max_length=300, blank=True)
    work = models.CharField(_("work"), max_length=20, choices=Work.choices, blank=True)
    income_sources = models.JSONField(_("sources of income"), default=list, blank=True)
    monthly_income = models.DecimalField(
        _("monthly income of the household (€)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
    )
    food_insecurity = models.CharField(
        _("difficulty to eat enough"), max_length=10, choices=Level.choices, blank=True
    )
    transport = models.CharField(
        _("difficulty to get around"), max_length=10, choices=Level.choices, blank=True
    )
    isolation = models.CharField(_("isolation"), max_length=10, choices=Level.choices, blank=True)
    digital = models.CharField(
        _("digital access"), max_length=12, choices=Digital.choices, blank=True
    )
    administrative_status = models.CharField(
        _("administrative status"),
        max_length=20,
        choices=AdministrativeStatus.choices,
        blank=True,
    )
    permit_type = models.CharField(_("kind of residence permit"), max_length=200, blank=True)
    permit_expires_on = models.DateField(_("residence permit valid until"), null=True, blank=True)
    in_france_since = models.DateField(_("in France since"), null=True, blank=True)
    domiciliation = models.CharField(_("domiciliation address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-as_of", "-recorded_at", "-pk"]
        verbose_name = _("living conditions")
        verbose_name_plural = _("living conditions")
        indexes: ClassVar = [
            models.Index(fields=["person", "-as_of", "-recorded_at"], name="living_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.as_of}"


# --- EPICES -----------------------------------------------------------------------------


class EpicesScore(models.Model):
    """The eleven EPICES answers given by the person on a date, and their score."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="epices_scores")
    answered_on = models.DateField(_("answered on"))
    answers = models.JSONField(_("answers"))
    score = models.DecimalField(_("EPICES score"), max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-answered_on", "-recorded_at", "-pk"]
        verbose_name = _("EPICES score")
        verbose_name_plural = _("EPICES scores")
        indexes: ClassVar = [models.Index(fields=["person", "-answered_on"], name="epices_person")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="epices_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.answered_on} {self.score}"


# --- Rights -----------------------------------------------------------------------------


class RightCategory(models.TextChoices):
    COVERAGE = "coverage", _("Health coverage")
    INCOME = "income", _("Income")
    HOUSING = "housing", _("Housing")
    DISABILITY = "disability", _("Disability")
    STAY = "stay", _("Residence and domiciliation")
    OTHER = "other", _("Other")


class RightKind(models.Model):
    """A right of the catalogue: the national ones (no structure; their code names them)
    and those a structure adds."""

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("name"), max_length=200)
    category = models.CharField(
        _("category"), max_length=12, choices=RightCategory.choices, default=RightCategory.OTHER
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering: ClassVar = ["category", "label", "pk"]
        verbose_name = _("kind of right")
        verbose_name_plural = _("kinds of rights")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(structure__isnull=True), name="one_national_right"
            ),
            models.UniqueConstraint(fields=["structure", "code"], name="one_right_code"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """The national rights' names are translated; a structure's own are as written."""
        from maillage.rights.catalogue import NATIONAL

        if self.structure_id is None and self.code in NATIONAL:
            return str(NATIONAL[self.code].label)
        return self.label


class RightStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("right status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("right status", "Application in progress")
    TO_RENEW = "to_renew", pgettext_lazy("right status", "To renew")
    EXPIRED = "expired", pgettext_lazy("right status", "Expired")
    REFUSED = "refused", pgettext_lazy("right status", "Refused")
    NOT_CLAIMED = "not_claimed", pgettext_lazy("right status", "Not claimed")
    ENDED = "ended", pgettext_lazy("right status", "Ended (no longer needed or entitled)")


# A right counts as held in these statuses.
HELD = frozenset({RightStatus.OPEN, RightStatus.TO_RENEW})


class PersonRight(models.Model):
    """One right of one person: its status, its period, its reference number and the
    member who follows it. Every change is kept as a ``RightChange``."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="rights")
    kind = models.ForeignKey(RightKind, on_delete=models.PROTECT, related_name="held")
    status = models.CharField(_("status"), max_length=12, choices=RightStatus.choices)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    follower = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_rights",
        verbose_name=_("followed by"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["kind__category", "kind__label", "pk"]
        verbose_name = _("right")
        verbose_name_plural = _("rights")
        indexes: ClassVar = [
            # The rights held, by end date: the renewal job and the dashboard read them.
            models.Index(
                fields=["ends_on"],
                condition=Q(status__in=["open", "to_renew"]),
                name="right_held_ends",
            ),
            models.Index(fields=["person", "kind"], name="right_person"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="right_period_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind_id} {self.status}"

    @property
    def is_held(self) -> bool:
        return self.status in HELD


class RightChange(models.Model):
    """A change of a right: what it was before (status and period), who changed it, and
    what kind of change it was (a renewal on time, a renewal after it lapsed…)."""

    class What(models.TextChoices):
        CREATED = "created", _("recorded")
        UPDATED = "updated", _("changed")
        RENEWED = "renewed", _("renewed before it expired")
        RENEWED_LATE = "renewed_late", _("renewed after it expired")
        LAPSED = "lapsed", _("expired without renewal")
        TO_RENEW = "to_renew", _("to renew soon")
        DECIDED = "decided", _("decision on an application")

    right = models.ForeignKey(PersonRight, on_delete=models.PROTECT, related_name="changes")
    what = models.CharField(max_length=12, choices=What.choices)
    status = models.CharField(max_length=12, choices=RightStatus.choices)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["what", "at"], name="right_change_what")]

    def __str__(self) -> str:
        return f"{self.right_id} {self.what}"


class Renewal(models.Model):
    """The renewal task made for one right ending on one date: made once, however many
    times the job runs (a right renewed to a later date gets a new one when its time
    comes)."""

    right = models.ForeignKey(PersonRight, on_delete=models.PROTECT, related_name="renewals")
    for_end = models.DateField()
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["right", "for_end"], name="one_renewal")
        ]

    def __str__(self) -> str:
        return f"{self.right_id} {self.for_end}"


# --- Applications (démarches) -----------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    PREPARING = "preparing", pgettext_lazy("application", "Being prepared")
    SUBMITTED = "submitted", pgettext_lazy("application", "Submitted, waiting for the decision")
    GRANTED = "granted", pgettext_lazy("application", "Granted")
    REFUSED = "refused", pgettext_lazy("application", "Refused")
    ABANDONED = "abandoned", pgettext_lazy("application", "Abandoned")


DECIDED = frozenset({ApplicationStatus.GRANTED, ApplicationStatus.REFUSED})


class Application(models.Model):
    """An application (démarche) made with the person to open or renew a right, or an
    appeal against a refusal (``appeal_of``)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    kind = models.ForeignKey(
        RightKind, on_delete=models.PROTECT, related_name="+", verbose_name=_("right")
    )
    right = models.ForeignKey(
        PersonRight,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    is_renewal = models.BooleanField(_("renewal"), default=False)
    appeal_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("appeal against the refusal of"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PREPARING,
    )
    opened_on = models.DateField(_("started on"))
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    organisation = models.CharField(
        _("to whom (CPAM, CAF, prefecture…)"), max_length=200, blank=True
    )
    accompanied_by = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accompanied by"),
    )
    outcome = models.TextField(_("decision and what it says"), blank=True)
    from_estimate = models.BooleanField(default=False)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-opened_on", "-pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes: ClassVar = [
            models.Index(fields=["person", "-opened_on"], name="application_person"),
            models.Index(fields=["decided_on"], name="application_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind_id} {self.status}"

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED


class ApplicationStep(models.Model):
    """One step of an application: an appointment at the CAF, a form sent, a call…"""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    on = models.DateField(_("date"))
    what = models.CharField(_("what was done"), max_length=300)
    by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.on}"


class ApplicationDocument(models.Model):
    """A document the application needs, and when it was received."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    name = models.CharField(_("document"), max_length=200)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    added_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return self.name


# --- Potential rights (estimates with OpenFisca-France) ---------------------------------


class RightsEstimate(models.Model):
    """An estimate of the person's potential rights from their household as entered: the
    inputs, each right's estimate, the legislation applied, and what was missing or
    assumed. Kept, so that what was said to the person can be read again."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="estimates")
    inputs = models.JSONField()
    lines = models.JSONField()  # [{"code", "likely", "monthly", "note"}]
    legislation = models.DateField(_("legislation of"))
    version = models.CharField(max_length=40)
    missing = models.JSONField(default=list)
    assumed = models.JSONField(default=list)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("estimate of potential rights")
        verbose_name_plural = _("estimates of potential rights")
        indexes: ClassVar = [models.Index(fields=["person", "-created_at"], name="estimate_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.created_at:%Y-%m-%d}"
