"""The journal: a person's timeline, encounters, notes, measures, problems, treatments,
corrections and their versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from maillage.agenda.actions import do_link_entry
from maillage.agenda.models import Appointment
from maillage.agenda.queries import encounter_initial
from maillage.core.access import RecordAccess, get_record_for_member, has_record_access
from maillage.core.audit import log_event, log_reads
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.core.widgets import QuickSelect
from maillage.people.models import Person
from maillage.people.views import current_member
from maillage.record import actions, queries
from maillage.record.choices import EncounterKind, EntryKind
from maillage.record.forms import (
    CorrectionForm,
    DateInput,
    EncounterForm,
    NoteForm,
    ObservationsForm,
    ProblemForm,
    TreatmentForm,
)
from maillage.record.models import Entry
from maillage.record.rendering import render_entries

PAGE_SIZE = 20


class TimelineFilterForm(forms.Form):
    section = forms.ChoiceField(
        label=gettext_lazy("Part of the record"), required=False, widget=QuickSelect
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type"), required=False, widget=QuickSelect)
    author = forms.TypedChoiceField(
        label=gettext_lazy("Professional"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, access: RecordAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", gettext_lazy("All"))]
        self.fields["section"].choices = everything + [  # type: ignore[attr-defined]
            (v, label) for v, label in Section.choices if access.can_read(v)
        ]
        self.fields["kind"].choices = (  # type: ignore[attr-defined]
            everything
            + [(v, label) for v, label in EntryKind.choices if v != EntryKind.ENCOUNTER]
            + [(v, label) for v, label in EncounterKind.choices]
        )
        team = (
            Member.objects.filter(structure_id=access.member.structure_id)
            .order_by("user__last_name", "user__first_name")
            .values_list("pk", "user__first_name", "user__last_name", "user__username")
        )
        self.fields["author"].choices = everything + [  # type: ignore[attr-defined]
            (pk, f"{first} {last}".strip() or username) for pk, first, last, username in team
        ]

    def filters(self) -> queries.TimelineFilters:
        if not self.is_valid():
            return queries.TimelineFilters()
        d = self.cleaned_data
        return queries.TimelineFilters(
            section=d.get("section") or "",
            kind=d.get("kind") or "",
            author_id=d.get("author"),
            start=d.get("start"),
            end=d.get("end"),
        )


FILTERS_TTL = 60  # seconds the unfiltered filter fields are kept (a new member shows after)


def _timeline_filters(
    request: HttpRequest, access: RecordAccess
) -> tuple[TimelineFilterForm | None, str]:
    """The timeline's filter form when the page is filtered, and the HTML of its fields.
    Unfiltered (the common case), the fields are the same for everyone of a structure who
    reads the same parts: their HTML is kept a minute instead of being built each time."""
    if any(name in request.GET for name in TimelineFilterForm.base_fields):
        form = TimelineFilterForm(request.GET, access=access)
        return form, _FILTER_FIELDS.render({"form": form})
    readable = ",".join(v for v in Section.values if access.can_read(v))
    key = f"timeline-filters:{get_language()}:{access.member.structure_id}:{readable}"
    html = cache.get(key)
    if html is None:  # fields need no request: no context processor runs for them
        html = _FILTER_FIELDS.render({"form": TimelineFilterForm(access=access)})
        cache.set(key, html, FILTERS_TTL)
    return None, mark_safe(html)  # noqa: S308 - our own rendered template


_FILTER_FIELDS = engines["django"].from_string(
    '{% for field in form %}{% include "field.html" %}{% endfor %}'
)


def _record(request: HttpRequest, pk: int) -> tuple[Person, RecordAccess]:
    member = current_member(request)
    person, access = get_record_for_member(member, pk)
    if person.merged_into_id:
        raise Http404
    return person, access


def _require_any_write(access: RecordAccess) -> None:
    if not access.writable:
        raise Http404


@login_required
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    member = access.member
    if not has_record_access(access):
        log_event(action=AccessEvent.Action.DENY, member=member, person=person, reason="record")
        return render(
            request, "record/no_access.html", {"person": person, "access": access}, status=403
        )
    visible = queries.entries_for_member(access)
    form, filter_fields = _timeline_filters(request, access)
    filters = form.filters() if form is not None else queries.TimelineFilters()
    filtered = form is not None and form.has_changed()
    rows = queries.timeline_rows(visible, filters, access).values_list(
        "pk", "version", "section", "created_at"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_write = bool(access.writable)
    entries, sections = render_entries(
        visible,
        list(page.object_list),
        {"person": person, "link": True, "can_write": can_write},
    )
    first_page = page.number == 1 and not filtered
    summary: dict[str, Any] = {}
    # The summary is clinical: shown only to those who read that part (an empty list
    # would otherwise read as "nothing recorded").
    if first_page and access.can_read(Section.CLINICAL):
        problems, treatments = queries.current_problems_and_treatments(visible)
        summary = {
            "problems": problems,
            "treatments": treatments,
            "observations": queries.latest_observations(visible),
        }
    sections |= {e.section for group in summary.values() for e in group}
    if sections:
        log_reads(
            member=member,
            person=person,
            sections=sections,
            flagged=access.break_glass,
            reason=_("emergency access") if access.break_glass else "",
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "record/timeline.html",
        {
            "person": person,
            "access": access,
            "page": page,
            "entries": entries,
            "form": form,
            "filter_fields": filter_fields,
            "filtered": filtered,
            "summary": summary,
            "query": query.urlencode(),
            "can_write": can_write,
            "can_write_clinical": access.can_write(Section.CLINICAL),
            "can_read_coordination": access.can_read(Section.COORDINATION),
        },
    )


def _save_or_render(
    request: HttpRequest,
    person: Person,
    form: forms.Form,
    template: str,
    title: str,
    save: Any,
    **extra: Any,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        save(form.cleaned_data)
        messages.success(request, _("Saved in the record."))
        return redirect("record:timeline", pk=person.pk)
    return render(request, template, {"person": person, "form": form, "title": title, **extra})


@login_required
def encounter_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    _require_any_write(access)
    initial: dict[str, object] | None = (
        {"kind": request.GET.get("type", "")} if request.GET.get("type") else None
    )
    appointment = _appointment(access, request.GET.get("rdv", ""))
    if appointment is not None:
        initial = encounter_initial(access.member, appointment)
    form = EncounterForm(request.POST or None, access=access, initial=initial)
    if request.method == "POST" and form.is_valid():
        # One transaction: a crash never leaves the encounter written and its appointment
        # without it (written again, it would be there twice).
        with transaction.atomic():
            entry = actions.do_record_encounter(access, form.encounter_input())
            if appointment is not None:
                do_link_entry(appointment, entry.pk)
        messages.success(request, _("The encounter is recorded."))
        return redirect("record:timeline", pk=person.pk)
    return render(
        request,
        "record/encounter_form.html",
        {"person": person, "form": form, "icpc2_loaded": queries.icpc2_loaded()},
    )


def _appointment(access: RecordAccess, raw: str) -> Appointment | None:
    """The appointment an encounter is written from (``?rdv=``): of this person, in the
    member's structure."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    found = (
        Appointment.objects.filter(
            pk=int(raw), person=access.person, structure_id=access.member.structure_id
        )
        .select_related("interpreter_service")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _parent(access: RecordAccess, request: HttpRequest) -> Entry | None:
    raw = request.GET.get("rencontre") or request.POST.get("rencontre") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    parent = (
        queries.entries_for_member(access)
        .filter(pk=int(raw), kind=EntryKind.ENCOUNTER)
        .select_related("encounter")
        .first()
    )
    if parent is None:
        raise Http404
    return parent


