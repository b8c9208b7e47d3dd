"""The person's own space: what the structure knows about them and who looked at it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.core.access import person_can_see_self
from maillage.core.audit import log_event, log_reads
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.people.queries import access_log
from maillage.record import queries as record_queries
from maillage.record.files import document_file_response
from maillage.record.models import CareTeamMember


def own_person(request: HttpRequest) -> Person:
    person = Person.objects.select_related("structure").filter(user_id=request.user.pk or 0).first()
    if person is None or not person_can_see_self(request.user, person):
        raise Http404
    return person


@login_required
def home(request: HttpRequest) -> HttpResponse:
    person = own_person(request)
    log_event(
        action=AccessEvent.Action.READ,
        user=request.user,
        person=person,
        section=Section.ADMINISTRATIVE,
        obj=person,
    )
    relations = person.relations.filter(ended_at__isnull=True)
    page = Paginator(access_log(person), 30).get_page(request.GET.get("page"))
    return render(
        request, "portal/home.html", {"person": person, "relations": relations, "page": page}
    )


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """Everything written about the person, except what concerns a third party."""
    person = own_person(request)
    visible = record_queries.entries_for_person(person)
    page = Paginator(record_queries.timeline(visible), 20).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    problems = list(record_queries.problems(visible))
    documents = list(record_queries.documents(visible))
    sections = {e.section for e in entries} | {e.section for e in problems + documents}
    for entry in entries:
        sections.update(child.section for child in entry.children.all())
    if sections:
        log_reads(user=request.user, person=person, sections=sections)
    team = (
        CareTeamMember.objects.current()
        .filter(person=person)
        .select_related("member__user")
        .order_by("-is_referent", "added_at")
    )
    return render(
        request,
        "portal/record.html",
        {
            "person": person,
            "page": page,
            "entries": entries,
            "problems": problems,
            "treatments": list(record_queries.treatments(visible).filter(status="active")),
            "documents": documents,
            "team": team,
        },
    )


@login_required
def document_download(request: HttpRequest, entry_pk: int) -> FileResponse:
    person = own_person(request)
    entry = (
        record_queries.documents(record_queries.entries_for_person(person))
        .filter(pk=entry_pk)
        .first()
    )
    if entry is None:
        raise Http404
    response = document_file_response(entry)
    log_event(
        action=AccessEvent.Action.READ,
        user=request.user,
        person=person,
        section=entry.section,
        obj=entry,
    )
    return response
