"""The national catalogue of rights: the rights a health centre's team helps people open
and keep, with their names (translated), their category, the OpenFisca-France variable
that estimates them when there is one, and the documents an application usually needs
(a first list the team completes).

The rows of ``RightKind`` for these codes are made by a data migration; a structure adds
its own rights beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

IDENTITY = _("Identity document or residence permit")
ADDRESS = _("Proof of address or of domiciliation")
RESOURCES = _("Resources of the last 12 months")
BANK = _("Bank details (RIB)")
HEALTH_CARD = _("Health insurance certificate")


@dataclass(frozen=True)
class National:
    label: Any
    category: str
    openfisca: str = ""
    documents: tuple[Any, ...] = field(default_factory=tuple)


NATIONAL: dict[str, National] = {
    "puma": National(_("PUMa (basic health insurance)"), "coverage", "", (IDENTITY, ADDRESS)),
    "css": National(
        _("Complémentaire santé solidaire (free)"),
        "coverage",
        "cmu_c",
        (IDENTITY, ADDRESS, RESOURCES, HEALTH_CARD),
    ),
    "css_participation": National(
        _("Complémentaire santé solidaire (with a participation)"),
        "coverage",
        "css_participation_forfaitaire",
        (IDENTITY, ADDRESS, RESOURCES, HEALTH_CARD, BANK),
    ),
    "ame": National(
        _("AME (state medical aid)"),
        "coverage",
        "",
        (IDENTITY, ADDRESS, RESOURCES, _("Proof of presence in France for more than 3 months")),
    ),
    "ald": National(
        _("ALD (long-term illness, full cover)"),
        "coverage",
        "",
        (_("Care protocol written by the GP"),),
    ),
    "rsa": National(_("RSA"), "income", "rsa", (IDENTITY, RESOURCES, BANK)),
    "ppa": National(_("Prime d'activité"), "income", "ppa", (IDENTITY, RESOURCES, BANK)),
    "apl": National(
        _("APL (personalised housing aid)"),
        "housing",
        "aide_logement",
        (IDENTITY, RESOURCES, BANK, _("Lease and rent receipt")),
    ),
    "als": National(
        _("ALS (social housing allowance)"),
        "housing",
        "aide_logement",
        (IDENTITY, RESOURCES, BANK, _("Lease and rent receipt")),
    ),
    "alf": National(
        _("ALF (family housing allowance)"),
        "housing",
        "aide_logement",
        (IDENTITY, RESOURCES, BANK, _("Lease and rent receipt")),
    ),
    "aah": National(
        _("AAH (disabled adult allowance)"),
        "disability",
        "aah",
        (IDENTITY, RESOURCES, _("MDPH decision (disability rate)")),
    ),
    "mdph": National(
        _("Recognition of disability (MDPH)"),
        "disability",
        "",
        (IDENTITY, ADDRESS, _("Medical certificate for the MDPH")),
    ),
    "domiciliation": National(_("Domiciliation"), "stay", "", (IDENTITY,)),
    "residence_permit": National(
        _("Residence permit"),
        "stay",
        "",
        (IDENTITY, ADDRESS, _("Photographs"), _("Tax stamp")),
    ),
}
