"""Glue between django-allauth and django-axes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account an attempt is about, as typed in the login form (username or e-mail).

    allauth calls ``authenticate(username=…)`` or ``authenticate(email=…)`` while the form
    field is ``login``: read whichever is there, so that failures are counted per account.
    """
    typed = request.POST.get("login", "") if request is not None else ""
    if not typed and credentials:
        typed = str(credentials.get("username") or credentials.get("email") or "")
    return typed.strip().lower()
