"""Personal access tokens to the API: a member creates, lists and revokes their own."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from maillage.core import ratelimit, tokens
from maillage.core.models import ApiToken, Member
from maillage.people.views import current_member

EXPIRY_CHOICES = [
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
    ("365", gettext_lazy("In one year")),
    ("", gettext_lazy("Never (revoke it yourself)")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “export to the regional platform”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Rights"),
        choices=ApiToken.Scope.choices,
        initial=[ApiToken.Scope.READ],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The token never sees more than you: it acts as you, in this structure."
        ),
    )
    expires_in = forms.ChoiceField(
        label=gettext_lazy("Expires"), choices=EXPIRY_CHOICES, initial="90", required=False
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = tokens.scopes_for(member)
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in ApiToken.Scope.choices if value in allowed
        ]

    def expires_at(self) -> datetime.datetime | None:
        days = self.cleaned_data.get("expires_in") or ""
        return timezone.now() + datetime.timedelta(days=int(days)) if days else None


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    form = TokenForm(request.POST or None, member=member)
    created = ""
    wait = None
    if request.method == "POST" and form.is_valid():
        wait = ratelimit.retry_after(ratelimit.TOKEN_CREATIONS, f"member:{member.pk}")
        if wait is not None:
            form.add_error(None, _("You created many tokens in a short time: try again later."))
        else:
            ratelimit.hit(ratelimit.TOKEN_CREATIONS, f"member:{member.pk}")
            _token, created = tokens.do_create_token(
                member,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
            form = TokenForm(member=member)
    # Rendered, not redirected: the token is shown once, on this page only.
    response = render(
        request,
        "core/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": member.api_tokens.order_by("-created_at", "-pk"),
            "now": timezone.now(),
        },
        status=429 if wait is not None else 200,
    )
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    token = member.api_tokens.filter(pk=pk).first()
    if token is None:
        raise Http404
    if tokens.do_revoke_token(token, by=member):
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("tokens")
