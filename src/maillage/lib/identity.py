"""Identity-vigilance rules (Référentiel national d'identitovigilance, RNIV).

Identity statuses follow the INS / FR Core reliability codes:

* ``prov``  - provisional (identité provisoire): default;
* ``recup`` - retrieved (identité récupérée): INS obtained through the INSi
  teleservice, no high-trust document checked;
* ``vali``  - validated (identité validée): high-trust document checked;
* ``qual``  - qualified (identité qualifiée): both.

Declared identities (pseudonym, no document), doubtful and fictitious
identities must stay provisional. Problems are returned as stable codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "HIGH_TRUST_DOCUMENTS",
    "MINOR_DOCUMENTS",
    "STRICT_TRAITS",
    "DocumentType",
    "IdentityEvidence",
    "IdentityStatus",
    "fhir_reliability_code",
    "highest_status",
    "is_high_trust_document",
    "status_after_trait_change",
    "status_problems",
]


class IdentityStatus(StrEnum):
    PROV = "prov"
    RECUP = "recup"
    VALI = "vali"
    QUAL = "qual"


class DocumentType(StrEnum):
    NONE = "none"
    ID_CARD = "id_card"  # carte nationale d'identité
    PASSPORT = "passport"
    RESIDENCE_PERMIT = "residence_permit"  # titre de séjour
    FAMILY_RECORD_BOOK = "family_record_book"  # livret de famille
    BIRTH_CERTIFICATE = "birth_certificate"  # extrait d'acte de naissance
    OTHER = "other"  # driving licence, health-insurance card...: not high-trust


HIGH_TRUST_DOCUMENTS = frozenset(
    {DocumentType.ID_CARD, DocumentType.PASSPORT, DocumentType.RESIDENCE_PERMIT}
)
# High-trust for a minor only once a legal representative's own identity
# document has been checked.
MINOR_DOCUMENTS = frozenset({DocumentType.FAMILY_RECORD_BOOK, DocumentType.BIRTH_CERTIFICATE})

STRICT_TRAITS = ("birth_name", "given_names", "birth_date", "sex", "birth_place")

_FHIR_CODES = {status: status.value.upper() for status in IdentityStatus}
_NEEDS_DOCUMENT = frozenset({IdentityStatus.VALI, IdentityStatus.QUAL})
_NEEDS_INS = frozenset({IdentityStatus.RECUP, IdentityStatus.QUAL})


@dataclass(frozen=True)
class IdentityEvidence:
    """What is known about how an identity was established."""

    document_type: str = DocumentType.NONE
    document_checked: bool = False
    # INS obtained through the INSi teleservice and the returned traits match.
    ins_retrieved: bool = False
    is_minor: bool = False
    legal_representative_document_checked: bool = False
    # Registered under a declared name or pseudonym, without documents.
    declared_identity: bool = False
    doubtful: bool = False  # identité douteuse
    fictitious: bool = False  # identité fictive
    has_nir: bool = False


def is_high_trust_document(e: IdentityEvidence) -> bool:
    """Whether the document type is high-trust for this person (ignores whether
    it was actually checked)."""
    if e.document_type in HIGH_TRUST_DOCUMENTS:
        return True
    return (
        e.is_minor
        and e.document_type in MINOR_DOCUMENTS
        and e.legal_representative_document_checked
    )


def _provisional_reasons(e: IdentityEvidence) -> list[str]:
    reasons = []
    if e.declared_identity:
        reasons.append("declared_identity_must_be_provisional")
    if e.doubtful:
        reasons.append("doubtful_identity_must_be_provisional")
    if e.fictitious:
        reasons.append("fictitious_identity_must_be_provisional")
    return reasons


def _document_problems(e: IdentityEvidence) -> list[str]:
    if not is_high_trust_document(e):
        if e.is_minor and e.document_type in MINOR_DOCUMENTS:
            return ["status_requires_legal_representative_document"]
        return ["status_requires_high_trust_document"]
    if not e.document_checked:
        return ["status_requires_document_checked"]
    return []


def _ins_problems(e: IdentityEvidence) -> list[str]:
    problems = []
    if not e.ins_retrieved:
        problems.append("status_requires_ins")
    if not e.has_nir:
        # The INS matricule is the NIR (or NIA): it must be recorded.
        problems.append("status_requires_nir")
    return problems


def status_problems(status: str, e: IdentityEvidence) -> list[str]:
    """Codes explaining why ``status`` cannot be given; ``[]`` if allowed.

    A status below the highest reachable one is always allowed (e.g. ``vali``
    when ``qual`` would be possible).
    """
    if status not in _FHIR_CODES:
        return ["unknown_status"]
    if status == IdentityStatus.PROV:
        return []
    problems = _provisional_reasons(e)
    if status in _NEEDS_DOCUMENT:
        problems += _document_problems(e)
    if status in _NEEDS_INS:
        problems += _ins_problems(e)
    return problems


def highest_status(e: IdentityEvidence) -> IdentityStatus:
    """The highest status the evidence supports."""
    for status in (IdentityStatus.QUAL, IdentityStatus.VALI, IdentityStatus.RECUP):
        if not status_problems(status, e):
            return status
    return IdentityStatus.PROV


def status_after_trait_change(status: str, changed: set[str]) -> str:
    """Status after editing traits: changing a strict trait of a non-provisional
    identity drops it to ``prov`` (the evidence must be checked again).

    Raises ``ValueError("unknown_status")``.
    """
    if status not in _FHIR_CODES:
        raise ValueError("unknown_status")
    if status != IdentityStatus.PROV and not changed.isdisjoint(STRICT_TRAITS):
        return IdentityStatus.PROV
    return status


def fhir_reliability_code(status: str) -> str:
    """FR Core identity reliability code: ``PROV``, ``RECUP``, ``VALI``, ``QUAL``.

    Raises ``ValueError("unknown_status")``.
    """
    try:
        return _FHIR_CODES[IdentityStatus(status)]
    except ValueError:
        raise ValueError("unknown_status") from None
