import pytest

from maillage.lib import icd10, icpc2


@pytest.mark.parametrize("code", ["A03", "r05", "T90", "Z29", "K86"])
def test_icpc2_codes(code):
    assert icpc2.is_icpc2_code(code)


@pytest.mark.parametrize("code", ["", "A00", "C03", "A1", "A100", "T9O"])
def test_not_icpc2_codes(code):
    assert not icpc2.is_icpc2_code(code)


def test_icpc2_components():
    assert icpc2.component("R05") == "symptoms"
    assert icpc2.component("K86") == "diagnosis"
    assert icpc2.component("A62") == "administrative"


def test_icpc2_lists_are_normalised():
    assert icpc2.normalise_codes("r05, a03 ;T90 r05") == ["R05", "A03", "T90"]
    with pytest.raises(ValueError, match="X999"):
        icpc2.normalise_codes("R05, X999")


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("E11", True),
        ("e119", True),
        ("E11.9", True),
        ("Z99.99", False),
        ("", False),
        ("diabète", False),
    ],
)
def test_icd10_codes(code, valid):
    assert icd10.is_icd10_code(code) is valid
