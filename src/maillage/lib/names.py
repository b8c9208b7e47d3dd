"""Name normalisation, French phonetic keys and search keys.

People are searched through an indexed table of string keys so that typed
names with typos or missing accents are found on SQLite and PostgreSQL alike.
Three kinds of keys are produced per token, each with its own prefix:

* ``t:<token>``: the exact normalised token;
* ``d:<string>``: symmetric-deletion keys (the token and, for tokens of 4
  characters or more, every string obtained by deleting one character). Two
  tokens within one edit (insertion, deletion, substitution or adjacent
  transposition) share at least one ``d:`` key;
* ``p:<key>``: the French phonetic key of the token (see :func:`phonetic`).
"""

from __future__ import annotations

import functools
import re

from rapidfuzz import fuzz
from unidecode import unidecode

__all__ = [
    "PARTICLES",
    "deletion_keys",
    "exact_keys",
    "name_similarity",
    "normalize",
    "phonetic",
    "query_keys",
    "search_keys",
    "split_full_name",
    "tokens",
]

PARTICLES = frozenset(
    {"de", "du", "des", "la", "le", "d", "l", "van", "von", "el", "ben", "ep", "epouse", "nee"}
)
MIN_DELETION_LENGTH = 4

_SEPARATORS = re.compile(r"[-'_.]")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r" {2,}")


