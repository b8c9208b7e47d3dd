"""Forms of a person's rights, of the applications (démarches) made with them, and of the
structure's catalogue of rights. Dates the actions refuse in the future are refused here
first, in words, on the field concerned."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.core.access import TEAM_ROLES
from maillage.core.fields import BoundedModelMultipleChoiceField
from maillage.core.models import Member
from maillage.record.forms import DateInput
from maillage.rights.models import (
    Application,
    ApplicationDocument,
    PersonRight,
    RightCategory,
    RightKind,
    RightStatus,
)
from maillage.rights.queries import kinds_for

# Dates outside these years are typing mistakes. A right may have opened long ago (an
# AAH granted in the 1990s); an application is recent.
RIGHT_YEARS = (1950, 2100)
APPLICATION_YEARS = (2000, 2100)

GRANTED, REFUSED = "granted", "refused"


def _plausible(
    form: forms.BaseForm, name: str, value: datetime.date | None, years: tuple[int, int]
) -> bool:
    """Whether the date is plausible; if not, the form says so on that field."""
    first, last = years
    if value is not None and not first <= value.year <= last:
        form.add_error(
            name, _("Give a date between %(first)s and %(last)s.") % {"first": first, "last": last}
        )
        return False
    return True


def _past(form: forms.Form, name: str, value: datetime.date | None) -> bool:
    """Whether the date is today or before; if not, the form says so on that field."""
    if value is not None and value > timezone.localdate():
        form.add_error(name, _("This date cannot be in the future."))
        return False
    return True


def _team(structure_id: int) -> QuerySet[Member]:
    """The active members of the structure's team, who may follow a right or accompany
    an application."""
    return (
        Member.objects.active()
        .filter(structure_id=structure_id, role__in=TEAM_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


class KindChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: RightKind) -> str:
        return obj.display


class TeamMemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.display_name} — {obj.get_role_display()}"


# --- A person's right -------------------------------------------------------------------


def _check_period(form: forms.BaseForm, data: dict[str, Any]) -> None:
    """A right's period: plausible years, and no end before the start."""
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if (
        _plausible(form, "starts_on", starts, RIGHT_YEARS)
        and _plausible(form, "ends_on", ends, RIGHT_YEARS)
        and starts
        and ends
        and ends < starts
    ):
        form.add_error("ends_on", _("A right cannot end before it starts."))


class RightForm(forms.Form):
    kind = KindChoiceField(label=_("Right"), queryset=RightKind.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=RightStatus.choices)
    starts_on = forms.DateField(label=_("From"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=100,
        required=False,
        help_text=_("The number the organisation gave (file number, beneficiary number…)."),
    )
    follower = TeamMemberChoiceField(
        label=pgettext_lazy("right", "Followed by"), queryset=Member.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False
    )

    def __init__(
        self, *args: Any, structure_id: int, right: PersonRight | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        kinds = kinds_for(structure_id)
        if right is not None and not right.kind.is_active:
            # A right of a kind since put out of use still shows what it is.
            kinds = kinds_for(structure_id, active=False).filter(
                pk__in={right.kind_id, *kinds.values_list("pk", flat=True)}
            )
        self.fields["kind"].queryset = kinds  # type: ignore[attr-defined]
        self.fields["follower"].queryset = _team(structure_id)  # type: ignore[attr-defined]
        if right is not None and right.follower is not None and not right.follower.is_active:
            self.fields["follower"].help_text = _(
                "%(name)s no longer works in the team: choose who follows this right now."
            ) % {"name": right.follower.display_name}

    @staticmethod
    def initial_from(right: PersonRight) -> dict[str, Any]:
        return {
            "kind": right.kind_id,
            "status": right.status,
            "starts_on": right.starts_on,
            "ends_on": right.ends_on,
            "reference": right.reference,
            "follower": right.follower_id,
            "notes": right.notes,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, data)
        return data


# --- Applications -----------------------------------------------------------------------


class ApplicationForm(forms.Form):
    kind = KindChoiceField(label=_("Right"), queryset=RightKind.objects.none())
    opened_on = forms.DateField(
        label=pgettext_lazy("application", "Started on"), widget=DateInput()
    )
    organisation = forms.CharField(
        label=_("To whom"),
        max_length=200,
        required=False,
        help_text=_("The organisation that decides: CPAM, CAF, prefecture, MDPH…"),
    )
    accompanied_by = TeamMemberChoiceField(
        label=_("Accompanied by"), queryset=Member.objects.none(), required=False
    )

    def __init__(self, *args: Any, structure_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = kinds_for(structure_id)  # type: ignore[attr-defined]
        self.fields["accompanied_by"].queryset = _team(structure_id)  # type: ignore[attr-defined]
        self.fields["opened_on"].initial = timezone.localdate()

    def clean_opened_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["opened_on"])


def _date_today_or_before(value: datetime.date) -> datetime.date:
    first, last = APPLICATION_YEARS
    if not first <= value.year <= last:
        raise forms.ValidationError(
            _("Give a date between %(first)s and %(last)s.") % {"first": first, "last": last}
        )
    if value > timezone.localdate():
        raise forms.ValidationError(_("This date cannot be in the future."))
    return value


class _OnApplication(forms.Form):
    """A form of the application's page: it knows the application, for dates that
    cannot come before it was started."""

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField) and name != "starts_on" and name != "ends_on":
                field.initial = timezone.localdate()

    def _not_before_start(self, name: str, message: Any) -> None:
        value = self.cleaned_data.get(name)
        if value is not None and value < self.application.opened_on:
            self.add_error(name, message)


class StepForm(_OnApplication):
    on = forms.DateField(label=_("Date"), widget=DateInput())
    what = forms.CharField(
        label=_("What was done"),
        max_length=300,
        help_text=_("An appointment at the CAF, a form sent, a call…"),
    )

    def clean_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["on"])

    def clean_what(self) -> str:
        what = self.cleaned_data["what"].strip()
        if not what:
            raise forms.ValidationError(_("Say what was done."))
        return what


