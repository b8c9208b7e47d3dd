from __future__ import annotations

import datetime

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from maillage.lib.phone import normalize_phone
from maillage.people.choices import LANGUAGE_LABELS
from maillage.people.models import Person

register = template.Library()


@register.filter
def birth_date(person: Person) -> str:
    """A partial date of birth in the current language: 12 mars 1985, mars 1985, 1985."""
    value = person.birth_date
    if value is None:
        return _("unknown")
    if value.month and value.day:
        return formats.date_format(datetime.date(value.year, value.month, value.day), "j F Y")
    if value.month:
        return formats.date_format(datetime.date(value.year, value.month, 1), "F Y")
    return str(value.year)


@register.filter
def phone(value: str) -> str:
    """A French number as it is read aloud: 06 12 34 56 78."""
    national = normalize_phone(value or "")
    if len(national) == 10 and national.startswith("0"):
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return value


@register.filter
def nir(value: str) -> str:
    """A NIR grouped as on the card: 2 85 03 75 056 123 45."""
    if len(value or "") != 15:
        return value
    groups = (value[0], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:])
    return " ".join(groups)


@register.filter
def language_names(codes: list[str]) -> str:
    return ", ".join(str(LANGUAGE_LABELS.get(code, code)) for code in codes or [])


@register.inclusion_tag("people/_status.html")
def identity_status(person: Person) -> dict[str, object]:
    return {"person": person}
