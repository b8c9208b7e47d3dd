"""Tasks: my tasks, the team's, the overdue ones; a new task (about a person, one of their
referrals or their project when it comes from there); done with a note, reopened,
cancelled."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.coordination.actions import tasks as actions
from maillage.coordination.forms.tasks import CancelForm, DoneForm, TaskForm
from maillage.coordination.models import HealthProject, ProjectStatus, Referral, Task
from maillage.coordination.queries import tasks as queries
from maillage.coordination.queries.referrals import referrals_for
from maillage.core.access import RecordAccess, can, get_record_for_member
from maillage.core.audit import log_list_reads, log_reads
from maillage.core.models import Member
from maillage.core.roles import Section
from maillage.lib import coordination as flow
from maillage.people.views import member_who_may

SECTION = Section.COORDINATION
PAGE_SIZE = 30
VIEW_LABELS = {
    "miennes": gettext_lazy("My tasks"),
    "equipe": gettext_lazy("The team's tasks"),
    "en-retard": gettext_lazy("Overdue"),
}
REFUSALS = {
    "not_allowed": gettext_lazy(
        "This is no longer possible: the task has changed meanwhile. Reload the page."
    ),
    "reason_needed": gettext_lazy("Say why it will not be done."),
    "already_open": gettext_lazy("Another follow-up of this referral is already open."),
}


def _pk(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    return int(raw)


def note_text(task: Task) -> str:
    """The note of a done or cancelled task; the application's own notes translated."""
    if task.done_note in actions.AUTOMATIC_NOTES:
        return _(task.done_note)
    return task.done_note


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_tasks")
    team = can(member, "view_team_tasks", member.structure)
    view = request.GET.get("vue", "miennes")
    if view not in VIEW_LABELS:
        view = "miennes"
    if view == "equipe" and not team:
        raise Http404
    if view == "equipe":
        tasks = queries.team_tasks(member)
    elif view == "en-retard":
        tasks = queries.overdue_tasks(member)
    else:
        tasks = queries.my_tasks(member)
    page = Paginator(queries.listed(tasks), PAGE_SIZE).get_page(request.GET.get("page"))
    log_list_reads(
        member=member,
        persons={t.person for t in page if t.person is not None},
        section=SECTION,
        reason="tasks",
    )
    return render(
        request,
        "coordination/tasks.html",
        {
            "page": page,
            "view": view,
            "view_label": VIEW_LABELS[view],
            "views": [
                (key, label) for key, label in VIEW_LABELS.items() if team or key != "equipe"
            ],
            "team": team,
            "today": timezone.localdate(),
            "query": f"vue={view}",
            "can_add": can(member, "add_task", member.structure),
        },
    )


def _links(
    request: HttpRequest, member: Member
) -> tuple[RecordAccess | None, Referral | None, HealthProject | None]:
    """What ``?personne=``, ``?orientation=`` and ``?projet=`` link the new task to: the
    person (the member writes in their coordination section), one of their referrals, their
    living project. 404 for anything else."""
    raw_person = request.GET.get("personne", "")
    raw_referral = request.GET.get("orientation", "")
    raw_project = request.GET.get("projet", "")
    if not raw_person:
        if raw_referral or raw_project:
            raise Http404
        return None, None, None
    person, access = get_record_for_member(member, _pk(raw_person))
    if not access.can_write(SECTION):
        raise Http404
    referral = project = None
    if raw_referral:
        referral = get_object_or_404(
            referrals_for(access).filter(person_id=person.pk), pk=_pk(raw_referral)
        )
    if raw_project:
        project = get_object_or_404(
            HealthProject,
            pk=_pk(raw_project),
            structure_id=member.structure_id,
            person_id=person.pk,
            status=ProjectStatus.OPEN,
        )
    return access, referral, project


@login_required
def task_add(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "add_task")
    access, referral, project = _links(request, member)
    form = TaskForm(request.POST or None, author=member)
    if request.method == "POST" and form.is_valid():
        try:
            task = actions.do_create_task(
                member, **form.task(), access=access, referral=referral, project=project
            )
        except PermissionDenied:
            form.add_error(None, _("You may not write in this person's coordination part."))
        else:
            messages.success(request, _("The task is created."))
            return redirect("coordination:task", task_pk=task.pk)
    if access is not None and request.method == "GET" and (referral or project):
        # The referral or project shown belongs to the person's coordination section.
        log_reads(member=member, person=access.person, sections={SECTION})
    return render(
        request,
        "coordination/task_form.html",
        {
            "form": form,
            "person": access.person if access is not None else None,
            "referral": referral,
            "project": project,
        },
    )


def _forms(request: HttpRequest, task: Task, step: str) -> dict[str, Any]:
    def data(name: str) -> Any:
        return request.POST if step == name else None

    if task.status != flow.OPEN:
        return {}
    return {
        "done": DoneForm(data("done"), prefix="done"),
        "cancel": CancelForm(data("cancel"), prefix="cancel"),
    }


def _apply(member: Member, task: Task, step: str, data: dict[str, Any]) -> str:
    if step == "done":
        actions.do_finish_task(member, task, note=data["note"])
        return _("The task is done.")
    if step == "cancel":
        actions.do_cancel_task(member, task, note=data["note"])
        return _("The task is cancelled.")
    actions.do_reopen_task(member, task)
    return _("The task is open again.")


@login_required
def task_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    member = member_who_may(request, "view_tasks")
    task = get_object_or_404(
        queries.listed(Task.objects.all()).select_related("created_by__user", "done_by__user"),
        pk=task_pk,
        structure_id=member.structure_id,
    )
    if not queries.may_see_task(member, task):
        raise Http404
    step = request.POST.get("step", "") if request.method == "POST" else ""
    forms = _forms(request, task, step)
    if request.method == "POST":
        reopen = step == "reopen" and task.status == flow.DONE
        form = forms.get(step)
        if form is None and not reopen:
            messages.error(request, REFUSALS["not_allowed"])
            return redirect("coordination:task", task_pk=task.pk)
        if reopen or (form is not None and form.is_valid()):
            try:
                done = _apply(member, task, step, form.cleaned_data if form is not None else {})
            except flow.TransitionError as error:
                refusal = REFUSALS.get(str(error), REFUSALS["not_allowed"])
                if form is None:
                    messages.error(request, refusal)
                    return redirect("coordination:task", task_pk=task.pk)
                form.add_error(None, refusal)
            else:
                messages.success(request, done)
                return redirect("coordination:task", task_pk=task.pk)
    elif task.person is not None:
        log_reads(member=member, person=task.person, sections={SECTION})
    return render(
        request,
        "coordination/task_detail.html",
        {
            "task": task,
            "forms": forms,
            "note": note_text(task),
            "today": timezone.localdate(),
        },
    )


urlpatterns = [
    path("coordination/taches/", task_list, name="tasks"),
    path("coordination/taches/nouvelle/", task_add, name="task_add"),
    path("coordination/taches/<int:task_pk>/", task_detail, name="task"),
]