class DocumentForm(_OnApplication):
    name = forms.CharField(label=_("Document needed"), max_length=200)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Name the document."))
        return name


class ReceivedForm(_OnApplication):
    documents = BoundedModelMultipleChoiceField(
        label=_("Documents received"),
        queryset=ApplicationDocument.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick the documents received.")},
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, application=application, **kwargs)
        self.fields["documents"].queryset = application.documents.filter(  # type: ignore[attr-defined]
            received_on__isnull=True
        )

    def clean_received_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["received_on"])


class SubmitForm(_OnApplication):
    submitted_on = forms.DateField(label=_("Submitted on"), widget=DateInput())

    def clean_submitted_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["submitted_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._not_before_start(
            "submitted_on", _("An application cannot be submitted before it is started.")
        )
        return data


class DecisionForm(_OnApplication):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(GRANTED, _("Granted")), (REFUSED, _("Refused"))],
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    outcome = forms.CharField(
        label=_("What the decision says"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    starts_on = forms.DateField(
        label=_("Right open from"),
        required=False,
        widget=DateInput(),
        help_text=_("When granted. Left empty: from the date of the decision."),
    )
    ends_on = forms.DateField(
        label=_("Right open until"),
        required=False,
        widget=DateInput(),
        help_text=_("When granted. Left empty: no end date."),
    )
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=100,
        required=False,
        help_text=_("When granted: the number the organisation gave."),
    )

    def clean_decided_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["decided_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._not_before_start(
            "decided_on", _("A decision cannot come before the application is started.")
        )
        submitted, decided = self.application.submitted_on, data.get("decided_on")
        if submitted and decided and decided < submitted and "decided_on" not in self.errors:
            self.add_error(
                "decided_on", _("A decision cannot come before the application is submitted.")
            )
        if data.get("decision") == REFUSED:
            # A refusal opens no period: what was typed there is not kept.
            data.update(starts_on=None, ends_on=None, reference="")
            return data
        _check_period(self, data)
        return data


class AbandonForm(_OnApplication):
    why = forms.CharField(
        label=_("Why the application is abandoned"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class AppealForm(_OnApplication):
    opened_on = forms.DateField(label=_("Appeal started on"), widget=DateInput())

    def clean_opened_on(self) -> datetime.date:
        return _date_today_or_before(self.cleaned_data["opened_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        decided = self.application.decided_on
        value = data.get("opened_on")
        if decided and value and value < decided:
            self.add_error("opened_on", _("An appeal cannot start before the refusal."))
        return data


# --- The structure's catalogue ----------------------------------------------------------


class KindForm(forms.Form):
    label = forms.CharField(label=_("Name of the right"), max_length=200)
    category = forms.ChoiceField(
        label=_("Category"), choices=RightCategory.choices, initial=RightCategory.OTHER
    )

    def clean_label(self) -> str:
        label = " ".join(self.cleaned_data["label"].split())
        if not label:
            raise forms.ValidationError(_("Give the name of the right."))
        return label
