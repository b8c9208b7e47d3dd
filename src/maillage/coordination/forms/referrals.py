from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.lib import referrals as path
from maillage.record.forms import DateInput, TimeInput


class ReferralForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why"),
        help_text=_("What the receiver needs to know to welcome the person."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    wishes = forms.CharField(
        label=_("What the person wants, in their words"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents = forms.CharField(
        label=_("Documents to send"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


STEP_LABELS = {
    path.AGREED: _("The person agrees"),
    path.SENT: _("Sent to the receiver"),
    path.RECEIVED: _("The receiver has it"),
    path.APPOINTMENT: _("An appointment is set"),
    path.DONE: _("Done"),
    path.NOT_DONE: _("Not done"),
}


class StepForm(forms.Form):
    status = forms.ChoiceField(label=_("Next step"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required for “not done”: say why."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    appointment_date = forms.DateField(
        label=_("Appointment date"), required=False, widget=DateInput()
    )
    appointment_time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput())
    feedback = forms.CharField(
        label=_("Feedback from the receiver"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (step, STEP_LABELS[step]) for step in path.NEXT.get(current, ())
        ]
        self.current = current

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if status == path.NOT_DONE and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why it was not done."))
        if status == path.APPOINTMENT and not data.get("appointment_date"):
            self.add_error("appointment_date", _("Give the date of the appointment."))
        return data
