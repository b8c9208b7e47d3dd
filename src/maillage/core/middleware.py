from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from maillage.core.models import Member
from maillage.core.roles import CLINICAL_OR_SOCIAL_ROLES

SESSION_KEY = "maillage_member_id"


class FrenchFirstLocaleMiddleware:
    """French unless the user chose another language (cookie set by the language menu).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not followed: a
    French health centre's screens speak French on every workstation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class CurrentMemberMiddleware:
    """Sets ``request.member``: the active membership the user works in right now."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = Member.objects.active().filter(user=request.user)
            chosen = request.session.get(SESSION_KEY)
            member = None
            if chosen is not None:
                member = memberships.select_related("structure", "user").filter(pk=chosen).first()
            if member is None:
                member = memberships.select_related("structure", "user").order_by("pk").first()
            request.member = member  # type: ignore[attr-defined]
        return self.get_response(request)


MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/favicon")


def member_needs_mfa(member: Member | None) -> bool:
    return bool(
        settings.REQUIRE_MFA and member is not None and member.role in CLINICAL_OR_SOCIAL_ROLES
    )


class RequireMfaMiddleware:
    """Clinical and social roles must enrol a second factor before working."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = getattr(request, "member", None)
        if member_needs_mfa(member) and not request.path.startswith(MFA_EXEMPT_PREFIXES):
            from allauth.mfa.models import Authenticator

            has_totp = Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
            if not has_totp:
                return redirect("mfa_activate_totp")
        return self.get_response(request)
