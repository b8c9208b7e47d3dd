"""Forms of the circle of care. Each add form has its own prefix (they share a page);
a value outside the lists offered is a form error, never a server error."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.coordination.models import CircleRole
from maillage.coordination.queries.directory import directory_target
from maillage.core.models import Member, Structure
from maillage.core.roles import Role
from maillage.people.models import Person, Relation
from maillage.record.forms import DateInput
from maillage.record.sharing_forms import member_label
from maillage.territory.models import Professional, Service


def _agreed_on_check(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise forms.ValidationError(_("The person cannot have agreed on a date still to come."))
    if value.year < 1900:
        raise forms.ValidationError(_("Give a real date."))


class _CircleFields(forms.Form):
    role = forms.ChoiceField(label=_("Role in the circle"), choices=CircleRole.choices)
    agreed_on = forms.DateField(
        label=_("The person agreed on"),
        help_text=_("The date the person agreed that they be part of their circle."),
        widget=DateInput(),
        validators=[_agreed_on_check],
        error_messages={"required": _("Give the date the person agreed.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    field_order = ["role", "agreed_on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"agreed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class MemberField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return member_label(obj)


class CircleMemberForm(_CircleFields):
    member = MemberField(
        label=_("Member of the structure or external partner"),
        queryset=Member.objects.none(),
        empty_label="—",
        error_messages={
            "required": _("Choose who to add."),
            "invalid_choice": _("Choose from the list."),
        },
    )

    field_order = ["member", "role", "agreed_on", "note"]

    def __init__(self, *args: Any, structure_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, MemberField)
        field.queryset = (
            Member.objects.active()
            .filter(structure_id=structure_id)
            .exclude(role=Role.NETWORK_OBSERVER)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )


class CircleDirectoryForm(_CircleFields):
    target = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args: Any, structure: Structure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.structure = structure
        self.entry: Service | Professional | None = None

    def clean_target(self) -> str:
        value = str(self.cleaned_data["target"])
        try:
            self.entry = directory_target(self.structure, value)
        except Http404:
            raise forms.ValidationError(_("Search again and choose from the results.")) from None
        return value


class RelationField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Relation) -> str:
        return f"{obj.name} — {obj.get_kind_display()}"


class CircleRelationForm(_CircleFields):
    relation = RelationField(
        label=_("Someone close to the person"),
        queryset=Relation.objects.none(),
        empty_label="—",
        error_messages={
            "required": _("Choose who to add."),
            "invalid_choice": _("Choose from the list."),
        },
    )

    field_order = ["relation", "role", "agreed_on", "note"]

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["relation"]
        assert isinstance(field, RelationField)
        field.queryset = person.relations.filter(ended_at__isnull=True).order_by("name", "pk")
