"""Reads on persons: search and duplicate candidates. Access is checked by the caller
through ``core.access.persons_for_member``; every function here takes that queryset."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from maillage.lib import dedup
from maillage.lib.names import match_score, query_keys, search_keys
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


def _full_name(p: Person) -> str:
    return " ".join(
        part for part in (p.birth_name, p.used_name, p.given_names, p.used_given_name) if part
    )


def name_candidates(structure_id: int, key_sets: list[set[str]], limit: int) -> list[int]:
    """Person ids ranked by how many query tokens they match (one query)."""
    all_keys = set().union(*key_sets)
    if not all_keys:
        return []
    rows = PersonSearchKey.objects.filter(structure_id=structure_id, key__in=all_keys).values_list(
        "person_id", "key"
    )
    matched: dict[int, set[int]] = {}
    for person_id, key in rows.iterator(chunk_size=5000):
        for index, keys in enumerate(key_sets):
            if key in keys:
                matched.setdefault(person_id, set()).add(index)
    ranked = sorted(matched.items(), key=lambda item: -len(item[1]))
    if not ranked:
        return []
    best = len(ranked[0][1])
    # Keep those that match as many query tokens as the best one, or one fewer.
    return [pid for pid, hits in ranked if len(hits) >= max(1, best - 1)][:limit]


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
        return list(qs.order_by("birth_name", "given_names")[:limit])
    key_sets = query_keys(" ".join(parsed.names))
    ids = name_candidates(structure_id, key_sets, MAX_CANDIDATES * (3 if parsed.birth_date else 1))
    candidates = list(qs.filter(pk__in=ids)) if ids else []
    query = " ".join(parsed.names)
    scored = sorted(
        candidates,
        key=lambda p: (-match_score(query, _full_name(p)), p.birth_name, p.pk),
    )
    return scored[:limit]


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


def duplicate_candidates(
    persons: QuerySet[Person],
    structure_id: int,
    traits: dedup.Traits,
    exclude_pk: int | None = None,
    threshold: float = dedup.POSSIBLE,
    limit: int = 10,
) -> list[Candidate]:
    """Existing persons who may be the same as ``traits``, most likely first."""
    name_keys = [
        search_keys(traits.birth_name, traits.used_name),
        search_keys(traits.given_names),
    ]
    ids = set(name_candidates(structure_id, [k for k in name_keys if k], MAX_CANDIDATES))
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
    found = []
    for person in qs[: MAX_CANDIDATES * 2]:
        match = dedup.score(traits, traits_of(person))
        if match.score >= threshold:
            found.append(Candidate(person, match))
    found.sort(key=lambda c: -c.match.score)
    return found[:limit]


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
