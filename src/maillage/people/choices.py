"""Code lists for persons. Codes follow the national identity-vigilance vocabulary."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityStatus(models.TextChoices):
    PROVISIONAL = "prov", _("Provisional identity")
    RETRIEVED = "recup", _("Retrieved identity")
    VALIDATED = "vali", _("Validated identity")
    QUALIFIED = "qual", _("Qualified identity")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    INDETERMINATE = "I", _("Indeterminate")


class DocumentType(models.TextChoices):
    NONE = "none", _("No document checked")
    ID_CARD = "id_card", _("National identity card")
    PASSPORT = "passport", _("Passport")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    FAMILY_RECORD_BOOK = "family_record_book", _("Family record book (livret de famille)")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate extract")
    OTHER = "other", _("Other document (not high-trust)")


class RelationKind(models.TextChoices):
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    PARTNER = "partner", _("Partner or spouse")
    SIBLING = "sibling", _("Brother or sister")
    OTHER_FAMILY = "family", _("Other family member")
    NEIGHBOUR = "neighbour", _("Neighbour")
    FRIEND = "friend", _("Friend")
    NATURAL_HELPER = "natural_helper", _("Natural helper")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    GUARDIAN = "guardian", _("Guardian or curator")
    OTHER = "other", _("Other")


class VisitStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    ARRIVED = "arrived", _("Waiting")
    SEEN = "seen", _("Seen")
    LEFT = "left", _("Left without being seen")


# Languages most often spoken by the people community health centres welcome (ISO 639).
LANGUAGES: list[tuple[str, Any]] = [
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("ber", _("Tamazight (Berber)")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("it", _("Italian")),
    ("de", _("German")),
    ("ro", _("Romanian")),
    ("bg", _("Bulgarian")),
    ("pl", _("Polish")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("ka", _("Georgian")),
    ("hy", _("Armenian")),
    ("sq", _("Albanian")),
    ("sr", _("Serbian")),
    ("tr", _("Turkish")),
    ("ku", _("Kurdish")),
    ("fa", _("Persian (Farsi, Dari)")),
    ("ps", _("Pashto")),
    ("ur", _("Urdu")),
    ("bn", _("Bengali")),
    ("ta", _("Tamil")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("wo", _("Wolof")),
    ("bm", _("Bambara")),
    ("ff", _("Fula (Peul)")),
    ("snk", _("Soninke")),
    ("ln", _("Lingala")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("am", _("Amharic")),
    ("rom", _("Romani")),
    ("fsl", _("French Sign Language")),
]
LANGUAGE_LABELS = dict(LANGUAGES)
