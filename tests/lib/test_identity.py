import itertools
from typing import Any

import pytest

from maillage.lib.identity import (
    STRICT_TRAITS,
    DocumentType,
    IdentityEvidence,
    IdentityStatus,
    fhir_reliability_code,
    highest_status,
    status_after_trait_change,
    status_problems,
)

ID_CARD_CHECKED: dict[str, Any] = {"document_type": "id_card", "document_checked": True}
INS: dict[str, Any] = {"ins_retrieved": True, "has_nir": True}


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (IdentityEvidence(), "prov"),
        (IdentityEvidence(**ID_CARD_CHECKED), "vali"),
        (IdentityEvidence(document_type="passport", document_checked=True), "vali"),
        (IdentityEvidence(document_type="residence_permit", document_checked=True), "vali"),
        (IdentityEvidence(**INS), "recup"),
        (IdentityEvidence(**ID_CARD_CHECKED, **INS), "qual"),
        # Document seen but not checked, or not a high-trust document.
        (IdentityEvidence(document_type="id_card"), "prov"),
        (IdentityEvidence(document_type="other", document_checked=True), "prov"),
        (IdentityEvidence(document_type="other", document_checked=True, **INS), "recup"),
        (IdentityEvidence(document_type="birth_certificate", document_checked=True), "prov"),
        # INS without a recorded NIR.
        (IdentityEvidence(ins_retrieved=True), "prov"),
        (IdentityEvidence(ins_retrieved=True, **ID_CARD_CHECKED), "vali"),
    ],
)
def test_it_computes_the_highest_status(evidence, expected):
    assert highest_status(evidence) == expected


@pytest.mark.parametrize("flag", ["declared_identity", "doubtful", "fictitious"])
def test_it_keeps_declared_doubtful_and_fictitious_identities_provisional(flag):
    flags: dict[str, Any] = {flag: True}
    evidence = IdentityEvidence(**ID_CARD_CHECKED, **INS, **flags)
    assert highest_status(evidence) == "prov"
    expected_code = {
        "declared_identity": "declared_identity_must_be_provisional",
        "doubtful": "doubtful_identity_must_be_provisional",
        "fictitious": "fictitious_identity_must_be_provisional",
    }[flag]
    for status in ("recup", "vali", "qual"):
        assert status_problems(status, evidence) == [expected_code]
    assert status_problems("prov", evidence) == []


@pytest.mark.parametrize("document", ["family_record_book", "birth_certificate"])
def test_it_accepts_family_documents_for_a_minor_only_with_legal_representative_check(document):
    base: dict[str, Any] = {"document_type": document, "document_checked": True, "is_minor": True}
    without = IdentityEvidence(**base)
    with_representative = IdentityEvidence(**base, legal_representative_document_checked=True)
    assert highest_status(without) == "prov"
    assert status_problems("vali", without) == ["status_requires_legal_representative_document"]
    assert highest_status(with_representative) == "vali"
    assert (
        highest_status(IdentityEvidence(**base, legal_representative_document_checked=True, **INS))
        == "qual"
    )


def test_it_refuses_family_documents_for_an_adult():
    evidence = IdentityEvidence(
        document_type="family_record_book",
        document_checked=True,
        legal_representative_document_checked=True,
    )
    assert highest_status(evidence) == "prov"
    assert status_problems("vali", evidence) == ["status_requires_high_trust_document"]


def test_it_accepts_an_identity_card_for_a_minor():
    assert highest_status(IdentityEvidence(**ID_CARD_CHECKED, is_minor=True)) == "vali"


def test_it_explains_missing_evidence():
    nothing = IdentityEvidence()
    assert status_problems("prov", nothing) == []
    assert status_problems("vali", nothing) == ["status_requires_high_trust_document"]
    assert status_problems("recup", nothing) == ["status_requires_ins", "status_requires_nir"]
    assert status_problems("qual", nothing) == [
        "status_requires_high_trust_document",
        "status_requires_ins",
        "status_requires_nir",
    ]
    unchecked = IdentityEvidence(document_type="passport", has_nir=True)
    assert status_problems("qual", unchecked) == [
        "status_requires_document_checked",
        "status_requires_ins",
    ]
    assert status_problems("recup", IdentityEvidence(ins_retrieved=True)) == ["status_requires_nir"]


def test_it_allows_a_status_below_the_highest():
    evidence = IdentityEvidence(**ID_CARD_CHECKED, **INS)
    assert highest_status(evidence) == "qual"
    for status in ("prov", "recup", "vali", "qual"):
        assert status_problems(status, evidence) == []


def test_it_does_not_allow_recup_from_a_document_alone():
    evidence = IdentityEvidence(**ID_CARD_CHECKED, has_nir=True)
    assert status_problems("recup", evidence) == ["status_requires_ins"]


def test_it_rejects_unknown_statuses():
    assert status_problems("QUAL", IdentityEvidence()) == ["unknown_status"]
    assert status_problems("validated", IdentityEvidence()) == ["unknown_status"]


def test_it_is_consistent_between_highest_status_and_problems():
    flags = (
        "document_checked",
        "ins_retrieved",
        "is_minor",
        "legal_representative_document_checked",
        "has_nir",
        "doubtful",
    )
    for document in DocumentType:
        for values in itertools.product((False, True), repeat=len(flags)):
            options: dict[str, Any] = dict(zip(flags, values, strict=True))
            evidence = IdentityEvidence(document_type=document, **options)
            best = highest_status(evidence)
            assert status_problems(best, evidence) == []
            if best == "prov":
                assert all(status_problems(s, evidence) for s in ("recup", "vali", "qual"))


@pytest.mark.parametrize("status", ["recup", "vali", "qual"])
@pytest.mark.parametrize("trait", STRICT_TRAITS)
def test_it_drops_to_provisional_when_a_strict_trait_changes(status, trait):
    assert status_after_trait_change(status, {trait, "phone"}) == "prov"


def test_it_keeps_the_status_when_only_other_traits_change():
    assert status_after_trait_change("qual", {"used_name", "phone", "address"}) == "qual"
    assert status_after_trait_change("vali", set()) == "vali"
    assert status_after_trait_change("prov", {"birth_name"}) == "prov"
    with pytest.raises(ValueError, match="unknown_status"):
        status_after_trait_change("nope", {"birth_name"})


def test_it_maps_statuses_to_fhir_reliability_codes():
    assert [fhir_reliability_code(s) for s in ("prov", "recup", "vali", "qual")] == [
        "PROV",
        "RECUP",
        "VALI",
        "QUAL",
    ]
    assert fhir_reliability_code(IdentityStatus.QUAL) == "QUAL"
    with pytest.raises(ValueError, match="unknown_status"):
        fhir_reliability_code("x")
