"""Lengths of time as the desk reads them: « 12 min », « 1 h 05 »."""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def minutes(value: datetime.timedelta | None) -> str:
    if value is None:
        return ""
    total = int(value.total_seconds() // 60)
    if total < 60:
        return _("%(n)s min") % {"n": total}
    return _("%(h)s h %(m)02d") % {"h": total // 60, "m": total % 60}
