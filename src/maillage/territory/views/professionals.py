"""Professionals of the territory, and who works with whom."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.lib import rpps
from maillage.lib.names import normalize
from maillage.people.views import member_who_may
from maillage.territory import actions, queries
from maillage.territory.forms import ACCEPTS, RPPS_WARNING, LinkForm, ProfessionalForm
from maillage.territory.models import OrganisationLink, Profession, Professional
from maillage.territory.views.directory import PAGE_SIZE

FORM_FIELDS = [name for name in ProfessionalForm.base_fields if name != "place_name"]


@login_required
def professional_list(request: HttpRequest) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    professionals = Professional.objects.filter(owner=member.structure, is_active=True)
    words = normalize(request.GET.get("q", "")[:200]).split()[:8]
    for word in words:
        professionals = professionals.filter(search_text__contains=word)
    profession = request.GET.get("profession", "")
    if profession in Profession.values:
        professionals = professionals.filter(profession=profession)
    flags = [flag for flag in request.GET.getlist("accepts") if flag in dict(ACCEPTS)]
    for flag in flags:
        professionals = professionals.filter(tags__contains=f"|x:{flag}|")
    page = Paginator(professionals.select_related("place").order_by("name", "pk"), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "territory/professionals.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "q": request.GET.get("q", "")[:200],
            "profession": profession,
            "professions": Profession.choices,
            "accepts": ACCEPTS,
            "flags": flags,
            "query": query.urlencode(),
        },
    )


@login_required
def professional_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "view_directory")
    professional = get_object_or_404(
        Professional.objects.filter(owner=member.structure, is_active=True).select_related("place"),
        pk=pk,
    )
    return render(
        request,
        "territory/professional_detail.html",
        {
            "professional": professional,
            "rpps_warning": bool(professional.rpps) and rpps.check(professional.rpps) == "bad_key",
        },
    )


@login_required
def professional_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    member = member_who_may(request, "edit_directory")
    professional = None
    initial = None
    if pk is not None:
        professional = get_object_or_404(
            Professional.objects.filter(owner=member.structure, is_active=True), pk=pk
        )
        initial = {name: getattr(professional, name) for name in FORM_FIELDS}
        initial["place_name"] = professional.place.nom if professional.place else ""
    form = ProfessionalForm(request.POST or None, initial=initial, owner=member.structure)
    if request.method == "POST" and form.is_valid():
        saved = actions.do_save_professional(
            member.structure, form.professional_data(), professional
        )
        messages.success(request, _("Saved in the directory."))
        if form.rpps_warning:
            messages.warning(request, RPPS_WARNING)
        return redirect("territory:professional", pk=saved.pk)
    return render(
        request,
        "territory/professional_form.html",
        {"form": form, "professional": professional},
    )


# --- relations between structures ---------------------------------------------------------


@login_required
def link_add(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_who_may(request, "edit_directory")
    organisation = get_object_or_404(queries.organisations_of(member.structure), pk=pk)
    form = LinkForm(request.POST or None)
    words = normalize(request.GET.get("q", "")[:150]).split()[:6]
    candidates = queries.organisations_of(member.structure).exclude(pk=organisation.pk)
    for word in words:
        candidates = candidates.filter(search_text__contains=word)
    if request.method == "POST" and form.is_valid():
        target = (
            queries.organisations_of(member.structure)
            .filter(pk=form.cleaned_data["target"])
            .first()
        )
        if target is None or target.pk == organisation.pk:
            raise Http404
        actions.do_link_organisations(
            member, organisation, target, form.cleaned_data["kind"], form.cleaned_data["note"]
        )
        messages.success(request, _("The relation is added."))
        return redirect("territory:organisation", pk=organisation.pk)
    return render(
        request,
        "territory/link_form.html",
        {
            "organisation": organisation,
            "form": form,
            "q": request.GET.get("q", "")[:150],
            "candidates": candidates.order_by("nom")[:10] if words else [],
        },
    )


@login_required
@require_POST
def link_end(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    member = member_who_may(request, "edit_directory")
    link = get_object_or_404(
        OrganisationLink.objects.filter(owner=member.structure, ended_at__isnull=True),
        Q(source_id=pk) | Q(target_id=pk),
        pk=link_pk,
    )
    actions.do_end_link(member, link)
    messages.success(request, _("The relation is ended; it stays in the history."))
    return redirect("territory:organisation", pk=pk)


urlpatterns = [
    path("annuaire/professionnels/", professional_list, name="professionals"),
    path("annuaire/professionnels/nouveau/", professional_edit, name="professional_add"),
    path("annuaire/professionnels/<int:pk>/", professional_detail, name="professional"),
    path("annuaire/professionnels/<int:pk>/modifier/", professional_edit, name="professional_edit"),
    path("annuaire/structures/<int:pk>/relier/", link_add, name="link_add"),
    path("annuaire/structures/<int:pk>/relations/<int:link_pk>/fin/", link_end, name="link_end"),
]
