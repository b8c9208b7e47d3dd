"""Forms of the shared record. Every choice offered is limited to what the member may do."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.access import RecordAccess
from maillage.core.fields import BoundedModelMultipleChoiceField
from maillage.core.models import Member
from maillage.core.roles import Role, Section
from maillage.lib import observations as obs
from maillage.lib.icd10 import is_icd10_code
from maillage.lib.icpc2 import normalise_codes
from maillage.people.choices import LANGUAGES
from maillage.record.actions import EncounterInput, ObservationInput
from maillage.record.choices import (
    UNIT_LABELS,
    CodeSystem,
    EncounterKind,
    EntryKind,
    ObservationKind,
    Place,
    ProblemStatus,
    TreatmentStatus,
)
from maillage.record.models import Entry
from maillage.record.queries import icpc2_titles

OBSERVATION_MESSAGES = {
    "not_a_number": _("Write a number, for example 72,5."),
    "out_of_range": _(
        "This value is outside what is possible (%(minimum)s to %(maximum)s %(unit)s): "
        "check the figure and the unit."
    ),
    "second_value_missing": _("Write both values of the blood pressure: systolic and diastolic."),
    "second_out_of_range": _(
        "The diastolic value is outside what is possible (%(minimum)s to %(maximum)s mmHg)."
    ),
    "diastolic_not_below_systolic": _(
        "The diastolic value (the second one) must be lower than the systolic one."
    ),
}


def icpc2_codes(text: str) -> list[str]:
    """The ICPC-2 codes typed in ``text``, normalised; a ValidationError in plain words
    for a code that is not one — or, when the server has a list of rubrics, that is not
    in it."""
    try:
        codes = normalise_codes(text)
    except ValueError as exc:
        raise forms.ValidationError(
            _("“%(code)s” is not an ICPC-2 code: a letter and two digits, for example R05."),
            code="icpc2_format",
            params={"code": exc.args[0]},
        ) from None
    _version, titles = icpc2_titles()
    unknown = [code for code in codes if titles and code not in titles]
    if unknown:
        raise forms.ValidationError(
            _("“%(code)s” is not in the list of ICPC-2 rubrics loaded on this server."),
            code="icpc2_unknown",
            params={"code": unknown[0]},
        )
    return codes


def observation_error(kind: str, error: obs.ObservationError) -> tuple[bool, forms.ValidationError]:
    """The plain-French error for a refused measure, and whether it is about the second
    (diastolic) value rather than the first."""
    code = error.args[0]
    spec = obs.KINDS[kind]
    second = code == "second_out_of_range"
    message = OBSERVATION_MESSAGES.get(code, OBSERVATION_MESSAGES["not_a_number"])
    params = {
        "minimum": spec.second_minimum if second else spec.minimum,
        "maximum": spec.second_maximum if second else spec.maximum,
        "unit": UNIT_LABELS[spec.unit],
    }
    return second, forms.ValidationError(message, code=code, params=params)


# The section an encounter is filed in by default, by role.
DEFAULT_SECTION: dict[str, str] = {
    Role.GP: Section.CLINICAL,
    Role.NURSE: Section.CLINICAL,
    Role.MIDWIFE: Section.CLINICAL,
    Role.PHYSIOTHERAPIST: Section.CLINICAL,
    Role.OTHER_CLINICIAN: Section.CLINICAL,
    Role.PSYCHOLOGIST: Section.MENTAL_HEALTH,
    Role.SOCIAL_WORKER: Section.SOCIAL,
    Role.LEGAL_ADVISER: Section.SOCIAL,
    Role.MEDIATOR: Section.SOCIAL,
    Role.COORDINATOR: Section.COORDINATION,
    Role.RECEPTION: Section.ADMINISTRATIVE,
}


def default_section(access: RecordAccess) -> str:
    preferred = DEFAULT_SECTION.get(access.member.role, "")
    if preferred and access.can_write(preferred):
        return preferred
    writable = [s for s in Section.values if access.can_write(s)]
    return writable[0] if writable else ""


def section_choices(access: RecordAccess) -> list[tuple[str, Any]]:
    return [(value, label) for value, label in Section.choices if access.can_write(value)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def _lines(text: str) -> list[tuple[str, str]]:
    """ "Dr Martin — cardiologue" lines → (name, detail) pairs."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for separator in (" — ", " - ", ",", ":"):
            if separator in line:
                name, detail = line.split(separator, 1)
                pairs.append((name.strip()[:200], detail.strip()[:200]))
                break
        else:
            pairs.append((line[:200], ""))
    return pairs


class MemberChoiceField(BoundedModelMultipleChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.display_name} — {obj.get_profession_display()}"


class InterpreterChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return obj.display_name


class ObservationFieldsMixin:
    """One optional field per measure; blood pressure has two."""

    OBSERVATION_FIELDS = (
        ("weight", ObservationKind.WEIGHT),
        ("height", ObservationKind.HEIGHT),
        ("bp_systolic", ObservationKind.BLOOD_PRESSURE),
        ("heart_rate", ObservationKind.HEART_RATE),
        ("temperature", ObservationKind.TEMPERATURE),
        ("hba1c", ObservationKind.HBA1C),
        ("capillary_glucose", ObservationKind.CAPILLARY_GLUCOSE),
        ("spo2", ObservationKind.SPO2),
    )
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_observation_fields(self) -> None:
        for name, kind in self.OBSERVATION_FIELDS:
            unit = UNIT_LABELS[obs.KINDS[kind].unit]
            label = (
                _("Blood pressure, systolic (mmHg)")
                if name == "bp_systolic"
                else f"{ObservationKind(kind).label} ({unit})"
            )
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
        self.fields["bp_diastolic"] = forms.CharField(
            label=_("Blood pressure, diastolic (mmHg)"),
            required=False,
            max_length=10,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
        )

    def observation_names(self) -> list[str]:
        return [name for name, _kind in self.OBSERVATION_FIELDS] + ["bp_diastolic"]

    def clean_observations(self, form: forms.Form) -> list[ObservationInput]:
        found: list[ObservationInput] = []
        for name, kind in self.OBSERVATION_FIELDS:
            raw = (self.cleaned_data.get(name) or "").strip()
            raw2 = (
                (self.cleaned_data.get("bp_diastolic") or "").strip()
                if name == "bp_systolic"
                else ""
            )
            if not raw and not raw2:
                continue
            try:
                value = obs.parse_value(raw) if raw else None
                value2 = obs.parse_value(raw2) if raw2 else None
                if value is None:
                    raise obs.ObservationError("second_value_missing")
                obs.check(kind, value, value2)
            except obs.ObservationError as exc:
                second, error = observation_error(kind, exc)
                form.add_error("bp_diastolic" if second else name, error)
                continue
            found.append(ObservationInput(kind, value, value2))
        return found


