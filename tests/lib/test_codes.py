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


# --- files of ICPC-2 rubrics (titles invented for the tests) ---------------------------


def parsed(text: str, encoding: str = "utf-8") -> icpc2.ParsedFile:
    return icpc2.parse_rubric_file(text.encode(encoding))


def test_a_french_header_with_semicolons():
    result = parsed("Code CISP;Libellé;Inclusions\nT90;Diabète (essai);type 2\n")
    assert result.rubrics == [icpc2.Rubric("T90", "Diabète (essai)", "type 2")]
    assert result.problems == []


def test_an_english_header_prefers_the_full_title():
    text = 'Code,shortTitle,preferred,inclusion\nR05,Cough,"Cough (test), any",dry cough\n'
    assert parsed(text).rubrics == [icpc2.Rubric("R05", "Cough (test), any", "dry cough")]


def test_two_bare_columns_in_windows_1252_with_a_comma_in_a_title():
    result = parsed("A03\tFièvre, essai\nr05\tToux\n", encoding="cp1252")
    assert [(r.code, r.title) for r in result.rubrics] == [
        ("A03", "Fièvre, essai"),
        ("R05", "Toux"),
    ]


def test_a_byte_order_mark_and_blank_lines_are_ignored():
    result = icpc2.parse_rubric_file("\ufeffcode;titre\n\nK86;HTA (essai)\n".encode())
    assert [r.code for r in result.rubrics] == ["K86"]


def test_every_bad_line_is_reported_with_its_number():
    text = "code;titre\nA03;Fièvre\nQ12;Pas un chapitre\nA04;\nA03;Encore\n-30;Examen\n" + (
        "T90;" + "x" * 301 + "\n"
    )
    result = parsed(text)
    assert [r.code for r in result.rubrics] == ["A03"]
    assert [(p.line, p.message, p.value) for p in result.problems] == [
        (3, "bad_code", "Q12"),
        (4, "no_title", "A04"),
        (5, "duplicate", "A03"),
        (7, "too_long", "T90"),
    ]
    assert [(p.line, p.message) for p in result.ignored] == [(6, "generic_process")]


@pytest.mark.parametrize(
    ("text", "message"), [("", "empty"), ("nom;prénom\nDupont;Marie\n", "no_columns")]
)
def test_a_file_that_is_not_a_list_of_rubrics(text, message):
    result = parsed(text)
    assert result.rubrics == [] and [p.message for p in result.problems] == [message]


def test_a_file_far_too_long_stops_early():
    lines = "".join(f"A{n % 99 + 1:02d};t{n}\n" for n in range(icpc2.MAX_ROWS + 10))
    result = parsed("code;titre\n" + lines)
    assert result.problems[-1].message == "too_many_lines"


def test_search_words():
    assert icpc2.query_words("Douleur à la poitrine") == ["douleur", "poitrine"]
    assert icpc2.query_words("T9") == ["t9"]
    assert icpc2.query_words("a") == ["a"]
    assert icpc2.query_words("  ") == []
    assert icpc2.search_text(icpc2.Rubric("L03", "Lombalgie", "Bas du dos")) == (
        "l03 lombalgie bas du dos"
    )


def test_rpps_numbers():
    from stdnum import luhn

    from maillage.lib import rpps

    good = "1000000000" + luhn.calc_check_digit("1000000000")
    bad_key = "1000000000" + str((int(luhn.calc_check_digit("1000000000")) + 1) % 10)
    assert rpps.check(good) is None
    assert rpps.check(f" {good[:3]} {good[3:]} ") is None
    assert rpps.check(bad_key) == "bad_key"
    assert rpps.check("1234") == "not_11_digits"
    assert rpps.check("1000000000A") == "not_11_digits"
