from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from maillage.people.choices import LANGUAGES
from maillage.territory.forms import ACCEPTS
from maillage.territory.models import HealthAccess, Professional, Service

register = template.Library()
LANGUAGE_NAMES = dict(LANGUAGES)


@register.inclusion_tag("territory/_health_access.html")
def health_access(entry: HealthAccess) -> dict[str, Any]:
    if isinstance(entry, Professional):
        name = "territory:professional_edit"
    elif isinstance(entry, Service):
        name = "territory:service_edit"
    else:
        name = "territory:organisation_edit"
    return {
        "entry": entry,
        "languages": [str(LANGUAGE_NAMES.get(code, code)) for code in entry.languages or []],
        "flags": [(label, getattr(entry, flag)) for flag, label in ACCEPTS],
        "edit_url": reverse(name, args=[entry.pk]),
    }


@register.simple_tag
def open_state(open_now: bool | None, change: datetime.datetime | None) -> str:
    """ "Open now, until Tuesday 12:30" in words, never by colour alone."""
    if open_now is None:
        return _("Whether it is open now is not known.")
    when = date_format(change, "l j F, H:i") if change else ""
    if open_now:
        text = _("Open now, until %(when)s.") % {"when": when} if when else _("Open now.")
    else:
        text = _("Closed now, opens %(when)s.") % {"when": when} if when else _("Closed now.")
    return format_html("<strong>{}</strong>", text)
