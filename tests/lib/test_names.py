import pytest

from maillage.lib.names import (
    deletion_keys,
    exact_keys,
    match_score,
    name_similarity,
    normalize,
    phonetic,
    query_keys,
    search_keys,
    split_full_name,
    tokens,
)


def test_it_normalizes_accents_case_and_separators():
    assert normalize("Jean-François  O'Brien") == "jean francois o brien"
    assert normalize("  Éloïse_MARTIN.d’Arc ") == "eloise martin d arc"


def test_it_expands_ligatures():
    assert normalize("Œuvray") == "oeuvray"
    assert normalize("Lætitia") == "laetitia"


def test_it_strips_other_punctuation():
    assert normalize("Dupont (née Martin)") == "dupont nee martin"
    assert normalize("!!!") == ""


def test_it_drops_particles_only_when_other_tokens_remain():
    assert tokens("Charles de Gaulle") == ["charles", "gaulle"]
    assert tokens("Le Goff") == ["goff"]
    assert tokens("Dupont épouse Martin") == ["dupont", "martin"]
    assert tokens("d'Artagnan") == ["artagnan"]
    assert tokens("Le") == ["le"]
    assert tokens("De La") == ["de", "la"]


@pytest.mark.parametrize(
    "group",
    [
        ("Dupont", "Dupond", "DUPONT"),
        ("Lefebvre", "Lefèvre"),
        ("Philippe", "Filipe", "Philipe"),
        ("Mohamed", "Mohammed", "Mouhamed"),
        ("Nguyen", "Nguyên"),
        ("Kowalski", "Kovalski"),
        ("Rousseau", "Rousso"),
        ("Chloé", "Chloe"),
        ("Germain", "Germin"),
        ("Fontaine", "Fontène"),
        ("Lambert", "Lamber"),
        ("Catherine", "Katherine"),
        ("Serge", "Serj"),
    ],
)
def test_it_gives_the_same_phonetic_key_to_homophones(group):
    keys = {phonetic(name) for name in group}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Martin", "Martine"),
        ("Dupont", "Durand"),
        ("Jean", "Jeanne"),
        ("Marie", "Mario"),
        ("Anne", "Anna"),
    ],
)
def test_it_keeps_distinct_names_apart(a, b):
    assert phonetic(a) != phonetic(b)


def test_it_applies_documented_phonetic_rules():
    assert phonetic("Dupont") == "dup3"  # final t dropped, "on" nasal
    assert phonetic("Guillaume") == "gilom"  # gu before i is hard, au -> o
    assert phonetic("Georges") == "jorj"
    assert phonetic("Cécile") == "sesil"
    assert phonetic("Christophe") == "kristof"
    assert phonetic("Schmidt") == "xmid"
    assert phonetic("123") == ""


def test_it_makes_deletion_keys_for_long_tokens_only():
    assert deletion_keys("abcd") == {"d:abcd", "d:bcd", "d:acd", "d:abd", "d:abc"}
    assert deletion_keys("ana") == {"d:ana"}
    assert deletion_keys("anna") == {"d:anna", "d:nna", "d:ana", "d:ann"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("dupnt", "dupont"),  # deletion
        ("duppont", "dupont"),  # insertion
        ("dupomt", "dupont"),  # substitution
        ("dupnot", "dupont"),  # adjacent transposition
        ("anna", "ana"),
    ],
)
def test_it_shares_a_deletion_key_between_tokens_one_edit_apart(typed, stored):
    assert deletion_keys(typed) & deletion_keys(stored)


def test_it_shares_no_deletion_key_between_distant_tokens():
    assert not deletion_keys("dupont") & deletion_keys("durand")


def test_it_builds_prefixed_search_keys():
    keys = search_keys("Dupont")
    assert "t:dupont" in keys
    assert "d:dupont" in keys
    assert "d:dupot" in keys
    assert "p:dup3" in keys
    assert {"f:dup", "f:dupo", "f:dupon"} <= keys
    assert "f:dupont" not in keys  # the whole token is the t: key
    assert all(key[:2] in ("t:", "d:", "p:", "f:") for key in keys)


def test_it_builds_exact_keys_without_prefixes():
    keys = exact_keys("Dupont", "", "Marie")
    assert {"t:dupont", "d:dupot", "p:dup3", "t:marie"} <= keys
    assert not any(key.startswith("f:") for key in keys)
    assert keys == search_keys("Dupont", "", "Marie") - {
        key for key in search_keys("Dupont", "Marie") if key.startswith("f:")
    }
    assert exact_keys("Dupond") & exact_keys("DUPONT")  # one edit apart
    assert not exact_keys("Dupont") & exact_keys("Dupontel")  # a prefix alone is not enough


def test_it_finds_a_name_from_its_beginning():
    stored = search_keys("Dupont", "", "Marie")
    assert query_keys("dupo")[0] & stored
    assert query_keys("mar")[0] & stored
    assert not query_keys("pont")[0] & stored


def test_it_ranks_the_closest_name_first():
    assert match_score("dupon", "DUPONT Susanne") > match_score("dupon", "DUONG Tu")
    assert match_score("marie dupont", "DUPONT Marie") == 100.0
    assert match_score("dupont marie", "DUPONT Marie Louise") < 100.0
    assert match_score("dupomt", "DUPONT Marie") > match_score("dupomt", "DUPUIS Marie")
    assert match_score("", "DUPONT") == 0.0


def test_it_keeps_search_keys_compact_for_a_typical_person():
    keys = search_keys("Dupont", "Martin", "Marie Christine")
    assert len(keys) <= 60


def test_it_finds_accented_typo_and_phonetic_variants_through_shared_keys():
    stored = search_keys("Lefèvre", "", "Hélène")
    for typed in ("lefevre", "LEFEBVRE", "lefevrre", "helene", "hélèn"):
        assert query_keys(typed)[0] & stored, typed


def test_it_returns_one_key_set_per_distinct_query_token():
    groups = query_keys("Marie DUPOND marie")
    assert len(groups) == 2
    assert "t:marie" in groups[0]
    assert "p:dup3" in groups[1]
    assert query_keys("") == []


def test_it_scores_identical_and_transposed_names_100():
    assert name_similarity("Dupont Marie", "DUPONT Marie") == 100
    assert name_similarity("Marie Dupont", "Dupont Marie") == 100
    assert name_similarity("Hélène Lefèvre", "helene lefevre") == 100


def test_it_scores_typos_above_partial_queries_above_unrelated_names():
    typo = name_similarity("Dupond Marie", "Dupont Marie")
    partial = name_similarity("dupont", "Dupont Marie")
    unrelated = name_similarity("Martin Paul", "Dupont Marie")
    assert 85 < typo < 100
    assert 75 < partial < typo
    assert unrelated < 50


def test_it_scores_empty_names_zero():
    assert name_similarity("", "Dupont") == 0.0


@pytest.mark.parametrize(
    ("said", "family", "given"),
    [
        ("BENALI Fatima", "BENALI", "Fatima"),
        ("Fatima BEN ALI", "BEN ALI", "Fatima"),
        ("Jean-Marc Dupont", "Dupont", "Jean-Marc"),
        ("Jean de la Fontaine", "de la Fontaine", "Jean"),
        ("  Amadou   Diallo ", "Diallo", "Amadou"),
        ("Nguyen", "Nguyen", ""),
        ("DIALLO", "DIALLO", ""),
        ("AMADOU DIALLO", "DIALLO", "AMADOU"),
        ("", "", ""),
    ],
)
def test_a_name_said_in_one_piece_is_split_into_family_and_given_names(said, family, given):
    assert split_full_name(said) == (family, given)
