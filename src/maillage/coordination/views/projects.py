"""The person's health project (projet de santé), co-written with them: problématiques
(their own words first), needs, goals, actions, review points and the versions they keep.
It belongs to the coordination section of the record: reading it needs that section,
writing needs the right to write in it; anything else is not found."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from maillage.coordination.actions import projects as actions
from maillage.coordination.forms.projects import (
    ActionForm,
    ActionStatusForm,
    CloseProjectForm,
    GoalForm,
    GoalStatusForm,
    NeedForm,
    OpenProjectForm,
    ProblematiqueForm,
    ReviewForm,
)
from maillage.coordination.models import (
    Goal,
    HealthProject,
    Need,
    Problematique,
    ProjectAction,
    ProjectStatus,
    ReviewPoint,
)
from maillage.coordination.queries import projects as queries
from maillage.core.access import RecordAccess, get_record_for_member
from maillage.core.audit import log_reads
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.models import Person
from maillage.people.views import current_member

SECTION = Section.COORDINATION


def _record(request: HttpRequest, pk: int, write: bool = False) -> tuple[Person, RecordAccess]:
    person, access = get_record_for_member(current_member(request), pk)
    if person.merged_into_id or not access.can_read(SECTION):
        raise Http404
    if write and not access.can_write(SECTION):
        raise Http404
    return person, access


def _data(request: HttpRequest) -> Any:
    """The posted data, even when empty (a form whose fields are all optional)."""
    return request.POST if request.method == "POST" else None


def _living(access: RecordAccess) -> HealthProject:
    project = queries.living_project_for(access)
    if project is None:
        raise Http404
    return project


def _log_read(access: RecordAccess, obj: Any = None) -> None:
    log_reads(
        member=access.member,
        person=access.person,
        sections={SECTION},
        obj=obj,
        flagged=access.break_glass,
    )


def _to_project(person: Person, anchor: str = "") -> HttpResponse:
    url = reverse("coordination:project", args=[person.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_page(
    request: HttpRequest, access: RecordAccess, obj: Any = None, **context: Any
) -> HttpResponse:
    """A small form page of the project; what it shows of the project is a read."""
    _log_read(access, obj)
    return render(request, "coordination/project_form.html", {"person": access.person, **context})


# --- The project page -----------------------------------------------------------------------


@login_required
@require_safe
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    project = queries.living_project_for(access)
    past = list(
        queries.projects_for(access)
        .filter(status=ProjectStatus.CLOSED)
        .select_related("closed_by__user")
    )
    _log_read(access, project)
    can_write = access.can_write(SECTION)
    return render(
        request,
        "coordination/project.html",
        {
            "person": person,
            "project": project,
            "state": queries.readable_state(queries.project_state(project)) if project else None,
            "reviews": list(queries.reviews_of(project)) if project else [],
            "past": past,
            "can_write": can_write,
            "editable": can_write and project is not None,
        },
    )


@login_required
def project_open(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    if queries.living_project_for(access) is not None:
        return _to_project(person)
    form = OpenProjectForm(_data(request))
    if request.method == "POST" and form.is_valid():
        actions.do_open_project(access, next_review_on=form.cleaned_data["next_review_on"])
        messages.success(request, _("The health project is open: write it with the person."))
        return _to_project(person)
    return _form_page(
        request,
        access,
        form=form,
        title=_("Open a health project"),
        intro=_(
            "The project belongs to the person: it is written with them, in their words, "
            "and they read it from their own space."
        ),
        submit=_("Open the project"),
    )


@login_required
def project_close(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    form = CloseProjectForm(_data(request))
    if request.method == "POST" and form.is_valid():
        actions.do_close_project(access, project, reason=form.cleaned_data["reason"])
        messages.success(request, _("The health project is closed. A new one can be opened later."))
        return _to_project(person)
    return _form_page(
        request, access, form=form, title=_("Close the health project"), submit=_("Close")
    )


@login_required
@require_safe
def project_past(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    project = get_object_or_404(
        queries.projects_for(access).select_related("closed_by__user", "opened_by__user"),
        pk=project_pk,
    )
    if project.status == ProjectStatus.OPEN and project.person_id == person.pk:
        return _to_project(person)
    _log_read(access, project)
    return render(
        request,
        "coordination/project_past.html",
        {
            "person": person,
            "project": project,
            "state": queries.readable_state(queries.project_state(project)),
            "reviews": list(queries.reviews_of(project)),
        },
    )


# --- Problématiques ---------------------------------------------------------------------------


@login_required
def problematique_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    form = ProblematiqueForm(_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_add_problematique(
            access,
            project,
            title=data["title"],
            understanding=data["understanding"],
            person_words=data["person_words"],
        )
        messages.success(request, _("The problématique is written down."))
        return _to_project(person, "problematiques")
    return _form_page(
        request,
        access,
        form=form,
        title=_("A problématique"),
        intro=_(
            "The situation as understood together: first what the person says, in their "
            "own words; then how the team understands it."
        ),
        submit=_("Save"),
    )


@login_required
def problematique_edit(request: HttpRequest, pk: int, problematique_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    item = get_object_or_404(Problematique, pk=problematique_pk, project=project)
    initial = {
        "title": item.title,
        "understanding": item.understanding,
        "person_words": item.person_words,
        "ended": item.ended_at is not None,
    }
    form = ProblematiqueForm(_data(request), initial=initial, problematique=item)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_edit_problematique(
            access,
            item,
            title=data["title"],
            understanding=data["understanding"],
            person_words=data.get("person_words", item.person_words),
            ended=data["ended"],
        )
        messages.success(request, _("The problématique is updated."))
        return _to_project(person, "problematiques")
    return _form_page(
        request,
        access,
        form=form,
        obj=item,
        title=_("A problématique"),
        own_words=item if form.by_self else None,
        submit=_("Save"),
    )


# --- Needs ----------------------------------------------------------------------------------


@login_required
def need_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    form = NeedForm(_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_add_need(access, project, domain=data["domain"], description=data["description"])
        messages.success(request, _("The need is written down."))
        return _to_project(person, "needs")
    return _form_page(request, access, form=form, title=_("A need"), submit=_("Save"))


@login_required
def need_edit(request: HttpRequest, pk: int, need_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    need = get_object_or_404(Need, pk=need_pk, project=project)
    initial = {"domain": need.domain, "description": need.description, "met": bool(need.met_at)}
    form = NeedForm(_data(request), initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_edit_need(
            access, need, domain=data["domain"], description=data["description"], met=data["met"]
        )
        messages.success(request, _("The need is updated."))
        return _to_project(person, "needs")
    return _form_page(request, access, need, form=form, title=_("A need"), submit=_("Save"))


# --- Goals ----------------------------------------------------------------------------------


def _goal_data(form: GoalForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "words": data["words"],
        "problematique": data["problematique"],
        "proposed_by": data["proposed_by"],
        "proposed_by_name": data["proposed_by_name"],
        "agreement": data["agreement"],
        "person_view": data["person_view"],
        "review_on": data["review_on"],
    }


@login_required
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    initial: dict[str, Any] = {}
    about = request.GET.get("problematique", "")
    if about.isdigit() and len(about) < 12:
        initial["problematique"] = int(about)
    form = GoalForm(_data(request), initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        actions.do_add_goal(access, project, **_goal_data(form))
        messages.success(request, _("The goal is written down."))
        return _to_project(person, "goals")
    return _form_page(
        request,
        access,
        form=form,
        title=_("A goal"),
        intro=_("Write the goal as the person says it, and ask them whether they agree."),
        submit=_("Save"),
    )


def _goal_page(
    request: HttpRequest,
    access: RecordAccess,
    project: HealthProject,
    goal: Goal,
    *,
    form: GoalForm | None = None,
    status_form: GoalStatusForm | None = None,
) -> HttpResponse:
    in_progress = goal.status == flow.IN_PROGRESS
    if form is None and in_progress:
        form = GoalForm(
            initial={
                "words": goal.words,
                "problematique": goal.problematique_id,
                "proposed_by": goal.proposed_by,
                "proposed_by_name": goal.proposed_by_name,
                "agreement": goal.agreement,
                "person_view": goal.person_view,
                "review_on": goal.review_on,
            },
            project=project,
            problematique_id=goal.problematique_id,
        )
    if status_form is None and flow.GOAL_NEXT.get(goal.status):
        status_form = GoalStatusForm(current=goal.status, prefix="status")
    return _form_page(
        request,
        access,
        obj=goal,
        form=form if in_progress else None,
        title=_("A goal"),
        goal=goal,
        submit=_("Save"),
        status_form=status_form,
        status_title=_("Where the goal stands"),
        status_action=reverse("coordination:goal_status", args=[access.person.pk, goal.pk]),
        status_submit=_("Save where it stands"),
    )


@login_required
def goal_edit(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    goal = get_object_or_404(Goal, pk=goal_pk, project=project)
    if request.method == "POST":
        if goal.status != flow.IN_PROGRESS:
            return redirect("coordination:goal", pk=person.pk, goal_pk=goal.pk)
        form = GoalForm(request.POST, project=project, problematique_id=goal.problematique_id)
        if form.is_valid():
            actions.do_edit_goal(access, goal, **_goal_data(form))
            messages.success(request, _("The goal is updated."))
            return _to_project(person, "goals")
        return _goal_page(request, access, project, goal, form=form)
    return _goal_page(request, access, project, goal)


@login_required
@require_POST
def goal_status(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    goal = get_object_or_404(Goal, pk=goal_pk, project=project)
    form = GoalStatusForm(request.POST, current=goal.status, prefix="status")
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_goal_status(
                access, goal, data["status"], note=data["note"], new_words=data["new_words"]
            )
        except flow.TransitionError:
            form.add_error(None, _("This goal has changed meanwhile: look again."))
        else:
            messages.success(request, _("The goal is updated."))
            return _to_project(person, "goals")
    return _goal_page(request, access, project, goal, status_form=form)


# --- Actions --------------------------------------------------------------------------------


def _action_data(form: ActionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "description": data["description"],
        "owner_kind": data["owner_kind"],
        "owner_member": data["owner_member"],
        "owner_name": data["owner_name"],
        "due_on": data["due_on"],
        "goal": data["goal"],
    }


@login_required
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    initial: dict[str, Any] = {}
    goal = request.GET.get("objectif", "")
    if goal.isdigit() and len(goal) < 12:
        initial["goal"] = int(goal)
    form = ActionForm(_data(request), initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        actions.do_add_action(access, project, **_action_data(form))
        messages.success(request, _("The action is written down."))
        return _to_project(person, "goals")
    return _form_page(request, access, form=form, title=_("An action"), submit=_("Save"))


def _action_page(
    request: HttpRequest,
    access: RecordAccess,
    project: HealthProject,
    action: ProjectAction,
    *,
    form: ActionForm | None = None,
    status_form: ActionStatusForm | None = None,
) -> HttpResponse:
    if form is None:
        form = ActionForm(
            initial={
                "description": action.description,
                "goal": action.goal_id,
                "owner_kind": action.owner_kind,
                "owner_member": action.owner_member_id,
                "owner_name": action.owner_name,
                "due_on": action.due_on,
            },
            project=project,
            goal_id=action.goal_id,
        )
    if status_form is None and flow.TASK_NEXT.get(action.status):
        status_form = ActionStatusForm(current=action.status, prefix="status")
    return _form_page(
        request,
        access,
        obj=action,
        form=form,
        title=_("An action"),
        action=action,
        submit=_("Save"),
        status_form=status_form,
        status_title=_("Where the action stands"),
        status_action=reverse("coordination:action_status", args=[access.person.pk, action.pk]),
        status_submit=_("Save where it stands"),
    )


@login_required
def action_edit(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    action = get_object_or_404(ProjectAction, pk=action_pk, project=project)
    if request.method == "POST":
        form = ActionForm(request.POST, project=project, goal_id=action.goal_id)
        if form.is_valid():
            actions.do_edit_action(access, action, **_action_data(form))
            messages.success(request, _("The action is updated."))
            return _to_project(person, "goals")
        return _action_page(request, access, project, action, form=form)
    return _action_page(request, access, project, action)


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    action = get_object_or_404(ProjectAction, pk=action_pk, project=project)
    form = ActionStatusForm(request.POST, current=action.status, prefix="status")
    if form.is_valid():
        try:
            actions.do_action_status(
                access, action, form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except flow.TransitionError:
            form.add_error(None, _("This action has changed meanwhile: look again."))
        else:
            messages.success(request, _("The action is updated."))
            return _to_project(person, "goals")
    return _action_page(request, access, project, action, status_form=form)


# --- Review points and the versions they keep -------------------------------------------------


@login_required
def review_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk, write=True)
    project = _living(access)
    today = timezone.localdate()
    # The date planned so far is offered again, when it is still to come.
    planned = project.next_review_on
    if planned is not None and planned <= today:
        planned = None
    form = ReviewForm(_data(request), initial={"held_on": today, "next_review_on": planned})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        review = actions.do_add_review(
            access,
            project,
            held_on=data["held_on"],
            summary=data["summary"],
            who_was_there=data["who_was_there"],
            person_present=data["person_present"],
            what_changed=data["what_changed"],
            next_review_on=data["next_review_on"],
        )
        messages.success(request, _("The review point is saved, with the project as it is today."))
        return redirect("coordination:review", pk=person.pk, review_pk=review.pk)
    return _form_page(
        request,
        access,
        form=form,
        title=_("A review point"),
        intro=_(
            "Saving a review point keeps the whole project as it is now, so that this "
            "version can be read later."
        ),
        submit=_("Save the review point"),
    )


@login_required
@require_safe
def review_detail(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    review = get_object_or_404(
        ReviewPoint.objects.select_related("written_by__user", "project"),
        pk=review_pk,
        project__in=queries.projects_for(access),
    )
    _log_read(access, review)
    snapshot = review.snapshot if isinstance(review.snapshot, dict) else {}
    return render(
        request,
        "coordination/project_review.html",
        {
            "person": person,
            "review": review,
            "state": queries.readable_state(snapshot),
            "is_living": review.project.status == ProjectStatus.OPEN,
        },
    )


P = "personnes/<int:pk>/projet/"
_views: list[tuple[str, Any, str]] = [
    ("", project_page, "project"),
    ("ouvrir/", project_open, "project_open"),
    ("clore/", project_close, "project_close"),
    ("anciens/<int:project_pk>/", project_past, "project_past"),
    ("problematiques/nouvelle/", problematique_add, "problematique_add"),
    ("problematiques/<int:problematique_pk>/", problematique_edit, "problematique"),
    ("besoins/nouveau/", need_add, "need_add"),
    ("besoins/<int:need_pk>/", need_edit, "need"),
    ("objectifs/nouveau/", goal_add, "goal_add"),
    ("objectifs/<int:goal_pk>/", goal_edit, "goal"),
    ("objectifs/<int:goal_pk>/statut/", goal_status, "goal_status"),
    ("actions/nouvelle/", action_add, "action_add"),
    ("actions/<int:action_pk>/", action_edit, "action"),
    ("actions/<int:action_pk>/statut/", action_status, "action_status"),
    ("etapes/nouvelle/", review_add, "review_add"),
    ("etapes/<int:review_pk>/", review_detail, "review"),
]
urlpatterns: list[URLPattern] = [path(P + route, view, name=name) for route, view, name in _views]
