"""Applications (démarches) made with a person to open or renew a right: start one, then
on its page follow its steps and documents, record its submission and the decision,
abandon it, or appeal a refusal. Each form of the page posts to its own view, which
comes back to the page with a message, or shows the page again with the form's errors
(status 400)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from maillage.core.access import RecordAccess
from maillage.core.audit import log_reads
from maillage.people.models import Person
from maillage.rights import actions
from maillage.rights.forms import (
    GRANTED,
    AbandonForm,
    AppealForm,
    ApplicationForm,
    DecisionForm,
    DocumentForm,
    ReceivedForm,
    StepForm,
    SubmitForm,
)
from maillage.rights.models import Application, ApplicationStatus
from maillage.rights.queries import applications_of
from maillage.rights.views import SECTION, social_record
from maillage.rights.views.rights import _kind_by_code

# The forms of the application's page, by name in the template, with their prefix.
FORMS: dict[str, tuple[type[Any], str]] = {
    "step_form": (StepForm, "step"),
    "document_form": (DocumentForm, "doc"),
    "received_form": (ReceivedForm, "received"),
    "submit_form": (SubmitForm, "submit"),
    "decision_form": (DecisionForm, "decision"),
    "abandon_form": (AbandonForm, "abandon"),
    "appeal_form": (AppealForm, "appeal"),
}


@login_required
def application_add(request: HttpRequest, person_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk, write=True)
    kind = _kind_by_code(person.structure_id, request.GET.get("droit", ""))
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        structure_id=person.structure_id,
        initial={"kind": kind.pk if kind else None, "accompanied_by": access.member.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = actions.do_open_application(
                access,
                data["kind"],
                opened_on=data["opened_on"],
                organisation=data["organisation"],
                accompanied_by=data["accompanied_by"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:  # the right was put out of use since the page was opened
            form.add_error("kind", _("This right is no longer in use: choose another."))
        else:
            messages.success(
                request,
                _("The application is started; tick the documents as they come in."),
            )
            return redirect(
                "rights:application", person_pk=person.pk, application_pk=application.pk
            )
    return render(
        request,
        "rights/application_form.html",
        {"person": person, "form": form},
        status=400 if form.errors else 200,
    )


def _application_of(person: Person, application_pk: int) -> Application:
    found = (
        applications_of(person)
        .select_related("right", "created_by__user")
        .filter(pk=application_pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _allowed(application: Application, may_write: bool) -> set[str]:
    """The forms the application's state allows."""
    if not may_write:
        return set()
    status = application.status
    if status == ApplicationStatus.REFUSED:
        return {"appeal_form"}
    if status not in {ApplicationStatus.PREPARING, ApplicationStatus.SUBMITTED}:
        return set()
    allowed = {"step_form", "document_form", "received_form", "decision_form", "abandon_form"}
    if status == ApplicationStatus.PREPARING:
        allowed.add("submit_form")
    return allowed


def _page(
    request: HttpRequest,
    person: Person,
    access: RecordAccess,
    application: Application,
    posted: dict[str, Any] | None = None,
) -> HttpResponse:
    """The application's page; ``posted`` holds the form sent back with its errors."""
    posted = posted or {}
    allowed = _allowed(application, access.can_write(SECTION))
    forms: dict[str, Any] = {}
    for name, (form_class, prefix) in FORMS.items():
        if name in allowed:
            forms[name] = posted.get(name) or form_class(prefix=prefix, application=application)
    documents = list(application.documents.select_related("added_by__user"))
    boxes = {}
    if "received_form" in forms:
        boxes = {str(box.data["value"]): box for box in forms["received_form"]["documents"]}
    appeals = list(applications_of(person).filter(appeal_of=application))
    log_reads(
        member=access.member,
        person=person,
        sections=[SECTION],
        obj=application,
        flagged=access.break_glass,
    )
    return render(
        request,
        "rights/application.html",
        {
            "person": person,
            "application": application,
            "steps": list(application.steps.select_related("by__user")),
            "documents": [(d, boxes.get(str(d.pk))) for d in documents],
            "pending": sum(1 for d in documents if d.received_on is None),
            "appeals": appeals,
            "may_appeal": "appeal_form" in forms and (not appeals or "appeal_form" in posted),
            "may_write": access.can_write(SECTION),
            **forms,
        },
        status=400 if posted else 200,
    )


