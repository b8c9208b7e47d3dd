"""Form fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

# The largest primary key the databases store (a signed 64-bit integer).
MAX_PK = 2**63 - 1


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Refuses, as an invalid choice, an id no database could hold. Django already does it
    for a single choice; for several it runs an ``IN`` query, on which SQLite raises
    OverflowError instead of finding nothing."""

    def _check_values(self, value: Iterable[Any]) -> Any:
        values = list(value)
        for item in values:
            try:
                number = int(str(item).strip())
            except (TypeError, ValueError):
                continue  # Django's own lookup refuses it as an invalid choice
            if not 0 < number <= MAX_PK:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(values)  # type: ignore[misc]
