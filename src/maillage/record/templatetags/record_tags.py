from __future__ import annotations

from django import template
from django.utils import formats

from maillage.record.choices import UNIT_LABELS
from maillage.record.models import Observation
from maillage.record.queries import icpc2_titles

register = template.Library()


@register.filter
def measure(observation: Observation) -> str:
    """ "72,5 kg", "135/85 mmHg" — numbers in the current language's format."""
    value = formats.number_format(observation.value.normalize())
    if observation.value2 is not None:
        value = f"{value}/{formats.number_format(observation.value2.normalize())}"
    return f"{value}\u00a0{UNIT_LABELS.get(observation.unit, observation.unit)}"


_LABELS: dict[tuple[type, str], dict[object, object]] = {}


@register.filter
def label(obj: object, field_name: str) -> object:
    """The display label of a choice field, like ``get_<field>_display`` but from a table
    built once per field (Django rebuilds it at every call, which shows on long pages)."""
    key = (type(obj), field_name)
    labels = _LABELS.get(key)
    if labels is None:
        field = obj._meta.get_field(field_name)  # type: ignore[attr-defined]
        labels = _LABELS[key] = dict(field.flatchoices)
    value = getattr(obj, field_name)
    return labels.get(value, value)


@register.filter
def icpc2_named(codes: str | list[str]) -> str:
    """ "T90 Diabetes…, R05 Cough": ICPC-2 codes with their titles when the server has
    a list of rubrics (``maillage icpc2 load``), the bare codes otherwise."""
    _version, titles = icpc2_titles()
    items = [codes] if isinstance(codes, str) else codes
    return ", ".join(f"{code} {titles[code]}" if code in titles else code for code in items)
