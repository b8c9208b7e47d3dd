from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.lib import identity as identity_rules
from maillage.lib.nir import check_nir, clean_nir, nir_consistency
from maillage.lib.partial_date import PartialDate, parse_partial_date
from maillage.people.actions import CONTACT_FIELDS
from maillage.people.choices import LANGUAGES, DocumentType, IdentityStatus, Sex
from maillage.people.messages import DATE_MESSAGES, NIR_MESSAGES, STATUS_MESSAGES
from maillage.people.models import Person, Relation

PLACE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class PersonForm(forms.ModelForm):  # type: ignore[type-arg]
    """Registration and identity correction, with the identity-vigilance rules."""

    birth_date = forms.CharField(
        label=_("Date of birth"),
        required=False,
        max_length=10,
        help_text=_("dd/mm/yyyy — write 00 for an unknown day or month (00/03/1985)."),
    )
    nir = forms.CharField(
        label=_("Social security number (NIR)"),
        required=False,
        max_length=21,
        help_text=_("15 characters including the key; optional."),
    )
    ins_retrieved = forms.BooleanField(
        label=_("INS retrieved through the INSi service, traits identical"), required=False
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = [
            "birth_name",
            "given_names",
            "used_name",
            "used_given_name",
            "preferred_name",
            "pronouns",
            "sex",
            "birth_place_code",
            "birth_place_label",
            "nir",
            "declared_identity",
            "document_type",
            "legal_representative_document_checked",
            "doubtful_identity",
            "fictitious_identity",
            "identity_status",
            *CONTACT_FIELDS,
            "languages",
            "interpreter_needed",
            "interpreting_language",
            "reception_notes",
        ]
        localized_fields = ("latitude", "longitude")
        widgets = {
            # Text, not number: a French keyboard types a decimal comma.
            "latitude": forms.TextInput(attrs={"inputmode": "decimal"}),
            "longitude": forms.TextInput(attrs={"inputmode": "decimal"}),
            "reception_notes": forms.Textarea(attrs={"rows": 3}),
            "sex": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = Sex.choices  # type: ignore[attr-defined]
        self.fields["identity_status"].help_text = _(
            "Provisional until a high-trust document is checked or the INS is retrieved."
        )
        instance = self.instance
        if instance.pk:
            birth = instance.birth_date
            self.initial.setdefault("birth_date", birth.french() if birth else "")
            self.initial.setdefault("ins_retrieved", instance.ins_retrieved_at is not None)
        for name in ("birth_name", "given_names"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})

    def clean_birth_date(self) -> PartialDate | None:
        text = self.cleaned_data.get("birth_date", "").strip()
        if not text:
            return None
        try:
            return parse_partial_date(text)
        except ValueError as exc:
            code = str(exc)
            raise forms.ValidationError(
                DATE_MESSAGES.get(code, DATE_MESSAGES["date_unparseable"]), code=code
            ) from None

    def clean_nir(self) -> str:
        text = self.cleaned_data.get("nir", "")
        if not text.strip():
            return ""
        check = check_nir(text)
        if not check.valid:
            message = NIR_MESSAGES[check.problem or "format"]
            raise forms.ValidationError(
                message,
                code=f"nir_{check.problem}",
                params={"expected": check.expected_key, "given": check.given_key},
            )
        return clean_nir(text)

    def clean_birth_place_code(self) -> str:
        code = self.cleaned_data.get("birth_place_code", "").strip().upper()
        if code and not PLACE_CODE_RE.match(code):
            raise forms.ValidationError(
                _(
                    "An INSEE code has 5 characters: a commune (75056, 2A004) or a country "
                    "(99 followed by 3 digits, for example 99350 for Morocco)."
                )
            )
        return code

    def clean_birth_name(self) -> str:
        return " ".join(self.cleaned_data.get("birth_name", "").split()).upper()

    def clean_used_name(self) -> str:
        return " ".join(self.cleaned_data.get("used_name", "").split()).upper()

    def clean_given_names(self) -> str:
        return " ".join(self.cleaned_data.get("given_names", "").split())

    def clean_latitude(self) -> float | None:
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise forms.ValidationError(_("A latitude is between -90 and 90."))
        return value

    def clean_longitude(self) -> float | None:
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise forms.ValidationError(_("A longitude is between -180 and 180."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        birth: PartialDate | None = data.get("birth_date")
        data["birth_year"] = birth.year if birth else None
        data["birth_month"] = birth.month if birth else None
        data["birth_day"] = birth.day if birth else None
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            self.add_error("longitude", _("Give both the latitude and the longitude, or neither."))
        nir = data.get("nir", "")
        if nir and "nir" not in self.errors:
            for code in nir_consistency(
                nir,
                sex=data.get("sex"),
                birth_year=data["birth_year"],
                birth_month=data["birth_month"],
            ):
                self.add_error("nir", NIR_MESSAGES[code])
        ins_retrieved = bool(data.get("ins_retrieved"))
        if ins_retrieved and not nir:
            self.add_error("nir", STATUS_MESSAGES["status_requires_nir"])
        evidence = identity_rules.IdentityEvidence(
            document_type=data.get("document_type") or DocumentType.NONE,
            document_checked=(data.get("document_type") or "none") != "none",
            ins_retrieved=ins_retrieved,
            is_minor=bool(birth and birth.is_minor_on(date.today())),
            legal_representative_document_checked=bool(
                data.get("legal_representative_document_checked")
            ),
            declared_identity=bool(data.get("declared_identity")),
            doubtful=bool(data.get("doubtful_identity")),
            fictitious=bool(data.get("fictitious_identity")),
            has_nir=bool(nir),
        )
        status = data.get("identity_status") or IdentityStatus.PROVISIONAL
        for code in identity_rules.status_problems(status, evidence):
            self.add_error("identity_status", STATUS_MESSAGES.get(code, code))
        if ins_retrieved:
            previous = self.instance.ins_retrieved_at if self.instance.pk else None
            data["ins_retrieved_at"] = previous or timezone.now()
        else:
            data["ins_retrieved_at"] = None
        if data.get("interpreter_needed") and not data.get("interpreting_language"):
            self.add_error("interpreting_language", _("Choose the language in which to interpret."))
        return data

    def person_data(self) -> dict[str, Any]:
        """Cleaned values for ``do_register_person`` / ``do_update_identity``."""
        data = dict(self.cleaned_data)
        data.pop("birth_date", None)
        data.pop("ins_retrieved", None)
        return data


class CorrectionReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text=_("Required: the former identity stays readable with this reason."),
    )


class RelationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Relation
        fields = [
            "kind",
            "name",
            "is_legal_representative",
            "phone",
            "email",
            "how_to_reach",
            "team_may_contact",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class ArrivalForm(forms.Form):
    reason = forms.CharField(label=_("Reason for coming"), max_length=200, required=False)


class MergeForm(forms.Form):
    keep = forms.ChoiceField(label=_("Record to keep"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why these two records are the same person"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    def __init__(self, *args: Any, persons: tuple[Person, Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.display_name} (n° {p.pk})") for p in persons
        ]


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why they are different persons"), max_length=300, required=False
    )
