from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member, Structure
from maillage.lib.partial_date import PartialDate
from maillage.people.choices import (
    LANGUAGES,
    DocumentType,
    IdentityStatus,
    RelationKind,
    Sex,
    VisitStatus,
)


class PersonQuerySet(models.QuerySet["Person"]):
    def current(self) -> PersonQuerySet:
        """Persons not merged into another record."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    """A person the structure accompanies: identity (INS traits), contact, languages."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="persons")

    # Identity traits (INS "traits stricts": birth name, given names, date and place of
    # birth, sex) and the names the person uses.
    birth_name = models.CharField(_("birth name"), max_length=100)
    given_names = models.CharField(
        _("given names"),
        max_length=200,
        help_text=_("All birth given names, in the order of the identity document."),
    )
    used_name = models.CharField(_("used name"), max_length=100, blank=True)
    used_given_name = models.CharField(_("used given name"), max_length=100, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("month of birth"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("day of birth"), null=True, blank=True)
    birth_place_code = models.CharField(
        _("place of birth code"),
        max_length=5,
        blank=True,
        help_text=_("INSEE code of the commune, or of the country (99xxx) for people born abroad."),
    )
    birth_place_label = models.CharField(_("place of birth"), max_length=120, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    nir = models.CharField(_("social security number (NIR)"), max_length=15, blank=True)

    # Identity vigilance.
    identity_status = models.CharField(
        _("identity status"),
        max_length=5,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    document_type = models.CharField(
        _("identity document checked"),
        max_length=30,
        choices=DocumentType.choices,
        default=DocumentType.NONE,
    )
    document_checked_at = models.DateTimeField(_("document checked at"), null=True, blank=True)
    document_checked_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_representative_document_checked = models.BooleanField(
        _("identity document of the legal representative checked"), default=False
    )
    ins_retrieved_at = models.DateTimeField(
        _("INS retrieved at"),
        null=True,
        blank=True,
        help_text=_("When the national health identifier was retrieved through the INSi service."),
    )
    declared_identity = models.BooleanField(
        _("declared identity"),
        default=False,
        help_text=_("Registered under a declared name or pseudonym, without documents."),
    )
    doubtful_identity = models.BooleanField(_("doubtful identity"), default=False)
    fictitious_identity = models.BooleanField(_("fictitious identity"), default=False)

    # Contact and daily life.
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    phone_digits = models.CharField(max_length=12, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    commune_code = models.CharField(_("commune INSEE code"), max_length=5, blank=True)
    commune_name = models.CharField(_("commune"), max_length=120, blank=True)
    # Where the address is, when known (a geocoder, the map, or synthetic data): distance
    # searches in the directory start from it, else from the commune's centre.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    interpreter_needed = models.BooleanField(_("needs an interpreter"), default=False)
    interpreting_language = models.CharField(
        _("interpreting language"), max_length=5, choices=LANGUAGES, blank=True
    )
    reception_notes = models.TextField(_("notes for reception"), blank=True)

    # Bookkeeping.
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    block_key = models.CharField(max_length=60, blank=True, db_index=True, editable=False)

    objects: ClassVar[PersonQuerySet] = PersonQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["structure", "birth_year"], name="person_structure_year"),
            models.Index(fields=["structure", "nir"], name="person_structure_nir"),
            # The home page's "recently registered", at any size.
            models.Index(fields=["structure", "-created_at"], name="person_recent"),
            # The few merged records, which lists and dashboards leave out.
            models.Index(
                fields=["structure"], condition=Q(merged_into__isnull=False), name="person_merged"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Used name first (as the person is called), then birth name in capitals."""
        given = self.used_given_name or self.first_given_name
        last = self.used_name or self.birth_name
        return f"{given} {last.upper()}".strip()

    @property
    def first_given_name(self) -> str:
        return self.given_names.split(" ")[0] if self.given_names else ""

    @property
    def birth_date(self) -> PartialDate | None:
        if self.birth_year is None:
            return None
        return PartialDate(self.birth_year, self.birth_month, self.birth_day)


class PersonSearchKey(models.Model):
    """Name keys (exact, one-deletion, phonetic and prefix) that make name search
    typo-tolerant.

    One table, the same on SQLite and PostgreSQL (docs/adr/0003-person-search-keys.md).
    """

    structure_id: int
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="search_keys")
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)

    class Meta:
        # Covering: name search reads (person, key) from the index alone.
        indexes = [models.Index(fields=["structure", "key", "person"], name="search_key_lookup")]

    def __str__(self) -> str:
        return self.key


class IdentityVersion(models.Model):
    """The identity as it was before a change: corrections never erase."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identity_versions")
    data = models.JSONField()
    changed_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.changed_at:%Y-%m-%d}"


class Relation(models.Model):
    """Someone of the person's entourage: family, neighbour, natural helper, representative."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="relations")
    kind = models.CharField(_("relation"), max_length=30, choices=RelationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    linked_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("also accompanied by the structure"),
    )
    is_legal_representative = models.BooleanField(_("legal representative"), default=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    how_to_reach = models.CharField(_("how to reach them"), max_length=300, blank=True)
    team_may_contact = models.BooleanField(
        _("the person agrees that the team contacts them"), default=False
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class VisitQuerySet(models.QuerySet["ReceptionVisit"]):
    def on_day(self, day: datetime.date) -> VisitQuerySet:
        return self.filter(day=day)

    def waiting(self) -> VisitQuerySet:
        return self.filter(status=VisitStatus.ARRIVED)


class ReceptionVisit(models.Model):
    """A person at the reception desk on a given day: expected, waiting, seen."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="visits")
    day = models.DateField(_("day"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.ARRIVED
    )
    reason = models.CharField(_("reason for coming"), max_length=200, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)
    seen_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[VisitQuerySet] = VisitQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["structure", "day", "status"], name="visit_day_status")]
        ordering = ["arrived_at", "pk"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} {self.status}"


class PersonMerge(models.Model):
    """Two records of one person merged: the merged record stays, pointing to the kept one."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="merge")
    merged_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"))
    moved = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"


class DuplicateDismissal(models.Model):
    """Two records a member checked and found to be two different persons."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person_a = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    dismissed_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_dismissal_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ≠ {self.person_b_id}"
