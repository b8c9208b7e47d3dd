"""Forms of requests to the coordination function: taking one down, the first contact,
linking a registered person, who follows it, closing it with its outcome."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from maillage.coordination.models import (
    Channel,
    Concerns,
    Outcome,
    Referral,
    RequestSource,
    Urgency,
)
from maillage.core.access import COORDINATION_ROLES
from maillage.core.models import Member
from maillage.lib import coordination as flow
from maillage.people.models import Person
from maillage.record.forms import DateInput, TimeInput

# How far back a request may be taken down (a message heard late, a form filled later).
OLDEST_DAYS = 366


class MemberChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


def handlers(structure_id: int) -> QuerySet[Member]:
    """Active members of the structure who handle requests."""
    return (
        Member.objects.active()
        .filter(structure_id=structure_id, role__in=COORDINATION_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def moment(
    form: forms.Form, day: datetime.date | None, time: datetime.time | None, field: str
) -> datetime.datetime | None:
    """The date and time typed, in local time; an error on ``field`` when it is in the
    future or too long ago."""
    if day is None or time is None:
        return None
    when = timezone.make_aware(datetime.datetime.combine(day, time))
    now = timezone.now()
    if when > now:
        form.add_error(field, _("It cannot be in the future."))
        return None
    if when < now - datetime.timedelta(days=OLDEST_DAYS):
        form.add_error(field, _("It cannot be more than a year ago."))
        return None
    return when


PERSON_AGAIN = {"invalid_choice": _("Search for the person and choose them again.")}


class RequestForm(forms.Form):
    concerns = forms.ChoiceField(
        label=_("It concerns"), choices=Concerns.choices, widget=forms.RadioSelect
    )
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages=PERSON_AGAIN,
    )
    unregistered_name = forms.CharField(
        label=_("Name of the person concerned, if not registered"),
        help_text=_("As given; write “not given” if it was not said."),
        required=False,
        max_length=200,
    )
    source = forms.ChoiceField(
        label=_("Who asks"), choices=RequestSource.choices, widget=forms.RadioSelect
    )
    source_name = forms.CharField(label=_("Name of who asks"), required=False, max_length=200)
    source_contact = forms.CharField(
        label=_("How to reach them"),
        help_text=_("A phone number, an e-mail, a time of day to call…"),
        required=False,
        max_length=300,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(value, label) for value, label in Channel.choices if value != Channel.PORTAL],
        widget=forms.RadioSelect,
    )
    first_words = forms.CharField(
        label=_("The problem as first expressed"),
        help_text=_("In the words used, as far as possible."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    received_date = forms.DateField(label=_("Received on"), widget=DateInput())
    received_time = forms.TimeField(label=_("Received at (time)"), widget=TimeInput())
    assigned_to = MemberChoice(
        label=_("Followed by"),
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("nobody yet"),
    )

    def __init__(
        self, *args: Any, persons: QuerySet[Person], structure_id: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]
        self.fields["assigned_to"].queryset = handlers(structure_id)  # type: ignore[attr-defined]
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("received_date", now.date())
            self.initial.setdefault("received_time", now.time().replace(second=0, microsecond=0))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        concerns = data.get("concerns")
        if (
            concerns == Concerns.REGISTERED
            and data.get("person") is None
            and "person" not in self.errors
        ):
            self.add_error(
                "concerns",
                _("Search for the person and choose them, or say they are not registered."),
            )
        if concerns == Concerns.UNREGISTERED and not (data.get("unregistered_name") or "").strip():
            self.add_error("unregistered_name", _("Give the name, or write “not given”."))
        if concerns != Concerns.REGISTERED:
            data["person"] = None
        data["received_at"] = moment(
            self, data.get("received_date"), data.get("received_time"), "received_time"
        )
        return data


class FirstContactForm(forms.Form):
    contact_date = forms.DateField(label=_("First contact on"), widget=DateInput())
    contact_time = forms.TimeField(label=_("First contact at (time)"), widget=TimeInput())
    listening_notes = forms.CharField(
        label=_("Listening notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    at_stake = forms.CharField(
        label=_("What seems at stake"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, received_at: datetime.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received_at = received_at
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("contact_date", now.date())
            self.initial.setdefault("contact_time", now.time().replace(second=0, microsecond=0))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when = moment(self, data.get("contact_date"), data.get("contact_time"), "contact_time")
        if when is not None and when < self.received_at - datetime.timedelta(minutes=1):
            self.add_error("contact_time", _("It cannot be before the request arrived."))
            when = None
        data["at"] = when
        return data


class LinkPersonForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), widget=forms.HiddenInput, error_messages=PERSON_AGAIN
    )

    def __init__(self, *args: Any, persons: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    assigned_to = MemberChoice(
        label=_("Followed by"),
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("nobody in particular"),
    )

    def __init__(self, *args: Any, structure_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = handlers(structure_id)  # type: ignore[attr-defined]


class ReferralChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        target = obj.target
        name = getattr(target, "nom", None) or getattr(target, "name", None)
        name = name or getattr(target, "display_name", "")
        since = date_format(timezone.localtime(obj.created_at), "SHORT_DATE_FORMAT")
        return f"{name} — {obj.get_status_display()} ({since})"


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    referral = ReferralChoice(
        label=_("The referral"),
        help_text=_("For the outcome “referral”: one of the person's referrals."),
        queryset=Referral.objects.none(),
        required=False,
        empty_label=_("choose a referral"),
    )
    note = forms.CharField(
        label=_("About the outcome"),
        help_text=_("Required for “closed with a reason”: say why."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, referrals: QuerySet[Referral], has_person: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals  # type: ignore[attr-defined]
        self.has_person = has_person

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome in {flow.PROJECT, flow.REFERRAL} and not self.has_person:
            self.add_error("outcome", _("Link the request to a registered person first."))
        elif (
            outcome == flow.REFERRAL
            and data.get("referral") is None
            and "referral" not in self.errors
        ):
            self.add_error("referral", _("Choose the referral."))
        if outcome == flow.CLOSED_WITH_REASON and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is closed."))
        if outcome != flow.REFERRAL:
            data["referral"] = None
        return data
