"""Forms of tasks: a new task for one or more members of the team, done, cancelled."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.access import TEAM_ROLES
from maillage.core.models import Member
from maillage.record.forms import DateInput


def team(structure_id: int) -> QuerySet[Member]:
    """Active members of the structure's team (not partners nor network observers)."""
    return (
        Member.objects.active()
        .filter(structure_id=structure_id, role__in=TEAM_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


class MembersChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"

    def clean(self, value: Any) -> Any:
        # Ids no database holds are refused before the query (SQLite overflows on them).
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk)
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super().clean(value)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What to do"), max_length=300)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_on = forms.DateField(label=_("By"), required=False, widget=DateInput())
    assignees = MembersChoice(
        label=_("Assigned to"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one member of the team.")},
    )

    def __init__(self, *args: Any, author: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = team(author.structure_id)
        self.fields["assignees"].queryset = members  # type: ignore[attr-defined]
        if not self.is_bound and "assignees" not in self.initial:
            self.initial["assignees"] = [author.pk]

    def clean_due_on(self) -> datetime.date | None:
        due: datetime.date | None = self.cleaned_data.get("due_on")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the past."))
        return due

    def task(self) -> dict[str, Any]:
        """The valid form's values, as ``do_create_task`` takes them."""
        return {k: self.cleaned_data[k] for k in ("title", "details", "due_on", "assignees")}


class DoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(forms.Form):
    note = forms.CharField(
        label=_("Why it will not be done"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
