"""Forms of the social situation: the person's living conditions on a date (each one saved
as a new snapshot) and the eleven EPICES questions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from maillage.coordination.forms.meetings import check_year
from maillage.lib import epices
from maillage.record.forms import DateInput
from maillage.rights.actions import LIVING_FIELDS
from maillage.rights.models import IncomeSource, LivingConditions

# Nobody arrived in France before this year and still comes to the centre.
FIRST_ARRIVAL_YEAR = 1900
# A household larger than this is a typing mistake.
MOST_IN_HOUSEHOLD = 99


def _not_in_future(form: forms.BaseForm, name: str, day: datetime.date | None) -> None:
    if day is not None and day > timezone.localdate():
        form.add_error(name, _("This date cannot be in the future."))


def _people(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MOST_IN_HOUSEHOLD,
        error_messages={
            "min_value": _("A number of people cannot be negative."),
            "max_value": _("Give a number of people up to %(limit_value)s."),
        },
    )


def _label(name: str) -> Any:
    field = LivingConditions._meta.get_field(name)
    assert isinstance(field, models.Field)
    return capfirst(field.verbose_name)


GROUPS: list[tuple[Any, tuple[str, ...]]] = [
    (_("Housing"), ("housing", "housing_details")),
    (_("Household"), ("adults", "children", "household_details")),
    (_("Work and income"), ("work", "income_sources", "monthly_income")),
    (_("Daily life"), ("food_insecurity", "transport", "isolation", "digital")),
    (
        _("Administrative situation"),
        ("administrative_status", "permit_type", "permit_expires_on", "in_france_since"),
    ),
    (_("Domiciliation and notes"), ("domiciliation", "notes")),
]


class LivingConditionsForm(forms.ModelForm):  # type: ignore[type-arg]
    """The person's situation on a date. It is never saved by the form: the view gives the
    cleaned data to ``do_record_living_conditions``, which keeps the earlier ones."""

    as_of = forms.DateField(label=_label("as_of"), widget=DateInput())
    adults = _people(_label("adults"))
    children = _people(_label("children"))
    income_sources = forms.MultipleChoiceField(
        label=_label("income_sources"),
        choices=IncomeSource.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    monthly_income = forms.DecimalField(
        label=_label("monthly_income"),
        required=False,
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        help_text=_("All the household's income in a month, in euros, as the person says."),
        error_messages={"min_value": _("An income cannot be negative: give 0 or more.")},
    )

    class Meta:
        model = LivingConditions
        fields: ClassVar = ["as_of", *LIVING_FIELDS]
        widgets: ClassVar = {
            "permit_expires_on": DateInput(),
            "in_france_since": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        as_of = data.get("as_of")
        if check_year(self, "as_of", as_of):
            _not_in_future(self, "as_of", as_of)
        check_year(self, "permit_expires_on", data.get("permit_expires_on"))
        arrived = data.get("in_france_since")
        if arrived is not None and arrived.year < FIRST_ARRIVAL_YEAR:
            self.add_error(
                "in_france_since",
                _("Give a year from %(first)s.") % {"first": FIRST_ARRIVAL_YEAR},
            )
        else:
            _not_in_future(self, "in_france_since", arrived)
        sources = data.get("income_sources") or []
        if IncomeSource.NONE in sources and len(sources) > 1:
            self.add_error(
                "income_sources", _("“No income” cannot be ticked with a source of income.")
            )
        return data

    def living_data(self) -> tuple[datetime.date, dict[str, Any]]:
        """The date of the situation and the rest, as ``do_record_living_conditions``
        takes them."""
        data = {name: self.cleaned_data[name] for name in LIVING_FIELDS}
        return self.cleaned_data["as_of"], data

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields by theme, each theme a fieldset of the page."""
        return [(legend, [self[name] for name in names]) for legend, names in GROUPS]

    @staticmethod
    def initial_from(current: LivingConditions | None) -> dict[str, Any]:
        """The last situation recorded, to be corrected into a new one dated today."""
        initial: dict[str, Any] = {"as_of": timezone.localdate()}
        if current is not None:
            initial.update({name: getattr(current, name) for name in LIVING_FIELDS})
        return initial


# --- EPICES -----------------------------------------------------------------------------

# The published questions (BEH 2006), in English msgids, by code.
QUESTIONS: dict[str, Any] = {
    "social_worker": _("Do you sometimes meet a social worker?"),
    "complementary_insurance": _("Do you have complementary health insurance (mutuelle)?"),
    "couple": _("Do you live as a couple?"),
    "home_owner": _("Do you own your home?"),
    "financial_difficulties": _(
        "Are there times in the month when you have real difficulty meeting your needs "
        "(food, rent, electricity…)?"
    ),
    "sport": _("Have you done any sport in the last 12 months?"),
    "show": _("Have you been to a show (cinema, theatre…) in the last 12 months?"),
    "holidays": _("Have you gone on holiday in the last 12 months?"),
    "family_contacts": _(
        "In the last 6 months, have you been in contact with members of your family other "
        "than your parents or children?"
    ),
    "someone_to_host": _(
        "If you had difficulties, is there anyone around you who could put you up for a few days?"
    ),
    "someone_to_help": _(
        "If you had difficulties, is there anyone around you who could give you material help?"
    ),
}
YES, NO = "yes", "no"
ANSWERS = [(YES, _("Yes")), (NO, _("No"))]


class EpicesForm(forms.Form):
    """The date of the answers and the eleven questions, each answered yes or no."""

    answered_on = forms.DateField(label=_("Answered on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answered_on"].initial = timezone.localdate()
        for number, code in enumerate(epices.CODES, start=1):
            self.fields[code] = forms.ChoiceField(
                label=_("%(n)s. %(question)s") % {"n": number, "question": QUESTIONS[code]},
                choices=ANSWERS,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Answer this question: the score needs all eleven answers.")
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("answered_on")
        if check_year(self, "answered_on", day):
            _not_in_future(self, "answered_on", day)
        return data

    def answers(self) -> dict[str, bool]:
        return {code: self.cleaned_data[code] == YES for code in epices.CODES}

    def question_fields(self) -> list[forms.BoundField]:
        return [self[code] for code in epices.CODES]
