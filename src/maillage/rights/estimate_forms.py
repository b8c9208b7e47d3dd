"""The household form of an estimate of potential rights: who lives in it (dates of
birth), what each adult received over the last 12 months, housing, commune, disability
rate and stay conditions. Prefilled from the person's record and living conditions, or
from their latest estimate."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.people.models import Person
from maillage.record.forms import DateInput
from maillage.rights.models import AdministrativeStatus, Housing, LivingConditions, RightsEstimate
from maillage.rights.openfisca import Household, Member

CHILDREN = 6

# Resources an adult receives in their own name, and those paid to the household.
PERSONAL = [
    ("wages", _("Wages (net)")),
    ("unemployment", _("Unemployment benefit")),
    ("pension", _("Pension")),
    ("invalidity", _("Invalidity pension")),
    ("sick_pay", _("Sick pay")),
    ("alimony", _("Alimony received")),
    ("aah", _("AAH")),
]
HOUSEHOLD = [
    ("rsa", _("RSA")),
    ("ppa", _("Prime d'activité")),
    ("family", _("Family benefits")),
    ("housing_aid", _("Housing aid")),
]
HOUSING_CHOICES = [
    ("", "—"),
    ("tenant", _("Tenant (private, unfurnished)")),
    ("furnished_tenant", _("Tenant (furnished)")),
    ("social_tenant", _("Tenant (social housing)")),
    ("owner", _("Owner")),
    ("hosted", _("Hosted free of charge")),
    ("homeless", _("No home (street, shelter, hotel…)")),
]
# How living conditions prefill the housing of an estimate.
FROM_LIVING: dict[str, str] = {
    Housing.OWNER: "owner",
    Housing.TENANT: "tenant",
    Housing.SOCIAL_TENANT: "social_tenant",
    Housing.HOSTED: "hosted",
    Housing.EMERGENCY: "homeless",
    Housing.CHRS: "homeless",
    Housing.HOTEL: "homeless",
    Housing.SQUAT: "homeless",
    Housing.STREET: "homeless",
}
STAY_CHOICES = [
    ("", pgettext_lazy("stay", "Not known")),
    ("regular", _("French, European, or with a residence permit or a receipt")),
    ("irregular", _("Without a residence permit")),
]


def _amount(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100000),
        max_digits=9,
        decimal_places=2,
        localize=True,
        error_messages={"min_value": _("A resource cannot be negative.")},
        **kwargs,
    )


def _months() -> forms.IntegerField:
    return forms.IntegerField(
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "min_value": _("Between 1 and 12 months."),
            "max_value": _("Between 1 and 12 months."),
        },
    )


class NotFuture(forms.DateField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, widget=DateInput(), **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))


class EstimateForm(forms.Form):
    birth_date = NotFuture(label=_("Date of birth of the person"))
    disability_rate = forms.IntegerField(
        label=_("Disability rate of the person (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("As decided by the MDPH, if any."),
    )
    couple = forms.BooleanField(label=_("Lives as a couple"), required=False)
    partner_birth_date = NotFuture(label=_("Date of birth of the partner"))
    partner_disability_rate = forms.IntegerField(
        label=_("Disability rate of the partner (%)"), required=False, min_value=0, max_value=100
    )
    housing = forms.ChoiceField(label=_("Housing"), choices=HOUSING_CHOICES, required=False)
    rent = _amount(label=_("Rent per month, charges excluded (€)"))
    commune = forms.CharField(
        label=_("Commune (INSEE code)"),
        required=False,
        max_length=5,
        validators=[RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Five characters, like 75056."))],
        help_text=_("Where the household lives; it matters for housing aid."),
    )
    stay = forms.ChoiceField(
        label=_("Right to stay in France"), choices=STAY_CHOICES, required=False
    )
    in_france_since = NotFuture(label=_("In France since"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index in range(1, CHILDREN + 1):
            self.fields[f"child_{index}"] = NotFuture(
                label=_("Date of birth of child %(n)s") % {"n": index}
            )
        for code, label in PERSONAL:
            for who, whose in (("p", _("the person")), ("c", _("the partner"))):
                self.fields[f"{who}_{code}"] = _amount(
                    label=_("%(what)s of %(whose)s, per month (€)")
                    % {"what": label, "whose": whose}
                )
                self.fields[f"{who}_{code}_months"] = _months()
                self.fields[f"{who}_{code}_months"].label = _(
                    "%(what)s of %(whose)s: for how many of the last 12 months"
                ) % {"what": label, "whose": whose}
        for code, label in HOUSEHOLD:
            self.fields[f"h_{code}"] = _amount(
                label=_("%(what)s of the household, per month (€)") % {"what": label}
            )
            self.fields[f"h_{code}_months"] = _months()
            self.fields[f"h_{code}_months"].label = _(
                "%(what)s of the household: for how many of the last 12 months"
            ) % {"what": label}

    # What the template lays out as a table of resources.
    def resource_rows(self) -> list[dict[str, Any]]:
        rows = [
            {
                "label": label,
                "person": (self[f"p_{code}"], self[f"p_{code}_months"]),
                "partner": (self[f"c_{code}"], self[f"c_{code}_months"]),
            }
            for code, label in PERSONAL
        ]
        rows += [
            {"label": label, "household": (self[f"h_{code}"], self[f"h_{code}_months"])}
            for code, label in HOUSEHOLD
        ]
        return rows

    def children_fields(self) -> list[forms.BoundField]:
        return [self[f"child_{i}"] for i in range(1, CHILDREN + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("housing") in {"tenant", "furnished_tenant", "social_tenant"} and (
            data.get("rent") is None
        ):
            self.add_error("rent", _("Give the rent of a tenant, or leave housing empty."))
        if not data.get("couple") and (
            data.get("partner_birth_date")
            or any(data.get(f"c_{code}") for code, _label in PERSONAL)
        ):
            self.add_error("couple", _("Tick this box to count a partner."))
        return data

    def household(self) -> Household:
        data = self.cleaned_data

        def resources(prefix: str, codes: list[tuple[str, Any]]) -> dict[str, tuple[Decimal, int]]:
            found: dict[str, tuple[Decimal, int]] = {}
            for code, _label in codes:
                amount = data.get(f"{prefix}_{code}")
                if amount:
                    found[code] = (amount, data.get(f"{prefix}_{code}_months") or 12)
            return found

        applicant = Member(
            "applicant",
            data.get("birth_date"),
            resources("p", PERSONAL) | resources("h", HOUSEHOLD),
            data.get("disability_rate"),
        )
        members = [applicant]
        if data.get("couple"):
            members.append(
                Member(
                    "partner",
                    data.get("partner_birth_date"),
                    resources("c", PERSONAL),
                    data.get("partner_disability_rate"),
                )
            )
        for index in range(1, CHILDREN + 1):
            born = data.get(f"child_{index}")
            if born:
                members.append(Member("child", born))
        stay = data.get("stay")
        return Household(
            members,
            housing=data.get("housing") or "",
            rent=data.get("rent"),
            commune=(data.get("commune") or "").upper(),
            irregular_stay=None if not stay else stay == "irregular",
            in_france_since=data.get("in_france_since"),
        )


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def initial_for(
    person: Person, living: LivingConditions | None, latest: RightsEstimate | None
) -> dict[str, Any]:
    """The form's first values: the latest estimate's household, else what the record
    and the living conditions say."""
    if latest is not None:
        return initial_from_estimate(latest.inputs)
    initial: dict[str, Any] = {"commune": person.commune_code}
    partial = person.birth_date
    if partial is not None and partial.month and partial.day:
        initial["birth_date"] = datetime.date(partial.year, partial.month, partial.day)
    if living is not None:
        initial["housing"] = FROM_LIVING.get(living.housing, "")
        initial["in_france_since"] = living.in_france_since
        if living.administrative_status == AdministrativeStatus.UNDOCUMENTED:
            initial["stay"] = "irregular"
        elif living.administrative_status:
            initial["stay"] = "regular"
    return initial


def initial_from_estimate(inputs: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "housing": inputs.get("housing", ""),
        "rent": Decimal(inputs["rent"]) if inputs.get("rent") else None,
        "commune": inputs.get("commune", ""),
        "in_france_since": _date(inputs.get("in_france_since")),
        "stay": {True: "irregular", False: "regular", None: ""}[inputs.get("irregular_stay")],
    }
    children = 0
    for member in inputs.get("members", []):
        role = member["role"]
        if role == "child":
            children += 1
            if children <= CHILDREN:
                initial[f"child_{children}"] = _date(member["birth_date"])
            continue
        prefix = "p" if role == "applicant" else "c"
        if role == "partner":
            initial["couple"] = True
            initial["partner_birth_date"] = _date(member["birth_date"])
            initial["partner_disability_rate"] = member["disability_rate"]
        else:
            initial["birth_date"] = _date(member["birth_date"])
            initial["disability_rate"] = member["disability_rate"]
        for code, (amount, months) in member["resources"].items():
            field = f"h_{code}" if code in dict(HOUSEHOLD) else f"{prefix}_{code}"
            initial[field] = Decimal(amount)
            initial[f"{field}_months"] = months
    return initial