@login_required
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    _require_any_write(access)
    parent = _parent(access, request)
    form = NoteForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        actions.do_add_note(
            access,
            section=form.cleaned_data["section"],
            text=form.cleaned_data["text"],
            parent=parent,
            concerns_third_party=form.cleaned_data["concerns_third_party"],
        )
        messages.success(request, _("The note is added to the record."))
        return redirect("record:timeline", pk=person.pk)
    return render(
        request, "record/note_form.html", {"person": person, "form": form, "parent": parent}
    )


@login_required
def observations_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    if not access.can_write(Section.CLINICAL):
        raise Http404
    form = ObservationsForm(request.POST or None)

    def save(data: dict[str, Any]) -> None:
        actions.do_add_observations(access, data["observations"], occurred_at=data["occurred_at"])

    return _save_or_render(
        request, person, form, "record/simple_form.html", _("Record measures"), save
    )


@login_required
def problem_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    if not (access.can_write(Section.CLINICAL) or access.can_write(Section.MENTAL_HEALTH)):
        raise Http404
    form = ProblemForm(request.POST or None, access=access)

    def save(data: dict[str, Any]) -> None:
        actions.do_add_problem(access, **ProblemForm.problem(data))

    return _save_or_render(
        request,
        person,
        form,
        "record/problem_form.html",
        _("Add a problem"),
        save,
        icpc2_loaded=queries.icpc2_loaded(),
    )


