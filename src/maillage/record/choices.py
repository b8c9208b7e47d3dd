"""Code lists of the shared record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EntryKind(models.TextChoices):
    ENCOUNTER = "encounter", _("Encounter")
    NOTE = "note", _("Note")
    OBSERVATION = "observation", _("Observation")
    PROBLEM = "problem", _("Problem")
    TREATMENT = "treatment", _("Treatment")
    DOCUMENT = "document", _("Document")


class EncounterKind(models.TextChoices):
    CONSULTATION = "consultation", _("Individual consultation")
    CO_CONSULTATION = "co_consultation", _("Co-consultation")
    SOCIAL_INTERVIEW = "social_interview", _("Social interview")
    HOME_VISIT = "home_visit", _("Home visit")
    PHONE_CALL = "phone_call", _("Phone call")
    INFORMAL = "informal", _("Informal contact at reception")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment to an outside appointment")
    INTERPRETED = "interpreted", _("Interpreted session")


class Place(models.TextChoices):
    CENTRE = "centre", _("At the centre")
    HOME = "home", _("At home")
    PHONE = "phone", _("By phone")
    VIDEO = "video", _("By video")
    OUTSIDE = "outside", _("Outside (hospital, office, partner…)")
    OUTREACH = "outreach", _("In the neighbourhood (outreach)")


class ParticipantKind(models.TextChoices):
    MEMBER = "member", _("Team member")
    INTERPRETER = "interpreter", _("Interpreter")
    EXTERNAL = "external", _("External professional")
    RELATIVE = "relative", _("Relative or close person")


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("problem", "Active")
    RESOLVED = "resolved", pgettext_lazy("problem", "Resolved")


class TreatmentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("treatment", "Current")
    STOPPED = "stopped", pgettext_lazy("treatment", "Stopped")


class CodeSystem(models.TextChoices):
    ICPC2 = "icpc2", "CISP-2 (ICPC-2)"
    ICD10 = "icd10", "CIM-10 (ICD-10)"


class ObservationKind(models.TextChoices):
    WEIGHT = "weight", _("Weight")
    HEIGHT = "height", _("Height")
    BMI = "bmi", _("Body-mass index")
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    HEART_RATE = "heart_rate", _("Heart rate")
    TEMPERATURE = "temperature", _("Temperature")
    HBA1C = "hba1c", _("HbA1c")
    CAPILLARY_GLUCOSE = "capillary_glucose", _("Capillary glucose")
    SPO2 = "spo2", _("Oxygen saturation (SpO2)")


# How each unit is shown to people (UCUM codes are for machines).
UNIT_LABELS = {
    "kg": "kg",
    "cm": "cm",
    "kg/m2": "kg/m²",
    "mm[Hg]": "mmHg",
    "/min": "/min",
    "Cel": "°C",
    "%": "%",
    "g/L": "g/L",
}


class DocumentType(models.TextChoices):
    PRESCRIPTION = "prescription", _("Prescription")
    LAB_RESULT = "lab_result", _("Laboratory result")
    IMAGING = "imaging", _("Imaging report")
    LETTER = "letter", _("Letter or report")
    CERTIFICATE = "certificate", _("Certificate")
    COVERAGE = "coverage", _("Health coverage or rights document")
    IDENTITY = "identity", _("Identity or residence document")
    FORM = "form", _("Form or application")
    OTHER = "other", _("Other document")


class SharingKind(models.TextChoices):
    REFUSE = "refuse", _("Refused")
    GRANT = "grant", _("Granted")


class CareTeamSource(models.TextChoices):
    ADDED = "added", _("Added to the care team")
    ENCOUNTER = "encounter", _("Recorded an encounter")
    REGISTRATION = "registration", _("Registered the person")
