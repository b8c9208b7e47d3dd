from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.agenda.actions import AlreadyAttached, current_reminder_choice, do_attach_person
from maillage.agenda.forms import ReminderChoiceForm
from maillage.agenda.models import Appointment
from maillage.agenda.queries import get_appointment_for_member, upcoming_for_person
from maillage.core.access import (
    can,
    get_person_for_member,
    persons_for_member,
    section_right,
)
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import dedup
from maillage.people import actions, queries
from maillage.people.forms import (
    ArrivalForm,
    CorrectionReasonForm,
    DismissForm,
    MergeForm,
    PersonForm,
    RelationForm,
)
from maillage.people.messages import MATCH_REASONS
from maillage.people.models import Person, ReceptionVisit, Relation


def current_member(request: HttpRequest) -> Member:
    """The member the request works as; 404 for accounts without a structure."""
    member = getattr(request, "member", None)
    if member is None:
        raise Http404
    return member


def require(allowed: bool) -> None:
    if not allowed:
        raise Http404


def member_who_may(request: HttpRequest, verb: str) -> Member:
    """The member the request works as, if they may ``verb`` their structure (404 else)."""
    member = current_member(request)
    require(can(member, verb, member.structure))
    return member


def explain(match: dedup.Match) -> list[str]:
    return [str(MATCH_REASONS.get(code, code)) for code, _weight in match.reasons]


