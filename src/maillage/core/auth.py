"""Glue between django-allauth and django-axes, and the limit on wrong second-factor codes.

django-axes counts the password failures of ``authenticate()``; the second factor (a TOTP
or recovery code, asked after the password) never goes through it, and allauth's own
limit on it (its ``login_failed`` rate) is off, since django-axes does the lockout. The
forms below (``MFA_FORMS``) give wrong codes the same limit as wrong passwords.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from maillage.core import ratelimit
from maillage.core.logging import mask_path

_AXES_SALT = "maillage.core.auth.axes"


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account an attempt is about, as typed in the login form (username or e-mail).

    allauth calls ``authenticate(username=…)`` or ``authenticate(email=…)`` while the form
    field is ``login``: read whichever is there, so that failures are counted per account.
    """
    typed = request.POST.get("login", "") if request is not None else ""
    if not typed and credentials:
        typed = str(credentials.get("username") or credentials.get("email") or "")
    return typed.strip().lower()


def axes_client_str(
    username: str | None, ip_address: str, user_agent: str, path_info: Any, request: Any
) -> str:
    """How django-axes names a client in its log lines: a keyed hash of the account (the
    same for each failure of one account, meaningless without the secret key) and the
    path, never the account's name, the address or the browser."""
    if isinstance(path_info, (tuple, list)):
        path_info = path_info[0] if path_info else ""
    account = salted_hmac(_AXES_SALT, (username or "").lower(), algorithm="sha256")
    return f'{{account: "{account.hexdigest()[:12]}", path_info: "{mask_path(str(path_info))}"}}'


def mfa_failures() -> ratelimit.Limit:
    """As many wrong codes as wrong passwords, over the lockout's duration."""
    return ratelimit.Limit(
        "mfa-failure",
        attempts=settings.AXES_FAILURE_LIMIT,
        window=max(60, round(settings.AXES_COOLOFF_TIME * 3600)),
    )


class _LimitedCodeMixin:
    user: Any

    def clean_code(self) -> str:
        limit, who = mfa_failures(), f"user:{self.user.pk}"
        if ratelimit.retry_after(limit, who) is not None:
            # The code is not even checked: a right guess must not show through.
            raise forms.ValidationError(
                _("Too many wrong codes: wait a few minutes before trying again."),
                code="too_many_codes",
            )
        try:
            return super().clean_code()  # type: ignore[misc]
        except forms.ValidationError:
            ratelimit.hit(limit, who)
            raise


class LimitedAuthenticateForm(_LimitedCodeMixin, AuthenticateForm):
    """The second factor at sign-in."""


class LimitedReauthenticateForm(_LimitedCodeMixin, ReauthenticateForm):
    """The second factor asked again before a sensitive change."""
