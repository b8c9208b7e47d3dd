"""The access policy (``core.access``) as querysets of rows of persons' records, for the
resource types: what a member reads across the persons they follow, and what a person
reads of their own record.

A member reads the rows of a section when ``section_readable`` says so (care team, role
defaults, the person's refusals and grants). Emergency access (break-glass) is opened on
the web page of one record and is not extended to the FHIR interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from maillage.core.access import section_readable
from maillage.fhir.caller import Caller
from maillage.people.queries import record_ids


def own_record(caller: Caller, via: str = "person") -> Q:
    """The caller's own record (a person reading their data), merged records included."""
    assert caller.person is not None
    return Q(**{f"{via}_id__in": record_ids(caller.person)})


def section_rows(
    caller: Caller, rows: QuerySet[Any], sections: str | Iterable[str], via: str = "person"
) -> QuerySet[Any]:
    """The rows (pointing to a person through ``via``) the caller may read: for a member,
    rows of their structure's persons in a section they read; for a person, their own."""
    if caller.person is not None:
        return rows.filter(own_record(caller, via))
    member = caller.member
    if member is None:
        return rows.none()
    if isinstance(sections, str):
        condition = section_readable(member, sections, via=via)
        return rows.filter(**{f"{via}__structure_id": member.structure_id}).filter(condition)
    readable = Q(pk__in=[])
    for section in sections:
        readable |= Q(section=section) & section_readable(member, section, via=via)
    return rows.filter(**{f"{via}__structure_id": member.structure_id}).filter(readable)