@functools.lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Transliterate to ASCII, lowercase, turn separators into single spaces.

    ``"Jean-François  O'Brien"`` -> ``"jean francois o brien"``;
    ligatures are expanded (``"Œ"`` -> ``"oe"``).
    """
    value = unidecode(text).lower()
    value = _SEPARATORS.sub(" ", value)
    value = _NON_ALNUM.sub(" ", value)
    return _SPACES.sub(" ", value).strip()


def tokens(text: str) -> list[str]:
    """Normalised tokens; particles (de, le, van, épouse...) are dropped when
    other tokens remain."""
    parts = normalize(text).split()
    kept = [part for part in parts if part not in PARTICLES]
    return kept if kept else parts


# --- French phonetic key -----------------------------------------------------

# Ordered (pattern, replacement) rules applied after the silent final letters
# are dropped. Upper-case letters are temporary placeholders.
_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # Consonant groups involving "h", then mute "h".
        (r"ph", "f"),
        (r"ch(?=[lr])", "k"),
        (r"s?ch|sh", "S"),
        (r"h", ""),
        # Hard and soft c/g, other consonants.
        (r"gn", "n"),
        (r"qu|q|ck", "k"),
        (r"gu(?=[eiyE])", "G"),
        (r"c(?=[eiyE])", "s"),
        (r"c", "k"),
        (r"ge(?=[aou])", "j"),
        (r"g(?=[eiyE])", "j"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"y", "i"),
        (r"z", "s"),
        (r"bv", "v"),
        # Vowel groups.
        (r"eau|au|ou", "o"),
        (r"[ae]in(?![aeiouE])", "1"),
        (r"oeu|eu", "e"),
        (r"ai|ei", "e"),
        # Double letters, so that "anne" is not read as a nasal vowel.
        (r"(.)\1+", r"\1"),
        # Nasal vowels, before a consonant or at the end of the word.
        (r"(?:in|im|un|um)(?![aeiouE])", "1"),
        (r"(?:an|am|en|em)(?![aeiouE])", "2"),
        (r"(?:on|om)(?![aeiouE])", "3"),
        (r"G", "g"),
        (r"S", "x"),
        (r"E", ""),
        (r"(.)\1+", r"\1"),
    )
)
_NOT_LETTER = re.compile(r"[^a-z]+")
_SILENT_FINAL_CONSONANTS = "stxd"


@functools.lru_cache(maxsize=8192)
def phonetic(token: str) -> str:
    """Simplified French phonetic key (in the spirit of Soundex 2 / Phonex).

    Rules, applied in order on the normalised token (letters only):

    1. silent final letters: one final ``s``, ``t``, ``x`` or ``d`` is dropped,
       then one final ``e`` (``dupont``, ``dupond`` -> ``dupon``;
       ``georges`` -> ``georg``); at least two letters are kept. The dropped
       ``e`` still acts as a vowel for rules 3 and 6 (``serge`` -> ``serj``,
       ``anne`` -> ``an``, ``martine`` -> ``martin`` but ``martin`` -> ``mart1``);
    2. ``ph`` -> ``f``; ``ch`` before ``l``/``r`` -> ``k`` (chloé, christophe);
       ``sch``, ``ch``, ``sh`` -> ``x``; every other ``h`` is dropped;
    3. ``gn`` -> ``n``; ``qu``, ``q``, ``ck``, hard ``c`` -> ``k``; ``c`` before
       e/i/y -> ``s``; ``gu`` before e/i/y -> hard ``g``; ``g`` before e/i/y
       and ``ge`` before a/o/u -> ``j``; ``x`` -> ``ks``; ``w`` -> ``v``;
       ``y`` -> ``i``; ``z`` -> ``s``; ``bv`` -> ``v`` (lefebvre);
    4. ``eau``, ``au``, ``ou`` -> ``o``; ``ain``, ``ein`` not followed by a
       vowel -> ``1``; ``oeu``, ``eu`` -> ``e``; ``ai``, ``ei`` -> ``e``
       (accents were already removed: è, é -> e);
    5. double letters are collapsed;
    6. nasal vowels before a consonant or at the end: ``in``, ``im``, ``un``,
       ``um`` -> ``1``; ``an``, ``am``, ``en``, ``em`` -> ``2``;
       ``on``, ``om`` -> ``3``;
    7. double letters are collapsed again.

    Returns ``""`` for a token without letters.
    """
    word = _NOT_LETTER.sub("", normalize(token))
    if not word:
        return ""
    if len(word) > 2 and word[-1] in _SILENT_FINAL_CONSONANTS:
        word = word[:-1]
    if len(word) > 2 and word[-1] == "e":
        # Keep a placeholder: the mute "e" still softens c/g and prevents
        # a nasal reading of the preceding vowel ("anne", "martine").
        word = word[:-1] + "E"
    for pattern, replacement in _PHONETIC_RULES:
        word = pattern.sub(replacement, word)
    return word


MIN_PREFIX_LENGTH = 3
MAX_PREFIX_LENGTH = 8
PHONETIC_TOKEN_SCORE = 85.0

# --- Search keys ---------------------------------------------------------------


def deletion_keys(token: str) -> set[str]:
    """``d:`` keys: the token and, if it has at least 4 characters, every
    string obtained by deleting one of its characters."""
    keys = {f"d:{token}"}
    if len(token) >= MIN_DELETION_LENGTH:
        keys.update(f"d:{token[:i]}{token[i + 1 :]}" for i in range(len(token)))
    return keys


def _token_keys(token: str) -> set[str]:
    keys = {f"t:{token}"} | deletion_keys(token)
    key = phonetic(token)
    if key:
        keys.add(f"p:{key}")
    return keys


def prefix_keys(token: str) -> set[str]:
    """``f:`` keys: the token's beginnings of 3 to 8 characters (shorter than the
    token), so that a name fragment typed at the desk ("dupo") finds "dupont"."""
    top = min(len(token) - 1, MAX_PREFIX_LENGTH)
    return {f"f:{token[:k]}" for k in range(MIN_PREFIX_LENGTH, top + 1)}


def exact_keys(*names: str) -> set[str]:
    """The ``t:``, ``d:`` and ``p:`` keys for the tokens of the given names, without the
    ``f:`` prefix keys that :func:`search_keys` adds."""
    keys: set[str] = set()
    for name in names:
        for token in tokens(name):
            keys |= _token_keys(token)
    return keys


def search_keys(*names: str) -> set[str]:
    """All ``t:``, ``d:``, ``p:`` and ``f:`` keys for the tokens of the given names."""
    keys: set[str] = set()
    for name in names:
        for token in tokens(name):
            keys |= _token_keys(token) | prefix_keys(token)
    return keys


def query_keys(text: str) -> list[set[str]]:
    """One key set per distinct query token, in order of appearance: the token's own
    keys, and ``f:<token>`` so that it also matches as the beginning of a name."""
    result = []
    for token in dict.fromkeys(tokens(text)):
        keys = _token_keys(token)
        if MIN_PREFIX_LENGTH <= len(token) <= MAX_PREFIX_LENGTH:
            keys.add(f"f:{token}")
        result.append(keys)
    return result


def token_match(query_token: str, candidate_token: str) -> float:
    """How well one typed token matches one name token, 0..100."""
    if query_token == candidate_token:
        return 100.0
    if len(query_token) >= MIN_PREFIX_LENGTH and candidate_token.startswith(query_token):
        return 90.0 + 5.0 * len(query_token) / len(candidate_token)
    ratio = fuzz.ratio(query_token, candidate_token, processor=None)
    if ratio < PHONETIC_TOKEN_SCORE and phonetic(query_token) == phonetic(candidate_token):
        return PHONETIC_TOKEN_SCORE
    return float(ratio)


def match_score(query: str, candidate: str) -> float:
    """Ranks search results, 0..100: the mean over typed tokens of their best match
    among the candidate's name tokens (in any order, as a prefix, with a typo or
    sounding alike), with a tenth of a point off per extra candidate token so that
    the closest full name comes first."""
    typed = list(dict.fromkeys(tokens(query)))
    names = tokens(candidate)
    if not typed or not names:
        return 0.0
    best = [max(token_match(q, c) for c in names) for q in typed]
    return sum(best) / len(best) - 0.1 * max(0, len(names) - len(typed))


def name_similarity(query: str, candidate: str) -> float:
    """Similarity in 0..100 of two full names, insensitive to accents, case,
    particles and word order.

    The mean of ``token_sort_ratio`` (whole names, word order ignored) and
    ``token_set_ratio`` (100 when one name's words are contained in the
    other's): transposed first/last names score 100, a partial query such as
    ``"dupont"`` against ``"dupont marie"`` scores high but below a full match.
    """
    left = " ".join(tokens(query))
    right = " ".join(tokens(candidate))
    if not left or not right:
        return 0.0
    sort = fuzz.token_sort_ratio(left, right, processor=None)
    overlap = fuzz.token_set_ratio(left, right, processor=None)
    return (sort + overlap) / 2


def split_full_name(text: str) -> tuple[str, str]:
    """(family name, given names) from a name said in one piece at the desk, as a first
    guess for a registration form the member then checks.

    Words written in capitals are the family name, as on French forms ("BENALI Fatima",
    "Fatima BEN ALI"); otherwise the last word is, with the particles just before it
    ("Jean de la Fontaine" -> "de la Fontaine"). One word is a family name.
    """
    words = text.split()
    if not words:
        return "", ""
    capitals = [w for w in words if sum(c.isalpha() for c in w) > 1 and w.isupper()]
    if capitals and len(capitals) < len(words):
        given = [w for w in words if w not in capitals]
        return " ".join(capitals), " ".join(given)
    cut = len(words) - 1
    while cut > 1 and normalize(words[cut - 1]) in PARTICLES:
        cut -= 1
    return " ".join(words[cut:]), " ".join(words[:cut])
