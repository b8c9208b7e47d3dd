from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core import actions
from maillage.core.access import TEAM_ROLES, can
from maillage.core.forms import AcceptInvitationForm, InviteForm
from maillage.core.middleware import SESSION_KEY
from maillage.core.models import Invitation, Member, User
from maillage.core.roles import Role
from maillage.people.views import current_member, home_context, require


@login_required
def home(request: HttpRequest) -> HttpResponse:
    member = getattr(request, "member", None)
    if member is None:
        if hasattr(request.user, "person"):
            return redirect("portal:home")
        return render(request, "core/no_structure.html", status=403)
    from maillage.coordination.queries.home import team_home
    from maillage.rights.queries import rights_home

    context = home_context(member) | team_home(member) | rights_home(member)
    return render(request, "core/home.html", context)


@login_required
@require_POST
def switch_structure(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("member", "")
    chosen = (
        Member.objects.active().filter(user_id=request.user.pk or 0, pk=int(raw)).first()
        if raw.isascii() and raw.isdigit()
        else None
    )
    if chosen is None:
        raise Http404
    request.session[SESSION_KEY] = chosen.pk
    messages.info(request, _("You now work in %(structure)s.") % {"structure": chosen.structure})
    next_url = request.POST.get("next", "")
    # Back to the page the switch was made on: a path of this site, taken as it is (given
    # to redirect(), a word would be looked up as the name of a view).
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        return HttpResponseRedirect(next_url)
    return redirect("home")


@login_required
def members(request: HttpRequest) -> HttpResponse:
    admin = current_member(request)
    require(can(admin, "manage_members", admin.structure))
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_invite_member(
            admin, base_url=request.build_absolute_uri("/")[:-1], **form.cleaned_data
        )
        messages.success(request, _("Invitation sent to %(email)s.") % form.cleaned_data)
        return redirect("members")
    team = (
        Member.objects.filter(structure=admin.structure)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__first_name")
    )
    pending = Invitation.objects.filter(structure=admin.structure, accepted_at__isnull=True)
    return render(
        request,
        "core/members.html",
        {
            "team": team,
            "form": form,
            "pending": pending.order_by("-created_at"),
            "export_roles": sorted(TEAM_ROLES - {Role.ADMIN}),
        },
    )


def _managed_member(request: HttpRequest, pk: int) -> tuple[Member, Member]:
    admin = current_member(request)
    require(can(admin, "manage_members", admin.structure))
    target = Member.objects.filter(pk=pk, structure=admin.structure).first()
    if target is None:
        raise Http404
    return admin, target


@login_required
@require_POST
def deactivate_member(request: HttpRequest, pk: int) -> HttpResponse:
    admin, target = _managed_member(request, pk)
    if target.pk == admin.pk:
        messages.error(request, _("You cannot deactivate yourself."))
    else:
        actions.do_deactivate_member(admin, target)
        messages.success(
            request,
            _("%(name)s is deactivated; their history stays.") % {"name": target.display_name},
        )
    return redirect("members")


@login_required
@require_POST
def reactivate_member(request: HttpRequest, pk: int) -> HttpResponse:
    admin, target = _managed_member(request, pk)
    actions.do_reactivate_member(admin, target)
    messages.success(request, _("%(name)s is active again.") % {"name": target.display_name})
    return redirect("members")


@login_required
@require_POST
def member_export_right(request: HttpRequest, pk: int) -> HttpResponse:
    admin, target = _managed_member(request, pk)
    give = request.POST.get("may_export") == "1"
    if give and not (target.is_active and target.role in TEAM_ROLES):
        messages.error(request, _("Only an active member of the team can be given this right."))
        return redirect("members")
    actions.do_set_export_right(admin, target, may_export=give)
    if give:
        text = _("%(name)s may now export the structure's data (what they read).")
    else:
        text = _("%(name)s may no longer export the structure's data.")
    messages.success(request, text % {"name": target.display_name})
    return redirect("members")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("structure").filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        return render(request, "core/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        if request.method == "POST":
            actions.do_accept_invitation(invitation, User.objects.get(pk=request.user.pk))
            messages.success(
                request, _("You joined %(structure)s.") % {"structure": invitation.structure}
            )
            return redirect("home")
        return render(
            request, "core/invitation_accept.html", {"invitation": invitation, "form": None}
        )
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            username=form.cleaned_data["username"],
            email=invitation.email,
            password=form.cleaned_data["password1"],
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        actions.do_accept_invitation(invitation, user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome to %(structure)s.") % {"structure": invitation.structure}
        )
        return redirect("home")
    return render(request, "core/invitation_accept.html", {"invitation": invitation, "form": form})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """An expired or missing CSRF token: explain it plainly, in the site's layout."""
    return render(request, "403_csrf.html", status=403)
