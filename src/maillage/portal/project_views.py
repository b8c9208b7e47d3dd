"""The person's own health project, in their space: what is going on in their own words,
what they want, what is planned, the people around them, where they were referred, and
a way to ask the team for a meeting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from maillage.coordination.actions import projects as project_actions
from maillage.coordination.actions.requests import do_receive_request
from maillage.coordination.models import (
    Channel,
    Concerns,
    Goal,
    HealthProject,
    Problematique,
    Referral,
    RequestSource,
)
from maillage.coordination.queries import circle as circle_queries
from maillage.coordination.queries import projects as queries
from maillage.core.audit import log_reads
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.lib import referrals as path
from maillage.people.models import Person
from maillage.people.queries import record_ids
from maillage.portal.forms import AskMeetingForm, MyGoalForm, MyWordsForm
from maillage.portal.views import own_person

SECTION = Section.COORDINATION

# Where a referral stands, said to the person.
REFERRAL_WORDS = {
    path.PROPOSED: gettext_lazy("proposed to you"),
    path.AGREED: gettext_lazy("you agreed"),
    path.SENT: gettext_lazy("your file was sent to them"),
    path.RECEIVED: gettext_lazy("they received it"),
    path.APPOINTMENT: gettext_lazy("an appointment is set"),
    path.DONE: gettext_lazy("done"),
    path.NOT_DONE: gettext_lazy("it did not happen"),
}


def _words_form(problematique_id: int, data: Any = None, words: str = "") -> MyWordsForm:
    return MyWordsForm(data, prefix=f"words-{problematique_id}", initial={"words": words})


def _goal_form(goal: dict[str, Any], data: Any = None) -> MyGoalForm:
    return MyGoalForm(
        data,
        prefix=f"goal-{goal['id']}",
        initial={"agreement": goal.get("agreement", ""), "view": goal.get("person_view", "")},
    )


def _page(
    request: HttpRequest,
    person: Person,
    *,
    bound: MyWordsForm | MyGoalForm | None = None,
    bound_pk: int | None = None,
    meeting_form: AskMeetingForm | None = None,
) -> HttpResponse:
    project = queries.living_project_of_person(person)
    state = queries.readable_state(queries.project_state(project)) if project else None
    problematiques: list[tuple[dict[str, Any], MyWordsForm]] = []
    goals: list[tuple[dict[str, Any], MyGoalForm | None]] = []
    if state is not None:
        for p in state["problematiques"]:
            form = bound if isinstance(bound, MyWordsForm) and bound_pk == p["id"] else None
            problematiques.append((p, form or _words_form(p["id"], words=p["person_words"])))
        for g in state["goals"] + state["other_goals"]:
            form_g = bound if isinstance(bound, MyGoalForm) and bound_pk == g["id"] else None
            can_say = g.get("status") != flow.CHANGED
            goals.append((g, (form_g or _goal_form(g)) if can_say else None))
    referrals = list(
        Referral.objects.filter(person_id__in=record_ids(person))
        .select_related("to_member__user", "to_service__organisation", "to_professional")
        .order_by("-created_at", "-pk")
    )
    log_reads(user=request.user, person=person, sections={SECTION})
    return render(
        request,
        "portal/project.html",
        {
            "person": person,
            "project": project,
            "state": state,
            "problematiques": problematiques,
            "goals": goals,
            "reviews": list(queries.reviews_of(project)) if project else [],
            "circle": circle_queries.circle_of_person(person),
            "referrals": [(r, REFERRAL_WORDS.get(r.status, r.status)) for r in referrals],
            "meeting_form": meeting_form or AskMeetingForm(prefix="meeting"),
        },
    )


@login_required
@require_safe
def my_project(request: HttpRequest) -> HttpResponse:
    return _page(request, own_person(request))


def _living(person: Person) -> HealthProject:
    project = queries.living_project_of_person(person)
    if project is None:
        raise Http404
    return project


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('portal:project')}#{anchor}")


@login_required
@require_POST
def my_words(request: HttpRequest, problematique_pk: int) -> HttpResponse:
    person = own_person(request)
    item = get_object_or_404(
        Problematique, pk=problematique_pk, project=_living(person), ended_at__isnull=True
    )
    form = _words_form(item.pk, request.POST)
    if not form.is_valid():
        return _page(request, person, bound=form, bound_pk=item.pk)
    project_actions.do_person_words(
        person,
        request.user,  # type: ignore[arg-type]
        item,
        form.cleaned_data["words"],
    )
    messages.success(request, _("Your words are saved. The team will read them."))
    return _back(f"problematique-{item.pk}")


@login_required
@require_POST
def my_goal(request: HttpRequest, goal_pk: int) -> HttpResponse:
    person = own_person(request)
    goal = get_object_or_404(Goal, pk=goal_pk, project=_living(person))
    if goal.status == flow.CHANGED:
        raise Http404
    form = MyGoalForm(request.POST, prefix=f"goal-{goal.pk}")
    if not form.is_valid():
        return _page(request, person, bound=form, bound_pk=goal.pk)
    project_actions.do_person_goal_view(
        person,
        request.user,  # type: ignore[arg-type]
        goal,
        form.cleaned_data["agreement"],
        form.cleaned_data["view"],
    )
    messages.success(request, _("What you think of this goal is saved. The team will read it."))
    return _back(f"goal-{goal.pk}")


@login_required
@require_POST
def ask_meeting(request: HttpRequest) -> HttpResponse:
    person = own_person(request)
    form = AskMeetingForm(request.POST, prefix="meeting")
    if not form.is_valid():
        return _page(request, person, meeting_form=form)
    do_receive_request(
        None,
        concerns=Concerns.REGISTERED,
        source=RequestSource.PERSON,
        channel=Channel.PORTAL,
        person=person,
        structure_id=person.structure_id,
        first_words=form.cleaned_data["text"],
    )
    messages.success(request, _("Your request is sent. Someone of the team will contact you soon."))
    return _back("meeting")
