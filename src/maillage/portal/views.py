"""The person's own space: what the structure knows about them and who looked at it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.core.access import person_can_see_self
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.people.models import Person
from maillage.people.queries import record_ids


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
    events = (
        AccessEvent.objects.filter(person_id__in=record_ids(person))
        .select_related("actor_member__user", "actor_member__structure", "actor_user")
        .order_by("-at", "-pk")
    )
    page = Paginator(events, 30).get_page(request.GET.get("page"))
    return render(
        request, "portal/home.html", {"person": person, "relations": relations, "page": page}
    )