class EncounterForm(ObservationFieldsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type of encounter"), choices=EncounterKind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), required=False, min_value=1, max_value=1440
    )
    place = forms.ChoiceField(label=_("Place"), choices=[("", "—"), *Place.choices], required=False)
    place_detail = forms.CharField(label=_("Where exactly"), max_length=200, required=False)
    section = forms.ChoiceField(
        label=_("Part of the record"),
        help_text=_(
            "Who may read this encounter depends on the part of the record it is filed in."
        ),
    )
    members = MemberChoiceField(
        label=_("Other team members present (co-consultation)"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interpreter = InterpreterChoiceField(
        label=_("Interpreter of the team"), queryset=Member.objects.none(), required=False
    )
    interpreter_name = forms.CharField(
        label=_("Or outside interpreter (name or service)"), max_length=200, required=False
    )
    interpreting_language = forms.ChoiceField(
        label=_("Language interpreted"), choices=[("", "—"), *LANGUAGES], required=False
    )
    externals = forms.CharField(
        label=_("External professionals present"),
        help_text=_("One per line: name — profession."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    relatives = forms.CharField(
        label=_("Relatives or close persons present"),
        help_text=_("One per line: name — link with the person."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    reason = forms.CharField(
        label=_("Reason for the contact"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    reason_codes = forms.CharField(
        label=_("ICPC-2 codes of the reason (optional)"),
        help_text=_("For example A03, R05 — separated by commas."),
        required=False,
        max_length=200,
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=50000
    )
    note_section = forms.ChoiceField(label=_("Part of the record of the note"))
    concerns_third_party = forms.BooleanField(
        label=_("Concerns a third party (the person will not see it in their space)"),
        required=False,
    )

    def __init__(self, *args: Any, access: RecordAccess, **kwargs: Any) -> None:
        now = timezone.localtime()
        initial = {
            "date": now.date(),
            "time": now.time().replace(second=0, microsecond=0),
            "section": default_section(access),
            "note_section": default_section(access),
            "place": Place.CENTRE,
        }
        initial.update(kwargs.pop("initial", None) or {})
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.access = access
        member = access.member
        team = (
            Member.objects.active().filter(structure_id=member.structure_id).select_related("user")
        )
        others = team.exclude(
            role__in=[Role.INTERPRETER, Role.PARTNER, Role.NETWORK_OBSERVER, Role.ADMIN]
        ).exclude(pk=member.pk)
        members_field: Any = self.fields["members"]
        members_field.queryset = others.order_by("user__last_name", "user__first_name")
        self.fields["interpreter"].queryset = team.filter(role=Role.INTERPRETER)  # type: ignore[attr-defined]
        choices = section_choices(access)
        self.fields["section"].choices = choices  # type: ignore[attr-defined]
        self.fields["note_section"].choices = choices  # type: ignore[attr-defined]
        self.with_observations = access.can_write(Section.CLINICAL)
        if self.with_observations:
            self.add_observation_fields()

    def clean_reason_codes(self) -> list[str]:
        return icpc2_codes(self.cleaned_data.get("reason_codes", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date, time = data.get("date"), data.get("time")
        if date and time:
            when = timezone.make_aware(datetime.datetime.combine(date, time))
            if when > timezone.now() + datetime.timedelta(minutes=5):
                self.add_error("date", _("An encounter cannot be recorded in the future."))
            data["occurred_at"] = when
        if data.get("kind") == EncounterKind.CO_CONSULTATION and not data.get("members"):
            self.add_error(
                "members", _("A co-consultation needs at least one other professional of the team.")
            )
        interpreted = data.get("interpreter") or data.get("interpreter_name")
        if data.get("kind") == EncounterKind.INTERPRETED and not interpreted:
            self.add_error("interpreter", _("Name the interpreter of this session."))
        if interpreted and not data.get("interpreting_language"):
            self.add_error("interpreting_language", _("Choose the language interpreted."))
        data["observations"] = self.clean_observations(self) if self.with_observations else []
        return data

    def encounter_input(self) -> EncounterInput:
        d = self.cleaned_data
        return EncounterInput(
            kind=d["kind"],
            section=d["section"],
            occurred_at=d["occurred_at"],
            place=d.get("place") or "",
            place_detail=d.get("place_detail", ""),
            duration_minutes=d.get("duration_minutes"),
            reason=d.get("reason", "").strip(),
            reason_codes=d.get("reason_codes") or [],
            members=list(d.get("members") or []),
            interpreter=d.get("interpreter"),
            interpreter_name=d.get("interpreter_name", "").strip(),
            interpreting_language=d.get("interpreting_language", ""),
            externals=_lines(d.get("externals", "")),
            relatives=_lines(d.get("relatives", "")),
            note=d.get("note", ""),
            note_section=d.get("note_section") or d["section"],
            concerns_third_party=bool(d.get("concerns_third_party")),
            observations=d.get("observations") or [],
        )


class NoteForm(forms.Form):
    section = forms.ChoiceField(label=_("Part of the record"))
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 6}), max_length=50000
    )
    concerns_third_party = forms.BooleanField(
        label=_("Concerns a third party (the person will not see it in their space)"),
        required=False,
    )

    def __init__(self, *args: Any, access: RecordAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"section": default_section(access)})
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = section_choices(access)  # type: ignore[attr-defined]


class ObservationsForm(ObservationFieldsMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        now = timezone.localtime()
        kwargs.setdefault(
            "initial", {"date": now.date(), "time": now.time().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)
        self.add_observation_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date") and data.get("time"):
            data["occurred_at"] = timezone.make_aware(
                datetime.datetime.combine(data["date"], data["time"])
            )
        data["observations"] = self.clean_observations(self)
        if not data["observations"] and not self.errors:
            raise forms.ValidationError(_("Write at least one measure."))
        return data


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem"), max_length=300)
    code_system = forms.ChoiceField(
        label=_("Code system"), choices=[("", "—"), *CodeSystem.choices], required=False
    )
    code = forms.CharField(label=_("Code (optional)"), max_length=10, required=False)
    onset = forms.DateField(label=_("Since"), required=False, widget=DateInput())
    text = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    section = forms.ChoiceField(label=_("Part of the record"))

    def __init__(self, *args: Any, access: RecordAccess, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"section": Section.CLINICAL})
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [  # type: ignore[attr-defined]
            c for c in section_choices(access) if c[0] in {Section.CLINICAL, Section.MENTAL_HEALTH}
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("code") or "").strip().upper().replace(" ", "")
        system = data.get("code_system") or ""
        data["code"] = code
        if code and not system:
            self.add_error("code_system", _("Say which classification the code comes from."))
        elif code and system == CodeSystem.ICPC2:
            try:
                data["code"] = icpc2_codes(code)[0]
            except forms.ValidationError as error:
                self.add_error("code", error)
        elif code and system == CodeSystem.ICD10 and not is_icd10_code(code):
            self.add_error("code", _("This is not an ICD-10 code, for example E11 or E11.9."))
        if data.get("onset") and data["onset"] > timezone.localdate():
            self.add_error("onset", _("This date is in the future."))
        return data

    @staticmethod
    def problem(data: dict[str, Any]) -> dict[str, Any]:
        """What ``actions.do_add_problem`` takes, from the form's cleaned data."""
        return {
            "title": data["title"],
            "section": data["section"],
            "code_system": data.get("code_system") or "",
            "code": data.get("code") or "",
            "onset": data.get("onset"),
            "text": data.get("text", ""),
        }


class TreatmentForm(forms.Form):
    text = forms.CharField(
        label=_("Treatment"),
        help_text=_("As written on the prescription: medicine, dose, rhythm."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    onset = forms.DateField(label=_("Since"), required=False, widget=DateInput())


class CorrectionForm(forms.Form):
    """A correction of an entry, with its mandatory reason. The fields offered depend on
    the kind of entry; an encounter's and a measure's own details are prefixed
    (``encounter.`` / ``observation.``) in ``changes()``, as ``do_correct_entry`` expects."""

    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=50000
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    ended = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    encounter_kind = forms.ChoiceField(label=_("Type of encounter"), choices=EncounterKind.choices)
    place = forms.ChoiceField(label=_("Place"), choices=[("", "—"), *Place.choices], required=False)
    place_detail = forms.CharField(label=_("Where exactly"), max_length=200, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), required=False, min_value=1, max_value=1440
    )
    encounter_reason = forms.CharField(
        label=_("Reason for the contact"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    value = forms.CharField(label=_("Value"), max_length=10)
    value2 = forms.CharField(
        label=_("Blood pressure, diastolic (mmHg)"), max_length=10, required=False
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        help_text=_("Required: what the entry said before stays readable with this reason."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )

    KEPT: dict[str, tuple[str, ...]] = {
        EntryKind.NOTE: ("text",),
        EntryKind.PROBLEM: ("title", "text", "status", "ended"),
        EntryKind.TREATMENT: ("text", "status", "ended"),
        EntryKind.DOCUMENT: ("title",),
        EntryKind.ENCOUNTER: (
            "encounter_kind",
            "place",
            "place_detail",
            "duration_minutes",
            "encounter_reason",
        ),
        EntryKind.OBSERVATION: ("value", "value2"),
    }
    ENCOUNTER_FIELDS = {
        "encounter_kind": "encounter.kind",
        "place": "encounter.place",
        "place_detail": "encounter.place_detail",
        "duration_minutes": "encounter.duration_minutes",
        "encounter_reason": "encounter.reason",
    }

    def __init__(self, *args: Any, entry: Entry, **kwargs: Any) -> None:
        initial: dict[str, Any] = {
            "title": entry.title,
            "text": entry.text,
            "status": entry.status,
            "ended": entry.ended,
        }
        if entry.kind == EntryKind.ENCOUNTER:
            enc = entry.encounter
            initial |= {
                "encounter_kind": enc.kind,
                "place": enc.place,
                "place_detail": enc.place_detail,
                "duration_minutes": enc.duration_minutes,
                "encounter_reason": enc.reason,
            }
        elif entry.kind == EntryKind.OBSERVATION:
            ob = entry.observation
            initial |= {
                "value": formats.localize_input(ob.value.normalize()),
                "value2": formats.localize_input(ob.value2.normalize()) if ob.value2 else "",
            }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.entry = entry
        if entry.kind == EntryKind.PROBLEM:
            self.fields["status"].choices = ProblemStatus.choices  # type: ignore[attr-defined]
        elif entry.kind == EntryKind.TREATMENT:
            self.fields["status"].choices = TreatmentStatus.choices  # type: ignore[attr-defined]
        keep = self.KEPT.get(entry.kind, ())
        if entry.kind == EntryKind.OBSERVATION:
            kind = obs.KINDS[entry.observation.kind]
            self.fields["value"].label = _("Value (%(unit)s)") % {"unit": UNIT_LABELS[kind.unit]}
            if not kind.has_second_value:
                keep = ("value",)
        for name in list(self.fields):
            if name != "reason" and name not in keep:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.entry.kind == EntryKind.OBSERVATION and "value" in data:
            kind = self.entry.observation.kind
            try:
                value = obs.parse_value(data["value"])
                raw2 = (data.get("value2") or "").strip()
                value2 = obs.parse_value(raw2) if raw2 else None
                data["value"], data["value2"] = obs.check(kind, value, value2)
            except obs.ObservationError as exc:
                second, error = observation_error(kind, exc)
                self.add_error("value2" if second else "value", error)
        return data

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "reason":
                continue
            if name in self.ENCOUNTER_FIELDS:
                changes[self.ENCOUNTER_FIELDS[name]] = value
            elif name in {"value", "value2"}:
                changes[f"observation.{name}"] = value
            else:
                changes[name] = value
        return changes
