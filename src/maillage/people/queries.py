"""Reads on persons: search and duplicate candidates. Access is checked by the caller
through ``core.access.persons_for_member``; every function here takes that queryset."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When

from maillage.core.models import AccessEvent
from maillage.lib import dedup
from maillage.lib.names import exact_keys, match_score, query_keys
from maillage.lib.nir import clean_nir
from maillage.lib.partial_date import PartialDate, parse_partial_date
from maillage.lib.phone import phone_digits_for_search
from maillage.people.models import DuplicateDismissal, Person, PersonSearchKey

MAX_CANDIDATES = 300
DATE_RE = re.compile(r"^(\d{1,2}[/.-]){0,2}\d{4}$|^\d{4}-\d{2}(-\d{2})?$")


@dataclass
class ParsedQuery:
    names: list[str] = field(default_factory=list)
    birth_date: PartialDate | None = None
    nir: str = ""
    phone: str = ""

    @property
    def empty(self) -> bool:
        return not (self.names or self.birth_date or self.nir or self.phone)


def parse_query(text: str) -> ParsedQuery:
    """Split one search box into name fragments, a date of birth, a NIR or a phone."""
    parsed = ParsedQuery()
    compact = re.sub(r"[\s.]", "", text)
    if re.fullmatch(r"[12378]\d{4}(2A|2B|\d{2})\d{6}(\d{2})?", compact.upper()):
        parsed.nir = clean_nir(compact)[:13]
        return parsed
    if re.fullmatch(r"(\+|00)?\d{9,13}", compact):
        parsed.phone = phone_digits_for_search(compact)
        return parsed
    for chunk in text.split():
        if DATE_RE.match(chunk):
            try:
                parsed.birth_date = parse_partial_date(chunk)
                continue
            except ValueError:
                pass
        parsed.names.append(chunk)
    return parsed


def _date_filter(birth: PartialDate) -> Q:
    q = Q(birth_year=birth.year)
    if birth.month:
        q &= Q(birth_month=birth.month) | Q(birth_month__isnull=True)
    if birth.day:
        q &= Q(birth_day=birth.day) | Q(birth_day__isnull=True)
    return q


def _full_name(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _matches_one_of(keys: set[str]) -> Max:
    """Per person, 1 if one of their keys is in ``keys``, else 0."""
    return Max(
        Case(When(key__in=keys, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def name_candidates(
    structure_id: int,
    key_sets: list[set[str]],
    limit: int,
    within: QuerySet[Person] | None = None,
    where: Q | None = None,
) -> list[int]:
    """Person ids ranked by how many query tokens they match (one query), then by id.

    ``within`` restricts the persons through a subquery and ``where`` through conditions
    on the joined person (``person__…``); both apply before ``limit``.
    """
    all_keys = set().union(*key_sets)
    if not all_keys:
        return []
    hits = reduce(operator.add, [_matches_one_of(keys) for keys in key_sets])
    rows = PersonSearchKey.objects.filter(structure_id=structure_id, key__in=all_keys)
    if within is not None:
        rows = rows.filter(person__in=within.values("pk"))
    if where is not None:
        rows = rows.filter(where)
    ranked: list[tuple[int, int]] = list(
        rows.values("person_id")
        .annotate(hits=hits)
        .order_by("-hits", "person_id")
        .values_list("person_id", "hits")[:limit]
    )
    if not ranked:
        return []
    best = ranked[0][1]
    # Keep those that match as many query tokens as the best one, or one fewer.
    return [pid for pid, count in ranked if count >= max(1, best - 1)]


_RANKED_FIELDS = ("pk", "birth_name", "used_name", "given_names", "used_given_name")


def search_persons(
    persons: QuerySet[Person], structure_id: int, text: str, limit: int = 20
) -> list[Person]:
    """Persons matching a search box, best first (accent- and typo-tolerant)."""
    parsed = parse_query(text.strip())
    if parsed.empty:
        return []
    if parsed.nir:
        return list(persons.filter(nir__startswith=parsed.nir).order_by("birth_name")[:limit])
    if parsed.phone:
        return list(persons.filter(phone_digits=parsed.phone).order_by("birth_name")[:limit])
    qs = persons
    if parsed.birth_date:
        qs = qs.filter(_date_filter(parsed.birth_date))
    if not parsed.names:
        # Known month and day before unknown ones: exact dates first.
        return list(
            qs.order_by(
                F("birth_month").asc(nulls_last=True),
                F("birth_day").asc(nulls_last=True),
                "birth_name",
                "given_names",
            )[:limit]
        )
    query = " ".join(parsed.names)
    ids = name_candidates(
        structure_id,
        query_keys(query),
        MAX_CANDIDATES,
        within=qs if parsed.birth_date else None,
    )
    if not ids:
        return []
    rows = qs.filter(pk__in=ids).values_list(*_RANKED_FIELDS)
    ranked = sorted(
        rows, key=lambda row: (-match_score(query, _full_name(*row[1:])), row[1], row[0])
    )
    page = [row[0] for row in ranked[:limit]]
    loaded = qs.in_bulk(page)
    return [loaded[pk] for pk in page if pk in loaded]


def record_ids(person: Person) -> list[int]:
    """The person's record and every record merged into it, however deep the chain."""
    ids = [person.pk]
    frontier = [person.pk]
    while frontier:
        frontier = list(
            Person.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def access_log(person: Person) -> QuerySet[AccessEvent]:
    """The person's access log, newest first, with who acted: what the person's page,
    their own space and the ``access_log`` benchmark read. Served by the index on
    (person, at, id), newest first (docs/adr/0011)."""
    return (
        AccessEvent.objects.filter(person_id__in=record_ids(person))
        .select_related("actor_member__user", "actor_member__structure", "actor_user")
        .order_by("-at", "-pk")
    )


@dataclass
class Candidate:
    person: Person
    match: dedup.Match


def traits_of(p: Person) -> dedup.Traits:
    return dedup.Traits(
        birth_name=p.birth_name,
        used_name=p.used_name,
        given_names=p.given_names,
        birth_date=p.birth_date,
        sex=p.sex,
        birth_place=p.birth_place_code,
        nir=p.nir,
        phone=p.phone,
    )


_TRAIT_FIELDS = (
    "pk",
    "birth_name",
    "used_name",
    "given_names",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "birth_place_code",
    "nir",
    "phone",
)


def _traits_of_row(row: tuple[Any, ...]) -> dedup.Traits:
    """``traits_of`` for a ``values_list(*_TRAIT_FIELDS)`` row."""
    _pk, birth_name, used_name, given_names, year, month, day, sex, place, nir, phone = row
    return dedup.Traits(
        birth_name=birth_name,
        used_name=used_name,
        given_names=given_names,
        birth_date=PartialDate(year, month, day) if year is not None else None,
        sex=sex,
        birth_place=place,
        nir=nir,
        phone=phone,
    )


def _one_digit_off(value: int, width: int) -> list[int]:
    """The numbers whose ``width`` digits differ from ``value``'s in exactly one place."""
    digits = f"{value:0{width}d}"
    return [
        int(digits[:i] + other + digits[i + 1 :])
        for i in range(width)
        for other in "0123456789"
        if other != digits[i]
    ]


def possible_dates(birth: PartialDate, prefix: str = "") -> Q:
    """Persons whose date of birth ``date_similarity`` does not find different from
    ``birth``: no year, the same or a compatible date, day and month swapped, or one digit
    off among the parts both dates know. ``prefix`` (``"person__"``) reaches them through
    a relation."""

    def q(**lookups: Any) -> Q:
        return Q(**{prefix + name: value for name, value in lookups.items()})

    year, month, day = birth.year, birth.month, birth.day
    no_month = q(birth_month__isnull=True)
    no_day = q(birth_day__isnull=True)
    if month is None:
        same_year = q(birth_year=year)
        other_year = q(birth_year__in=_one_digit_off(year, 4))
    elif day is None:
        same_year = q(birth_year=year) & (
            no_month | q(birth_month__in=[month, *_one_digit_off(month, 2)])
        )
        other_year = q(birth_year__in=_one_digit_off(year, 4)) & (no_month | q(birth_month=month))
    else:
        same_year = q(birth_year=year) & (
            no_month
            | q(birth_month=month) & (no_day | q(birth_day__in=[day, *_one_digit_off(day, 2)]))
            | q(birth_month__in=_one_digit_off(month, 2)) & (no_day | q(birth_day=day))
            | q(birth_month=day, birth_day=month)
        )
        other_year = q(birth_year__in=_one_digit_off(year, 4)) & (
            no_month | q(birth_month=month) & (no_day | q(birth_day=day))
        )
    return q(birth_year__isnull=True) | same_year | other_year


# The best score of a record whose date of birth is different, without the NIR or the
# phone number, which are looked up on their own.
BEST_WITH_DIFFERENT_DATE = (
    dedup.NAME_POINTS + dedup.SEX_SAME + dedup.BIRTH_PLACE_SAME + dedup.DATE_POINTS["different"][1]
)


def duplicate_candidates(
    persons: QuerySet[Person],
    structure_id: int,
    traits: dedup.Traits,
    exclude_pk: int | None = None,
    threshold: float = dedup.POSSIBLE,
    limit: int = 10,
) -> list[Candidate]:
    """Existing persons who may be the same as ``traits``, most likely first.

    Candidates share a ``t:``, ``d:`` or ``p:`` name key, the NIR or the phone number.
    Records whose date of birth is different are left out of the name lookup when they
    could not reach ``threshold`` anyway.
    """
    name_keys = [
        exact_keys(traits.birth_name, traits.used_name),
        exact_keys(traits.given_names),
    ]
    where = None
    if traits.birth_date is not None and threshold > BEST_WITH_DIFFERENT_DATE:
        where = possible_dates(traits.birth_date, prefix="person__")
    ids = name_candidates(structure_id, [k for k in name_keys if k], MAX_CANDIDATES, where=where)
    extra = Q()
    if traits.nir:
        extra |= Q(nir__startswith=clean_nir(traits.nir)[:13])
    digits = phone_digits_for_search(traits.phone)
    if digits:
        extra |= Q(phone_digits=digits)
    query = Q(pk__in=ids) | extra if extra else Q(pk__in=ids)
    qs = persons.filter(query)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
        dismissed = DuplicateDismissal.objects.filter(
            Q(person_a_id=exclude_pk) | Q(person_b_id=exclude_pk)
        ).values_list("person_a_id", "person_b_id")
        qs = qs.exclude(pk__in={pk for pair in dismissed for pk in pair})
    scored: list[tuple[int, dedup.Match]] = []
    for row in qs.values_list(*_TRAIT_FIELDS)[: MAX_CANDIDATES * 2]:
        match = dedup.score(traits, _traits_of_row(row))
        if match.score >= threshold:
            scored.append((row[0], match))
    scored.sort(key=lambda item: (-item[1].score, item[0]))
    top = scored[:limit]
    loaded = qs.in_bulk([pk for pk, _match in top])
    return [Candidate(loaded[pk], match) for pk, match in top if pk in loaded]


@dataclass
class Pair:
    a: Person
    b: Person
    match: dedup.Match


def likely_duplicate_pairs(persons: QuerySet[Person], limit: int = 200) -> list[Pair]:
    """Pairs of records sharing a phonetic name key (names in any order), scored."""
    keys = (
        persons.exclude(block_key="")
        .values("block_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1, n__lte=50)
        .values_list("block_key", flat=True)
    )
    groups: dict[str, list[Person]] = {}
    for p in persons.filter(block_key__in=list(keys)).order_by("pk"):
        groups.setdefault(p.block_key, []).append(p)
    dismissed = set(
        DuplicateDismissal.objects.filter(
            person_a__in=[p for g in groups.values() for p in g]
        ).values_list("person_a_id", "person_b_id")
    )
    pairs: list[Pair] = []
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a.pk, b.pk) in dismissed:
                    continue
                match = dedup.score(traits_of(b), traits_of(a))
                if match.score >= dedup.LIKELY:
                    pairs.append(Pair(a, b, match))
    pairs.sort(key=lambda pair: -pair.match.score)
    return pairs[:limit]