@login_required
def treatment_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    if not access.can_write(Section.CLINICAL):
        raise Http404
    form = TreatmentForm(request.POST or None)

    def save(data: dict[str, Any]) -> None:
        actions.do_add_treatment(access, text=data["text"], onset=data.get("onset"))

    return _save_or_render(
        request, person, form, "record/simple_form.html", _("Add a current treatment"), save
    )


def _entry(access: RecordAccess, entry_pk: int) -> Entry:
    entry = (
        queries.entries_for_member(access)
        .select_related(*queries.ENTRY_RELATED)
        .filter(pk=entry_pk)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def version_fields(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """A version's saved values with the names people read."""
    from maillage.record.models import Encounter, Observation

    models = {"": Entry, "encounter": Encounter, "observation": Observation}
    shown = []
    for key, value in data.items():
        if value in ("", None, []):
            continue
        prefix, _dot, name = key.rpartition(".")
        try:
            label = str(getattr(models[prefix]._meta.get_field(name), "verbose_name", key))
        except (KeyError, LookupError):  # an old key: show it as it was saved
            label = key
        shown.append((label[:1].upper() + label[1:], value))
    return shown


@login_required
def entry_detail(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """One entry with its earlier versions."""
    person, access = _record(request, pk)
    entry = _entry(access, entry_pk)
    versions = [
        (version, version_fields(version.data))
        for version in entry.versions.select_related("written_by__user", "replaced_by__user")
    ]
    log_reads(
        member=access.member,
        person=person,
        sections=[entry.section],
        obj=entry,
        flagged=access.break_glass,
    )
    return render(
        request,
        "record/entry_detail.html",
        {
            "person": person,
            "entry": entry,
            "versions": versions,
            "can_correct": access.can_write(entry.section),
        },
    )


@login_required
def entry_correct(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    person, access = _record(request, pk)
    entry = _entry(access, entry_pk)
    if not access.can_write(entry.section):
        raise Http404
    form = CorrectionForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        actions.do_correct_entry(access, entry, form.changes(), form.cleaned_data["reason"])
        messages.success(request, _("The correction is saved; the earlier version stays readable."))
        return redirect("record:entry", pk=person.pk, entry_pk=entry.pk)
    return render(
        request, "record/entry_correct.html", {"person": person, "entry": entry, "form": form}
    )


urlpatterns = [
    path("<int:pk>/dossier/", timeline, name="timeline"),
    path("<int:pk>/dossier/rencontre/", encounter_add, name="encounter_add"),
    path("<int:pk>/dossier/note/", note_add, name="note_add"),
    path("<int:pk>/dossier/mesures/", observations_add, name="observations_add"),
    path("<int:pk>/dossier/probleme/", problem_add, name="problem_add"),
    path("<int:pk>/dossier/traitement/", treatment_add, name="treatment_add"),
    path("<int:pk>/dossier/<int:entry_pk>/", entry_detail, name="entry"),
    path("<int:pk>/dossier/<int:entry_pk>/corriger/", entry_correct, name="entry_correct"),
]