@login_required
def search(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    require(can(member, "search_persons", member.structure))
    text = request.GET.get("q", "")[:200]
    results = (
        queries.search_persons(persons_for_member(member), member.structure_id, text)
        if text.strip()
        else []
    )
    if text.strip():
        log_event(action=AccessEvent.Action.SEARCH, member=member)
    template = "people/_results.html" if request.headers.get("HX-Request") else "people/search.html"
    return render(
        request, template, {"q": text, "results": results, "searched": bool(text.strip())}
    )


def _duplicates_for_form(
    member: Member, form: PersonForm, exclude_pk: int | None = None
) -> list[queries.Candidate]:
    data = form.cleaned_data
    traits = dedup.Traits(
        birth_name=data.get("birth_name", ""),
        used_name=data.get("used_name", ""),
        given_names=data.get("given_names", ""),
        birth_date=data.get("birth_date"),
        sex=data.get("sex", ""),
        birth_place=data.get("birth_place_code", ""),
        nir=data.get("nir", ""),
        phone=data.get("phone", ""),
    )
    return queries.duplicate_candidates(
        persons_for_member(member), member.structure_id, traits, exclude_pk=exclude_pk
    )


@login_required
def register(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    require(can(member, "register_person", member.structure))
    candidates: list[queries.Candidate] = []
    appointment = _appointment_to_attach(request, member)
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            candidates = _duplicates_for_form(member, form)
            if not candidates or request.POST.get("confirm_new") == "1":
                # One transaction: a crash never leaves the person registered without the
                # duplicates set aside or the appointment they were registered from.
                with transaction.atomic():
                    person = actions.do_register_person(member, form.person_data())
                    for candidate in candidates:
                        actions.do_dismiss_duplicate(
                            member,
                            person,
                            candidate.person,
                            _("Confirmed as a new person at registration"),
                        )
                    messages.success(request, _("%(name)s is registered.") % {"name": person})
                    if appointment is not None:
                        return attach_appointment(request, member, appointment, person)
                return redirect("people:detail", pk=person.pk)
    else:
        form = PersonForm(
            initial={
                "birth_name": request.GET.get("nom", "")[:100],
                "given_names": request.GET.get("prenoms", "")[:200],
                "phone": request.GET.get("telephone", "")[:30],
            }
        )
    return render(
        request,
        "people/register.html",
        {
            "form": form,
            "candidates": [(c, explain(c.match)) for c in candidates],
            "appointment": appointment,
        },
    )


def _appointment_to_attach(request: HttpRequest, member: Member) -> Appointment | None:
    """The appointment booked by name that a registration comes from (``rdv``), if any."""
    raw = request.POST.get("rdv") or request.GET.get("rdv") or ""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    appointment = get_appointment_for_member(member, int(raw))
    if appointment.person_id is not None or not can(member, "book_appointment", member.structure):
        raise Http404
    return appointment


def attach_appointment(
    request: HttpRequest, member: Member, appointment: Appointment, person: Person
) -> HttpResponse:
    """Attach an appointment booked by name to the person's record; back to it."""
    try:
        do_attach_person(member, appointment, person)
    except AlreadyAttached:
        messages.error(request, _("This appointment is already attached to a record."))
    else:
        messages.success(
            request,
            _("The appointment is attached to the record of %(name)s.") % {"name": person},
        )
    return redirect("agenda:appointment", appointment_pk=appointment.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk)
    if person.merged_into_id:
        messages.info(request, _("This record was merged into another one."))
        return redirect("people:detail", pk=person.merged_into_id)
    actions.log_read(member, person)
    relations = person.relations.filter(ended_at__isnull=True).select_related("linked_person")
    visits = person.visits.select_related("seen_by__user").order_by("-day", "-pk")[:10]
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "relations": relations,
            "visits": visits,
            "today_visit": person.visits.filter(day=timezone.localdate()).order_by("-pk").first(),
            "merged_from": person.merged_from.all(),
            "versions_count": person.identity_versions.count(),
            "can_edit": can(member, "edit_identity", person),
            "can_arrive": can(member, "mark_arrived", person),
            "can_seen": can(member, "mark_seen", person),
            "can_access_log": can(member, "view_access_log", person),
            "can_invite_portal": can(member, "invite_to_portal", person),
            "arrival_form": ArrivalForm(),
            "appointments": upcoming_for_person(person.pk)[:5],
            "can_book": can(member, "book_appointment", member.structure),
            # The role reads social situations (the page itself applies the person's
            # choices).
            "can_social": bool(section_right(member.role, Section.SOCIAL)),
            "reminder_form": ReminderChoiceForm(
                initial={"choice": current_reminder_choice(person)}
            ),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "edit_identity")
    if request.method == "POST":
        form = PersonForm(request.POST, instance=Person.objects.get(pk=person.pk))
        reason_form = CorrectionReasonForm(request.POST)
        if form.is_valid() and reason_form.is_valid():
            actions.do_update_identity(
                member, person, form.person_data(), reason_form.cleaned_data["reason"]
            )
            messages.success(request, _("The identity is updated; the former one is kept."))
            return redirect("people:detail", pk=person.pk)
    else:
        form = PersonForm(instance=person)
        reason_form = CorrectionReasonForm()
        actions.log_read(member, person)
    return render(
        request, "people/edit.html", {"person": person, "form": form, "reason_form": reason_form}
    )


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk)
    actions.log_read(member, person)
    versions = person.identity_versions.select_related("changed_by__user")
    return render(request, "people/history.html", {"person": person, "versions": versions})


@login_required
def relation_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "edit_entourage")
    form = RelationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_add_relation(member, person, form.cleaned_data)
        messages.success(request, _("Added to the entourage."))
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/relation_form.html", {"person": person, "form": form})


@login_required
@require_POST
def relation_end(request: HttpRequest, pk: int, relation_pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "edit_entourage")
    relation = get_object_or_404(Relation, pk=relation_pk, person=person, ended_at__isnull=True)
    actions.do_end_relation(member, relation)
    messages.success(request, _("Removed from the entourage (kept in the history)."))
    return redirect("people:detail", pk=person.pk)


@login_required
@require_POST
def arrive(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "mark_arrived")
    form = ArrivalForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actions.do_mark_arrived(member, person, reason)
    messages.success(request, _("%(name)s is waiting at reception.") % {"name": person})
    if request.POST.get("next") == "home":
        return redirect("home")
    return redirect("people:detail", pk=person.pk)