@login_required
@require_safe
def application(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    person, access = social_record(request, person_pk)
    return _page(request, person, access, _application_of(person, application_pk))


def _posted(
    request: HttpRequest, person_pk: int, application_pk: int, name: str
) -> tuple[Person, RecordAccess, Application, Any]:
    """The person, the access, the application and the form ``name`` bound to what was
    posted, for a writer of the social section (404 otherwise). No form (None) when the
    application's state no longer allows it: the page was opened before it changed."""
    person, access = social_record(request, person_pk, write=True)
    found = _application_of(person, application_pk)
    if name not in _allowed(found, True):
        messages.error(
            request,
            _("This is no longer possible: the application has changed. Here it is as it is now."),
        )
        return person, access, found, None
    form_class, prefix = FORMS[name]
    return person, access, found, form_class(request.POST, prefix=prefix, application=found)


def _back(found: Application) -> HttpResponse:
    return redirect("rights:application", person_pk=found.person_id, application_pk=found.pk)


def _refused(
    request: HttpRequest,
    person: Person,
    access: RecordAccess,
    found: Application,
    name: str,
    form: Any,
    exc: ValidationError | None = None,
) -> HttpResponse:
    """The page again, with the form's errors (and what the action refused)."""
    if exc is not None:
        form.add_error(None, exc)
    return _page(request, person, access, found, {name: form})


# What a posted form's action says, and the application to show next.
Done = tuple[str, Application]


def _handle(
    request: HttpRequest,
    person_pk: int,
    application_pk: int,
    name: str,
    act: Callable[[RecordAccess, Application, dict[str, Any]], Done],
) -> HttpResponse:
    """One form of the application page, posted: the page again with its errors (and what
    the action refused), or back to the application ``act`` returns, with its message."""
    person, access, found, form = _posted(request, person_pk, application_pk, name)
    if form is None:
        return _back(found)
    if not form.is_valid():
        return _refused(request, person, access, found, name, form)
    try:
        message, shown = act(access, found, form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, person, access, found, name, form, exc)
    except PermissionDenied:  # the right was put out of use
        form.add_error(None, _("This right is no longer in use in the catalogue."))
        return _refused(request, person, access, found, name, form)
    messages.success(request, message)
    return _back(shown)


@login_required
@require_POST
def step(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    def act(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        actions.do_add_step(access, found, data["on"], data["what"])
        return _("The step is recorded."), found

    return _handle(request, person_pk, application_pk, "step_form", act)


@login_required
@require_POST
def documents(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    """Add a document to the list (``doc-name``), or tick those received."""
    if "doc-name" in request.POST:

        def add(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
            actions.do_add_document(access, found, data["name"])
            return _("The document is added to the list."), found

        return _handle(request, person_pk, application_pk, "document_form", add)

    def tick(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        count = actions.do_receive_documents(
            access, found, [d.pk for d in data["documents"]], data["received_on"]
        )
        return _("Documents marked as received: %(count)s.") % {"count": count}, found

    return _handle(request, person_pk, application_pk, "received_form", tick)


@login_required
@require_POST
def submit(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    def act(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        actions.do_submit_application(access, found, data["submitted_on"])
        return _("The submission is recorded; record the decision when it comes."), found

    return _handle(request, person_pk, application_pk, "submit_form", act)


@login_required
@require_POST
def decide(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    def act(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        decision = actions.Decision(
            granted=data["decision"] == GRANTED,
            decided_on=data["decided_on"],
            outcome=data["outcome"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reference=data["reference"],
        )
        actions.do_decide_application(access, found, decision)
        if decision.granted:
            return _("The right is granted: the person's right is open."), found
        return _("The refusal is recorded. It may be appealed from here."), found

    return _handle(request, person_pk, application_pk, "decision_form", act)


@login_required
@require_POST
def abandon(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    def act(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        actions.do_abandon_application(access, found, data["why"])
        return _("The application is abandoned."), found

    return _handle(request, person_pk, application_pk, "abandon_form", act)


@login_required
@require_POST
def appeal(request: HttpRequest, person_pk: int, application_pk: int) -> HttpResponse:
    """Start an appeal against a refusal: a new application, to the same organisation."""

    def act(access: RecordAccess, found: Application, data: dict[str, Any]) -> Done:
        made = actions.do_open_application(
            access,
            found.kind,
            opened_on=data["opened_on"],
            organisation=found.organisation,
            accompanied_by=access.member,
            appeal_of=found,
        )
        return _("The appeal is started: follow it on this page."), made

    return _handle(request, person_pk, application_pk, "appeal_form", act)
