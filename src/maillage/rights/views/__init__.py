"""Views of the social situation and rights: ``overview`` (the person's page),
``situation`` (living conditions, EPICES), ``rights`` (a person's rights, the catalogue)
and ``applications`` (démarches)."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from maillage.core.access import RecordAccess, get_record_for_member
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.people.views import current_member

SECTION = Section.SOCIAL


def social_record(
    request: HttpRequest, person_pk: int, *, write: bool = False
) -> tuple[Person, RecordAccess]:
    """The person and the member's access to their record, when the member reads (or,
    with ``write``, writes) its social section; 404 otherwise (missing and forbidden look
    the same)."""
    person, access = get_record_for_member(current_member(request), person_pk)
    if not (access.can_write(SECTION) if write else access.can_read(SECTION)):
        log_event(
            action=AccessEvent.Action.DENY,
            member=access.member,
            person=person,
            section=SECTION,
            reason="record",
        )
        raise Http404
    return person, access