@login_required
@require_POST
def seen(request: HttpRequest, visit_pk: int) -> HttpResponse:
    member = current_member(request)
    visit = ReceptionVisit.objects.filter(pk=visit_pk, structure_id=member.structure_id).first()
    if visit is None:
        raise Http404
    person = get_person_for_member(member, visit.person_id, "mark_seen")
    visit.person = person
    actions.do_mark_seen(member, visit)
    messages.success(request, _("%(name)s has been seen.") % {"name": person})
    return redirect("home")


@login_required
def person_duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk)
    require(can(member, "review_duplicates", member.structure))
    actions.log_read(member, person)
    candidates = queries.duplicate_candidates(
        persons_for_member(member),
        member.structure_id,
        queries.traits_of(person),
        exclude_pk=person.pk,
    )
    return render(
        request,
        "people/duplicates_person.html",
        {"person": person, "candidates": [(c, explain(c.match)) for c in candidates]},
    )


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    require(can(member, "review_duplicates", member.structure))
    pairs = queries.likely_duplicate_pairs(persons_for_member(member))
    page = Paginator([(p, explain(p.match)) for p in pairs], 25).get_page(request.GET.get("page"))
    return render(request, "people/duplicates.html", {"page": page})


def _pair(member: Member, pk: int, other_pk: int) -> tuple[Person, Person]:
    if pk == other_pk:
        raise Http404
    return (
        get_person_for_member(member, pk, "merge"),
        get_person_for_member(member, other_pk, "merge"),
    )


@login_required
def merge(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    member = current_member(request)
    a, b = _pair(member, pk, other_pk)
    persons = (a, b)
    default_keep = max(
        persons, key=lambda p: (["prov", "recup", "vali", "qual"].index(p.identity_status), -p.pk)
    )
    form = MergeForm(request.POST or None, persons=persons, initial={"keep": str(default_keep.pk)})
    if request.method == "POST" and form.is_valid():
        kept = a if form.cleaned_data["keep"] == str(a.pk) else b
        merged = b if kept is a else a
        actions.do_merge_persons(member, kept, merged, form.cleaned_data["reason"])
        messages.success(request, _("The two records are merged; both histories are kept."))
        return redirect("people:detail", pk=kept.pk)
    for person in persons:
        actions.log_read(member, person)
    match = dedup.score(queries.traits_of(a), queries.traits_of(b))
    return render(
        request,
        "people/merge.html",
        {"a": a, "b": b, "form": form, "reasons": explain(match), "dismiss_form": DismissForm()},
    )


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    member = current_member(request)
    a, b = _pair(member, pk, other_pk)
    form = DismissForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actions.do_dismiss_duplicate(member, a, b, reason)
    messages.success(request, _("Noted: these are two different persons."))
    return redirect("people:detail", pk=a.pk)


@login_required
def access_log(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "view_access_log")
    page = Paginator(queries.access_log(person), 50).get_page(request.GET.get("page"))
    return render(request, "people/access_log.html", {"person": person, "page": page})


def home_context(member: Member) -> dict[str, object]:
    today = timezone.localdate()
    persons = persons_for_member(member)
    visits = (
        ReceptionVisit.objects.filter(
            structure_id=member.structure_id, day=today, person__in=persons
        )
        .select_related("person")
        .order_by("arrived_at", "pk")
    )
    return {
        "waiting": [v for v in visits if v.status == "arrived"],
        "seen_today": [v for v in visits if v.status == "seen"],
        "recent": persons.order_by("-created_at")[:8],
        "now": timezone.now(),
        "can_register": can(member, "register_person", member.structure),
        "can_search": can(member, "search_persons", member.structure),
        "can_duplicates": can(member, "review_duplicates", member.structure),
        "can_manage": can(member, "manage_members", member.structure),
    }
