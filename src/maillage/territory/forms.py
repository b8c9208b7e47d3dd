from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from typing import Any

from data_inclusion.schema import v1
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Structure
from maillage.core.widgets import QuickSelect
from maillage.lib import geo, rpps
from maillage.lib.names import normalize
from maillage.people.choices import LANGUAGES
from maillage.territory import datainclusion as di
from maillage.territory.models import (
    Commune,
    LinkKind,
    Organisation,
    PopulationFigure,
    Profession,
    Territory,
)
from maillage.territory.queries import DirectoryFilters, find_commune

ACCEPTS = [
    ("accepts_ame", _("accepts people with AME")),
    ("accepts_css", _("accepts people with CSS")),
    ("accepts_uninsured", _("accepts people without any coverage")),
    ("third_party_payment", _("third-party payment")),
    ("sector_1", _("sector 1 fees")),
    ("interpreting", _("interpreting available")),
    ("wheelchair_access", _("wheelchair access")),
]
DEFAULT_KM = 3


class TriState(forms.NullBooleanSelect):
    """Yes / No / Not known, showing the stored value back (a plain ``Select`` would
    render ``True`` as no option at all, and a save would lose what was known)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("Not known")), ("true", _("Yes")), ("false", _("No"))]


def theme_choices() -> list[tuple[str, Any]]:
    """Categories of the schema, each followed by its thématiques."""
    themes = di.choices("thematiques")
    result: list[tuple[str, Any]] = [("", _("All"))]
    for category, category_label in [(c.value, c.label) for c in v1.Categorie]:
        result.append((category, category_label))
        result += [
            (value, f"— {label}") for value, label in themes if value.startswith(category + "--")
        ]
    return result


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    theme = forms.ChoiceField(label=_("Theme"), required=False, widget=QuickSelect)
    public = forms.ChoiceField(label=_("Public"), required=False, widget=QuickSelect)
    language = forms.ChoiceField(label=_("Language spoken"), required=False, widget=QuickSelect)
    mode = forms.ChoiceField(label=_("Way of being received"), required=False, widget=QuickSelect)
    accepts = forms.MultipleChoiceField(
        label=_("Only those that"),
        required=False,
        choices=ACCEPTS,
        widget=forms.CheckboxSelectMultiple,
    )
    commune = forms.CharField(
        label=_("Near the centre of a commune"),
        help_text=_("Its name or INSEE code."),
        required=False,
        max_length=120,
    )
    km = forms.DecimalField(
        label=_("Within (km)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("100"),
        decimal_places=1,
        localize=True,
    )
    person = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    open_at = forms.DateTimeField(
        label=_("Open at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["theme"].choices = theme_choices()  # type: ignore[attr-defined]
        self.fields["public"].choices = everything + di.choices("publics")  # type: ignore[attr-defined]
        self.fields["language"].choices = everything + [  # type: ignore[attr-defined]
            (code, name) for code, name in LANGUAGES if code
        ]
        self.fields["mode"].choices = everything + di.choices("modes_accueil")  # type: ignore[attr-defined]

    def clean_commune(self) -> Commune | None:
        text = (self.cleaned_data.get("commune") or "").strip()
        if not text:
            return None
        commune = find_commune(text)
        if commune is None:
            raise forms.ValidationError(_("No commune of this name or code."))
        if commune.latitude is None or commune.longitude is None:
            raise forms.ValidationError(
                _("The centre of %(name)s is not known: an administrator can add it."),
                params={"name": commune.name},
            )
        return commune

    def filters(self, near: tuple[float, float] | None = None) -> DirectoryFilters:
        """The search; ``near`` (a person's address) wins over the commune."""
        if not self.is_valid():
            return DirectoryFilters()
        d = self.cleaned_data
        commune = d.get("commune")
        if near is None and commune is not None:
            near = (commune.latitude, commune.longitude)
        open_at: datetime.datetime | None = d.get("open_at")
        if open_at is not None and timezone.is_naive(open_at):
            open_at = timezone.make_aware(open_at)
        return DirectoryFilters(
            text=d.get("q") or "",
            theme=d.get("theme") or "",
            public=d.get("public") or "",
            language=d.get("language") or "",
            accepts=tuple(d.get("accepts") or ()),
            mode=d.get("mode") or "",
            open_at=open_at,
            near=near,
            km=float(d.get("km") or DEFAULT_KM),
        )


class HealthAccessForm(forms.Form):
    """What the team knows of an organisation or a service, beyond data·inclusion."""

    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        required=False,
        choices=[(code, name) for code, name in LANGUAGES if code],
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    interpreting = forms.NullBooleanField(label=_("Interpreting available"), widget=TriState)
    accepts_ame = forms.NullBooleanField(label=_("Accepts people with AME"), widget=TriState)
    accepts_css = forms.NullBooleanField(label=_("Accepts people with CSS"), widget=TriState)
    accepts_uninsured = forms.NullBooleanField(
        label=_("Accepts people without any coverage"), widget=TriState
    )
    third_party_payment = forms.NullBooleanField(
        label=_("Third-party payment (tiers payant)"), widget=TriState
    )
    sector_1 = forms.NullBooleanField(label=_("Sector 1 fees"), widget=TriState)
    wheelchair_access = forms.NullBooleanField(label=_("Wheelchair access"), widget=TriState)
    contact_name = forms.CharField(
        label=_("Contact person the team knows"), required=False, max_length=150
    )
    contact_details = forms.CharField(label=_("How to reach them"), required=False, max_length=200)
    team_notes = forms.CharField(
        label=_("Team notes"),
        help_text=_("How it really works there. Seen by the team only, never exported."),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".json,.csv"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    upload = MultipleFileField(
        label=_("data·inclusion files (JSON or CSV)"),
        help_text=_(
            "A JSON file of structures and services, or CSV files: one of structures, one of "
            "services."
        ),
    )


IRIS_RE = re.compile(r"^(\d{5}|2[AB]\d{3})\d{4}$")
AREA_PROBLEMS = {
    "no_polygon": _("This is not a GeoJSON polygon (Polygon, MultiPolygon or a Feature of one)."),
    "short_ring": _("A ring of the polygon has fewer than four points."),
    "bad_point": _("A point of the polygon is not a longitude and a latitude."),
}


def _codes(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\s,;]+", text) if part.strip()]


class TerritoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"),
        help_text=_("How the people who live there describe it; what matters there."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    communes = forms.CharField(
        label=_("Communes"),
        help_text=_("INSEE codes or names, separated by commas."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    iris_codes = forms.CharField(
        label=_("IRIS units"),
        help_text=_("IRIS codes (9 characters), separated by commas."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    area = forms.CharField(
        label=_("Drawn area (GeoJSON)"),
        help_text=_("A polygon exported from a map tool (longitude, latitude)."),
        required=False,
        max_length=500_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    area_file = forms.FileField(label=_("…or a GeoJSON file"), required=False)

    def clean_communes(self) -> list[Commune]:
        found: list[Commune] = []
        unknown: list[str] = []
        for text in re.split(r"[,;\n]+", self.cleaned_data.get("communes") or ""):
            text = text.strip()
            if not text:
                continue
            commune = find_commune(text)
            if commune is None:
                unknown.append(text)
            elif commune not in found:
                found.append(commune)
        if unknown:
            raise forms.ValidationError(
                _("Unknown communes: %(names)s."), params={"names": ", ".join(unknown[:10])}
            )
        return found

    def clean_iris_codes(self) -> list[str]:
        codes = [code.upper() for code in _codes(self.cleaned_data.get("iris_codes") or "")]
        wrong = [code for code in codes if not IRIS_RE.match(code)]
        if wrong:
            raise forms.ValidationError(
                _("Not IRIS codes (5 characters of the commune, then 4 digits): %(codes)s."),
                params={"codes": ", ".join(wrong[:10])},
            )
        return sorted(set(codes))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("area_file")
        text = data.get("area") or ""
        if upload is not None:
            if upload.size > 5 * 1024 * 1024:
                self.add_error("area_file", _("This file is too big for an area (at most 5 MB)."))
                return data
            text = upload.read().decode("utf-8", errors="replace")
        data["area"] = None
        if text.strip():
            try:
                area = json.loads(text)
            except ValueError:
                self.add_error("area", _("This is not GeoJSON: the text is not valid JSON."))
                return data
            problem = geo.check_area(area)
            if problem:
                self.add_error("area", AREA_PROBLEMS[problem])
            else:
                data["area"] = area
        if not (data.get("communes") or data.get("iris_codes") or data.get("area") or self.errors):
            raise forms.ValidationError(_("Give at least communes, IRIS units or a drawn area."))
        return data


class PopulationFigureForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PopulationFigure
        fields = ["label", "value", "source", "year"]
        localized_fields = ["value"]

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if not 1800 <= year <= timezone.localdate().year:
            raise forms.ValidationError(_("A year between 1800 and this year."))
        return int(year)


PopulationFigureFormSet = forms.inlineformset_factory(
    Territory, PopulationFigure, form=PopulationFigureForm, extra=2, can_delete=True
)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data


RPPS_WARNING = _(
    "This RPPS number does not pass the key check. It is kept: check it on the national "
    "directory when you can."
)


class ProfessionalForm(HealthAccessForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    speciality = forms.CharField(label=_("Speciality"), max_length=150, required=False)
    rpps = forms.CharField(
        label=_("RPPS number"),
        help_text=_("11 digits, on the prescription or the national directory."),
        max_length=20,
        required=False,
    )
    place_name = forms.CharField(
        label=_("Place of practice (a structure of the directory)"),
        help_text=_("Its name as in the directory; leave empty and give the address below."),
        max_length=150,
        required=False,
    )
    adresse = forms.CharField(label=_("Address"), max_length=300, required=False)
    code_postal = forms.CharField(label=_("Postcode"), max_length=5, required=False)
    commune = forms.CharField(label=_("Commune"), max_length=120, required=False)
    telephone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    courriel = forms.EmailField(label=_("E-mail"), required=False)

    field_order = [
        "name",
        "profession",
        "speciality",
        "rpps",
        "place_name",
        "adresse",
        "code_postal",
        "commune",
        "telephone",
        "courriel",
    ]

    def __init__(self, *args: Any, owner: Structure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.rpps_warning = False

    def clean_rpps(self) -> str:
        number = rpps.normalise(self.cleaned_data.get("rpps") or "")
        if not number:
            return ""
        problem = rpps.check(number)
        if problem == "not_11_digits":
            raise forms.ValidationError(_("An RPPS number has 11 digits."))
        self.rpps_warning = problem == "bad_key"
        return number

    def clean_place_name(self) -> Organisation | None:
        text = (self.cleaned_data.get("place_name") or "").strip()
        if not text:
            return None
        folded = normalize(text)
        matches = [
            o
            for o in Organisation.objects.filter(
                owner=self.owner, is_active=True, search_text__startswith=folded
            )
            if normalize(o.nom) == folded
        ]
        if not matches:
            raise forms.ValidationError(_("No structure of this name in the directory."))
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several structures have this name: %(places)s. Give the address instead."),
                params={"places": ", ".join(f"{o.nom} ({o.commune})" for o in matches[:5])},
            )
        return matches[0]

    def professional_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["place"] = data.pop("place_name")
        return data


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relation"), choices=LinkKind.choices)
    target = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
