"""Roles, professions and record sections (see ACCESS.md)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """What a member does in a structure; it decides their default access."""

    RECEPTION = "reception", _("Reception")
    GP = "gp", _("General practitioner")
    NURSE = "nurse", _("Nurse")
    MIDWIFE = "midwife", _("Midwife")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    OTHER_CLINICIAN = "other_clinician", _("Other clinician")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    LEGAL_ADVISER = "legal_adviser", _("Legal adviser")
    MEDIATOR = "mediator", _("Health mediator")
    COORDINATOR = "coordinator", _("Micro-local coordinator")
    INTERPRETER = "interpreter", _("Interpreter")
    ADMIN = "admin", _("Structure administrator")
    PARTNER = "partner", _("External partner")
    NETWORK_OBSERVER = "network_observer", _("Network observer")


class Section(models.TextChoices):
    CLINICAL = "clinical", _("Clinical")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SOCIAL = "social", _("Social")
    ADMINISTRATIVE = "administrative", _("Administrative")
    COORDINATION = "coordination", _("Coordination")


class StructureKind(models.TextChoices):
    CENTRE = "centre", _("Community health centre")
    COORDINATION = "coordination", _("Micro-local coordination site")
    PARTNER = "partner", _("Partner organisation")


PROFESSIONS: list[tuple[str, Any]] = [
    ("accueillant", _("Receptionist")),
    ("medecin_generaliste", _("General practitioner")),
    ("infirmier", _("Nurse")),
    ("sage_femme", _("Midwife")),
    ("kinesitherapeute", _("Physiotherapist")),
    ("dieteticien", _("Dietitian")),
    ("psychologue", _("Psychologist")),
    ("assistant_service_social", pgettext_lazy("profession", "Social worker")),
    ("cesf", _("Family and social economy adviser")),
    ("conseiller_juridique", _("Legal adviser")),
    ("mediateur_sante", _("Health mediator")),
    ("coordinateur", _("Coordinator")),
    ("interprete", _("Interpreter")),
    ("directeur", _("Director")),
    ("agent_administratif", _("Administrative officer")),
    ("autre", _("Other")),
]

# Roles whose members must use a second factor when MAILLAGE_REQUIRE_MFA is on:
# everyone who can write clinical, mental health or social content.
CLINICAL_OR_SOCIAL_ROLES = frozenset(
    {
        Role.GP,
        Role.NURSE,
        Role.MIDWIFE,
        Role.PHYSIOTHERAPIST,
        Role.OTHER_CLINICIAN,
        Role.PSYCHOLOGIST,
        Role.SOCIAL_WORKER,
        Role.LEGAL_ADVISER,
        Role.MEDIATOR,
    }
)
