"""The shared bio-psycho-social record (C2) and who may see it (C3).

Everything written about a person is an ``Entry`` of one section: an encounter (with its
participants), a note, an observation, a problem, a treatment or a document. An encounter
groups the entries written during it (``parent``). Corrections never destroy: the content
before a change is kept as an ``EntryVersion``.

Who sees which section is decided in ``core/access.py`` from the role defaults, the care
team (``CareTeamMember``), the person's choices (``SharingChoice``) and emergency access
(``BreakGlass``); ``record/queries.py`` turns that decision into query filters.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member, Structure
from maillage.core.roles import Role, Section
from maillage.people.choices import LANGUAGES
from maillage.people.models import Person
from maillage.record.choices import (
    CareTeamSource,
    CodeSystem,
    DocumentType,
    EncounterKind,
    EntryKind,
    ObservationKind,
    ParticipantKind,
    Place,
    SharingKind,
)


def document_storage() -> FileSystemStorage:
    """Documents live in the data directory, outside any served folder: they are only
    ever read back through the access policy (``record.views.document_download``)."""
    return FileSystemStorage(location=settings.DATA_DIR / "documents", base_url=None)


def document_path(instance: Document, filename: str) -> str:
    # The stored name never holds the original file name (it may be personal data).
    return f"{instance.entry.person_id}/{instance.sha256[:2]}/{instance.sha256}"


class Entry(models.Model):
    """One item of a person's record, in one section."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="entries")
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    section = models.CharField(_("section"), max_length=20, choices=Section.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("encounter"),
    )
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    author = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    updated_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    # Problems (active/resolved) and treatments (active/stopped).
    status = models.CharField(_("status"), max_length=10, blank=True)
    code_system = models.CharField(
        _("code system"), max_length=10, choices=CodeSystem.choices, blank=True
    )
    code = models.CharField(_("code"), max_length=10, blank=True)
    onset = models.DateField(_("since"), null=True, blank=True)
    ended = models.DateField(_("until"), null=True, blank=True)
    concerns_third_party = models.BooleanField(
        _("concerns a third party"),
        default=False,
        help_text=_(
            "Information given by or about someone else: the person does not see it in "
            "their space (legal exception to the right of access)."
        ),
    )

    class Meta:
        verbose_name = _("record entry")
        verbose_name_plural = _("record entries")
        indexes = [
            models.Index(fields=["person", "-occurred_at", "-id"], name="entry_person_time"),
            models.Index(fields=["person", "kind", "status"], name="entry_person_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Encounter(models.Model):
    """What happened in an encounter entry: its kind, place, length and interpreting."""

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, primary_key=True, related_name="encounter"
    )
    kind = models.CharField(_("type of encounter"), max_length=20, choices=EncounterKind.choices)
    place = models.CharField(_("place"), max_length=10, choices=Place.choices, blank=True)
    place_detail = models.CharField(_("where exactly"), max_length=200, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), null=True, blank=True
    )
    reason = models.TextField(_("reason for the contact"), blank=True)
    reason_codes = models.JSONField(_("ICPC-2 codes of the reason"), default=list, blank=True)
    interpreter_used = models.BooleanField(_("an interpreter took part"), default=False)
    interpreting_language = models.CharField(
        _("language interpreted"), max_length=5, choices=LANGUAGES, blank=True
    )

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")

    def __str__(self) -> str:
        return self.get_kind_display()


class Participant(models.Model):
    """Who took part in an encounter: members, an interpreter, outsiders, relatives."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="participants")
    kind = models.CharField(_("as"), max_length=12, choices=ParticipantKind.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    detail = models.CharField(_("profession or link"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["member", "entry"], name="participant_member")]

    def __str__(self) -> str:
        return self.name or str(self.member_id)


class Observation(models.Model):
    """A measured value with its unit (UCUM), validated against a plausible range."""

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, primary_key=True, related_name="observation"
    )
    kind = models.CharField(_("measure"), max_length=20, choices=ObservationKind.choices)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    value2 = models.DecimalField(
        _("diastolic value"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=10)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


class Document(models.Model):
    """An uploaded file, stored outside the web root, typed from its bytes."""

    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, primary_key=True, related_name="document"
    )
    doc_type = models.CharField(_("type of document"), max_length=20, choices=DocumentType.choices)
    file = models.FileField(storage=document_storage, upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name


class EntryVersion(models.Model):
    """An entry as it was before a correction, readable by whoever reads the entry."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    replaced_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason for the correction"))

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.number}"


class CareTeamQuerySet(models.QuerySet["CareTeamMember"]):
    def current(self) -> CareTeamQuerySet:
        return self.filter(ended_at__isnull=True)


class CareTeamMember(models.Model):
    """A member who follows the person. Leaving the team ends the row; it is never deleted."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="care_team")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="care_teams")
    is_referent = models.BooleanField(_("referent"), default=False)
    source = models.CharField(max_length=12, choices=CareTeamSource.choices)
    added_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects: ClassVar[CareTeamQuerySet] = CareTeamQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("care team member")
        verbose_name_plural = _("care team members")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "member"],
                condition=Q(ended_at__isnull=True),
                name="one_current_care_team_row",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_at__isnull=True, is_referent=True),
                name="one_current_referent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.person_id}"


class SharingChoiceQuerySet(models.QuerySet["SharingChoice"]):
    def current(self) -> SharingChoiceQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class SharingChoice(models.Model):
    """The person refuses a section to a role or a named member, or grants one to a named
    member (an external professional of the circle included). Dated, attributed,
    withdrawable; the history stays."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sharing_choices")
    kind = models.CharField(_("choice"), max_length=10, choices=SharingKind.choices)
    section = models.CharField(_("part of the record"), max_length=20, choices=Section.choices)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_by_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[SharingChoiceQuerySet] = SharingChoiceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("sharing choice")
        verbose_name_plural = _("sharing choices")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="refuse") & (Q(role="") ^ Q(member__isnull=True)))
                | (Q(kind="grant") & Q(role="") & Q(member__isnull=False)),
                name="sharing_choice_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.section}"


class BreakGlass(models.Model):
    """Emergency access to a record, with its written reason; flagged in the access log."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="break_glasses")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [models.Index(fields=["person", "member", "-expires_at"], name="break_glass")]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.person_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("An emergency access is never changed")
        super().save(*args, **kwargs)


class Icpc2Rubric(models.Model):
    """A rubric of ICPC-2 (CISP-2), loaded from the instance's own licensed copy by
    ``maillage icpc2 load``: reference data, not part of anyone's record. A new load
    replaces the whole list; the codes written in records never depend on it."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    title = models.CharField(_("title"), max_length=300)
    inclusions = models.TextField(_("inclusions"), blank=True)
    search_text = models.TextField(editable=False)
    source = models.CharField(_("source"), max_length=200)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name = _("ICPC-2 rubric")
        verbose_name_plural = _("ICPC-2 rubrics")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
