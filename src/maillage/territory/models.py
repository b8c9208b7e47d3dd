"""C8: the communes of the official geographic code, the structure's micro-territories,
and its directory of the territory's actors and services.

The directory follows the data·inclusion v1 schema (``data-inclusion-schema`` is the
authority for field names and reference lists; ``territory/datainclusion.py`` validates
with it). An ``Organisation`` is what data·inclusion calls a *structure* (the word is
taken here by the Maillage structure that keeps the directory). Lists of the schema
(thématiques, publics…) are stored as JSON lists, and repeated in ``tags`` as
``|kind:value|`` so that every database filters them with the same indexed-free LIKE.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member, Structure


class Commune(models.Model):
    """A commune of the official geographic code (COG), loaded by ``maillage communes
    load`` from the npm package ``@etalab/decoupage-administratif``."""

    code = models.CharField(_("INSEE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    departement = models.CharField(_("département"), max_length=3, db_index=True)
    region = models.CharField(_("region"), max_length=3, blank=True)
    postcodes = models.JSONField(_("postcodes"), default=list)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["name", "code"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Territory(models.Model):
    """A micro-territory drawn by a structure from daily life: communes, IRIS units
    and/or an area (GeoJSON polygon)."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="territories")
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    communes = models.ManyToManyField(Commune, verbose_name=_("communes"), blank=True)
    iris_codes = models.JSONField(_("IRIS units"), default=list, blank=True)
    area = models.JSONField(_("area (GeoJSON)"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("micro-territory")
        verbose_name_plural = _("micro-territories")

    def __str__(self) -> str:
        return self.name


class PopulationFigure(models.Model):
    """A population figure of a territory, typed by hand, with its source and year."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="figures")
    label = models.CharField(_("what is counted"), max_length=150)
    value = models.DecimalField(_("figure"), max_digits=12, decimal_places=2)
    source = models.CharField(_("source"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        ordering: ClassVar = ["label", "-year"]
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")

    def __str__(self) -> str:
        return f"{self.label} {self.year}"


class HealthAccess(models.Model):
    """What the data·inclusion schema lacks and health teams need, for an organisation,
    a service or a professional. ``None`` means "not known"."""

    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    interpreting = models.BooleanField(_("interpreting available"), null=True, blank=True)
    accepts_ame = models.BooleanField(_("accepts people with AME"), null=True, blank=True)
    accepts_css = models.BooleanField(_("accepts people with CSS"), null=True, blank=True)
    accepts_uninsured = models.BooleanField(
        _("accepts people without any coverage"), null=True, blank=True
    )
    third_party_payment = models.BooleanField(
        _("third-party payment (tiers payant)"), null=True, blank=True
    )
    sector_1 = models.BooleanField(_("sector 1 fees"), null=True, blank=True)
    wheelchair_access = models.BooleanField(_("wheelchair access"), null=True, blank=True)
    contact_name = models.CharField(_("contact person the team knows"), max_length=150, blank=True)
    contact_details = models.CharField(_("how to reach them"), max_length=200, blank=True)
    team_notes = models.TextField(
        _("team notes"),
        blank=True,
        help_text=_("How it really works there. Seen by the team only, never exported."),
    )

    class Meta:
        abstract = True


class Listed(models.Model):
    """What the directory's search reads: filter tags (``|kind:value|``), folded words,
    and whether the entry is still listed."""

    tags = models.TextField(editable=False, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    is_active = models.BooleanField(_("listed"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DirectoryEntry(HealthAccess, Listed):
    """Fields an organisation and a service share in data·inclusion."""

    owner = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=100)
    di_id = models.CharField(_("identifier at the source"), max_length=200)
    nom = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    lien_source = models.URLField(_("link at the source"), max_length=500, blank=True)
    date_maj = models.DateField(_("last updated at the source"))
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    code_postal = models.CharField(_("postcode"), max_length=5, blank=True)
    code_insee = models.CharField(_("commune INSEE code"), max_length=5, blank=True, db_index=True)
    adresse = models.CharField(_("address"), max_length=300, blank=True)
    complement_adresse = models.CharField(_("address line 2"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    telephone = models.CharField(_("phone"), max_length=40, blank=True)
    courriel = models.EmailField(_("e-mail"), blank=True)
    horaires_accueil = models.CharField(
        _("opening hours (OpenStreetMap format)"), max_length=500, blank=True
    )
    fingerprint = models.CharField(max_length=40, editable=False, blank=True)

    class Meta:
        abstract = True


class Organisation(DirectoryEntry):
    """An actor of the territory: a *structure* in data·inclusion."""

    siret = models.CharField(_("SIRET number"), max_length=14, blank=True)
    site_web = models.URLField(_("website"), max_length=500, blank=True)
    accessibilite_lieu = models.URLField(
        _("accessibility (Acceslibre)"), max_length=500, blank=True
    )
    reseaux_porteurs = models.JSONField(_("networks"), default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["nom"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["owner", "source", "di_id"], name="organisation_source_id"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["owner", "latitude", "longitude"], name="organisation_geo")
        ]

    def __str__(self) -> str:
        return self.nom


class Service(DirectoryEntry):
    """A service an organisation offers: a *service* in data·inclusion."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("organisation"),
    )
    type = models.CharField(_("type"), max_length=40, blank=True)
    thematiques = models.JSONField(_("themes"), default=list, blank=True)
    frais = models.CharField(_("fees"), max_length=20, blank=True)
    frais_precisions = models.TextField(_("about the fees"), blank=True)
    publics = models.JSONField(_("publics"), default=list, blank=True)
    publics_precisions = models.TextField(_("about the publics"), blank=True)
    conditions_acces = models.TextField(_("conditions of access"), blank=True)
    modes_accueil = models.JSONField(_("ways of being received"), default=list, blank=True)
    zone_eligibilite = models.JSONField(_("eligibility area"), default=list, blank=True)
    contact_nom_prenom = models.CharField(_("contact name"), max_length=150, blank=True)
    lien_mobilisation = models.URLField(_("link to apply"), max_length=500, blank=True)
    modes_mobilisation = models.JSONField(_("ways to apply"), default=list, blank=True)
    mobilisable_par = models.JSONField(_("who can apply"), default=list, blank=True)
    mobilisation_precisions = models.TextField(_("about applying"), blank=True)
    volume_horaire_hebdomadaire = models.FloatField(_("hours a week"), null=True, blank=True)
    nombre_semaines = models.PositiveIntegerField(_("number of weeks"), null=True, blank=True)
    # Where and when the service really is: its own point and hours, else its
    # organisation's (kept by the actions, so that a search reads one table).
    place_latitude = models.FloatField(null=True, blank=True, editable=False)
    place_longitude = models.FloatField(null=True, blank=True, editable=False)
    place_hours = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering: ClassVar = ["nom"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["owner", "source", "di_id"], name="service_source_id")
        ]
        indexes: ClassVar = [
            models.Index(fields=["owner", "place_latitude", "place_longitude"], name="service_geo")
        ]

    def __str__(self) -> str:
        return self.nom


