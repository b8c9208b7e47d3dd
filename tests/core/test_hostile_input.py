"""Generated from the URL configuration: every form a member can open is posted hostile
values (huge, empty, NUL and control characters, markup, SQL, numbers no database
holds, odd digits and dates), field by field and all at once. No answer may be a 500, and
nothing posted may come back unescaped."""

from __future__ import annotations

import pytest
from django import forms as django_forms
from django.test import Client
from django.test.utils import ContextList

from tests.core.routes import fill, objects, routes_to_check  # noqa: F401
from tests.hostile import HOSTILE, MARKUP, ONE_BY_ONE


def forms_of(response) -> list[django_forms.BaseForm]:
    found = []
    contexts = response.context
    if not isinstance(contexts, ContextList):  # a page of one template has one context
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, django_forms.BaseForm) and value not in found:
                found.append(value)
    return found


@pytest.mark.parametrize(
    "who", ["reception", "doctor", "social_worker", "admin_member", "person_user"]
)
def test_no_form_breaks_on_hostile_input(who, request, objects):  # noqa: F811
    account = request.getfixturevalue(who)
    client = Client()
    client.force_login(getattr(account, "user", account))
    failures = []
    posted = 0
    for route, name in routes_to_check():
        url = fill(route, objects)
        page = client.get(url)
        if page.status_code != 200 or not page.context:
            continue
        for form in forms_of(page):
            fields = [f"{form.prefix}-{n}" if form.prefix else n for n in form.fields]
            batches = [dict.fromkeys(fields, value) for value in HOSTILE]
            batches += [{n: value} for value in ONE_BY_ONE for n in fields]
            for data in batches:
                value = next(iter(data.values()), "")
                response = client.post(url, data)
                posted += 1
                if response.status_code >= 500:
                    failures.append((name, sorted(data)[:3], repr(value[:20])))
                elif value == MARKUP and MARKUP in response.content.decode(errors="replace"):
                    failures.append((name, "unescaped markup", sorted(data)[:3]))
    assert posted > 20
    assert failures == []
