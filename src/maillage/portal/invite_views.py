"""Opening a person's own space: a member invites them, the person activates it.

Member side: ``/personnes/<pk>/espace/inviter/`` (name ``portal_invite``).
Person side, public: ``/mon-espace/activer/`` (type a code) and
``/mon-espace/activer/<token>/`` (follow the link of an e-mail or SMS).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from maillage.core.access import get_person_for_member
from maillage.people.actions import log_read
from maillage.people.models import Person
from maillage.people.views import current_member
from maillage.portal import actions, codes
from maillage.portal.forms import (
    ActivationCodeForm,
    ActivationForm,
    InvitePersonForm,
    suggest_username,
)
from maillage.portal.models import PortalInvitation

Channel = PortalInvitation.Channel
# The invitation whose code this browser typed correctly, until the account is created.
SESSION_INVITATION_KEY = "maillage_portal_invitation"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")[:-1]


# --- Member side ---------------------------------------------------------------------------


@never_cache
@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    person = get_person_for_member(member, pk, "invite_to_portal")
    pending = (
        PortalInvitation.objects.usable()
        .filter(person=person)
        .select_related("created_by__user")
        .first()
        if person.user_id is None
        else None
    )
    context: dict[str, object] = {"person": person, "pending": pending}
    if person.user_id is not None:
        # Nothing to invite to: the page says so, and a POST changes nothing.
        return render(request, "portal/invite.html", {**context, "form": None})
    form = InvitePersonForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            sent = actions.do_invite_person(
                member,
                person,
                form.cleaned_data["channel"],
                form.destination(),
                _base_url(request),
            )
        except actions.PortalAlreadyOpen:
            messages.error(request, _("This person already has an account for their space."))
            return redirect("portal_invite", pk=person.pk)
        channel = sent.invitation.channel
        if channel == Channel.DESK or sent.delivered is False:
            # Rendered, not redirected: the code is shown once, on this page only.
            return render(
                request,
                "portal/invite_code.html",
                {
                    "person": person,
                    "sent": sent,
                    "failed": sent.delivered is False,
                    "activate_url": _base_url(request) + reverse("portal:activate"),
                    "expiry": actions.expiry_text(sent.invitation),
                },
            )
        if channel == Channel.EMAIL:
            text = _("The invitation is sent by e-mail to %(destination)s.")
        else:
            text = _("The invitation is sent by text message to %(destination)s.")
        messages.success(request, text % {"destination": sent.invitation.destination})
        return redirect("people:detail", pk=person.pk)
    if request.method == "GET":
        # The page shows the person's e-mail and phone.
        log_read(member, person)
    return render(request, "portal/invite.html", {**context, "form": form})


# --- Person side (public) ------------------------------------------------------------------


def _signed_in(request: HttpRequest) -> HttpResponse:
    """Someone already signed in cannot open another account from this browser."""
    if Person.objects.filter(user_id=request.user.pk or 0).exists():
        messages.info(request, _("Your personal space is already open."))
        return redirect("portal:home")
    return render(request, "portal/activate_signed_in.html")


def _account_step(
    request: HttpRequest, invitation: PortalInvitation, *, from_code: bool
) -> HttpResponse:
    person = invitation.person
    email = invitation.destination if invitation.channel == Channel.EMAIL else ""
    data = request.POST if request.method == "POST" else None
    form = ActivationForm(
        data, person=person, email=email, initial={"username": suggest_username(person)}
    )
    if data is not None and form.is_valid():
        try:
            user = actions.do_activate_portal(
                invitation, form.cleaned_data["username"], form.cleaned_data["password1"]
            )
        except actions.InvitationUnusable:
            request.session.pop(SESSION_INVITATION_KEY, None)
            return render(request, "portal/activate_invalid.html", status=404)
        except IntegrityError:
            form.add_error("username", _("This username is already taken."))
        else:
            request.session.pop(SESSION_INVITATION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _(
                        "Welcome to your personal space. To protect it better, you can add "
                        "a second step when you sign in (a code from an app on your phone)."
                    ),
                    reverse("mfa_index"),
                    _("Add a second factor"),
                ),
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/activate_account.html",
        {"form": form, "person": person, "from_code": from_code},
    )


@never_cache
def activate(request: HttpRequest) -> HttpResponse:
    """Type the code given at the desk, then choose a username and a password."""
    if request.user.is_authenticated:
        return _signed_in(request)
    if request.method == "POST" and request.POST.get("restart"):
        request.session.pop(SESSION_INVITATION_KEY, None)
        return redirect("portal:activate")
    invitation_pk = request.session.get(SESSION_INVITATION_KEY)
    if isinstance(invitation_pk, int):
        invitation = (
            PortalInvitation.objects.usable()
            .select_related("person__structure")
            .filter(pk=invitation_pk)
            .first()
        )
        if invitation is not None:
            return _account_step(request, invitation, from_code=True)
        request.session.pop(SESSION_INVITATION_KEY, None)
    form = ActivationCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # Throttled clients are not told whether a code is right: it is not even checked.
        if codes.is_throttled(request):
            return render(
                request,
                "portal/activate_code.html",
                {"form": ActivationCodeForm(), "throttled": True},
                status=429,
            )
        if form.is_valid():
            invitation = (
                PortalInvitation.objects.usable()
                .filter(code_hash=codes.hash_code(form.cleaned_data["code"]))
                .first()
            )
            if invitation is not None:
                request.session[SESSION_INVITATION_KEY] = invitation.pk
                return redirect("portal:activate")
            codes.record_wrong_code(request)
            form.add_error(
                "code",
                _(
                    "This code does not work: it may be mistyped, already used or too old. "
                    "Check it, or ask the team for a new one."
                ),
            )
    return render(request, "portal/activate_code.html", {"form": form, "throttled": False})


@never_cache
def activate_link(request: HttpRequest, token: str) -> HttpResponse:
    """Follow the link of an e-mail or SMS, then choose a username and a password."""
    if request.user.is_authenticated:
        return _signed_in(request)
    invitation = (
        PortalInvitation.objects.usable()
        .select_related("person__structure")
        .filter(token_hash=codes.hash_token(token))
        .first()
        if token and len(token) <= 100
        else None
    )
    if invitation is None:
        return render(request, "portal/activate_invalid.html", status=404)
    return _account_step(request, invitation, from_code=False)