class Profession(models.TextChoices):
    GP = "medecin_generaliste", _("General practitioner")
    SPECIALIST = "medecin_specialiste", _("Specialist doctor")
    PSYCHIATRIST = "psychiatre", _("Psychiatrist")
    DENTIST = "chirurgien_dentiste", _("Dentist")
    PHARMACIST = "pharmacien", _("Pharmacist")
    NURSE = "infirmier", _("Nurse")
    PHYSIOTHERAPIST = "masseur_kinesitherapeute", _("Physiotherapist")
    MIDWIFE = "sage_femme", _("Midwife")
    PSYCHOLOGIST = "psychologue", _("Psychologist")
    SPEECH_THERAPIST = "orthophoniste", _("Speech therapist")
    OTHER = "autre", _("Other")


class Professional(HealthAccess, Listed):
    """A health professional of the territory outside the structure (a GP, a pharmacist,
    a physiotherapist…), with what the team knows of them."""

    owner = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=150)
    profession = models.CharField(_("profession"), max_length=40, choices=Profession.choices)
    speciality = models.CharField(_("speciality"), max_length=150, blank=True)
    rpps = models.CharField(_("RPPS number"), max_length=11, blank=True, db_index=True)
    place = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="professionals",
        verbose_name=_("place of practice"),
    )
    adresse = models.CharField(_("address"), max_length=300, blank=True)
    code_postal = models.CharField(_("postcode"), max_length=5, blank=True)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    telephone = models.CharField(_("phone"), max_length=40, blank=True)
    courriel = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("professional of the territory")
        verbose_name_plural = _("professionals of the territory")

    def __str__(self) -> str:
        return self.name


class LinkKind(models.TextChoices):
    REFERS_TO = "refers_to", _("refers people to")
    WORKS_WITH = "works_with", _("works with")
    SAME_NETWORK = "same_network", _("is in the same network as")


class OrganisationLink(models.Model):
    """Who works with whom on the territory (e.g. this CMP takes referrals from this
    centre). Ended rather than deleted, so that the history stays."""

    owner = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="links_from", verbose_name=_("from")
    )
    target = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="links_to", verbose_name=_("to")
    )
    kind = models.CharField(_("relation"), max_length=20, choices=LinkKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["created_at"]
        verbose_name = _("relation between structures")
        verbose_name_plural = _("relations between structures")

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"
