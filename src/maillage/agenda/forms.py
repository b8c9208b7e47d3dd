"""Forms of the agenda: the free-slot search, booking and moving an appointment, the
desk's cancellation, rooms, working hours, absences and languages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from maillage.agenda.actions import Booking
from maillage.agenda.models import (
    AbsenceKind,
    AppointmentKind,
    Equipment,
    Interpreting,
    Room,
)
from maillage.coordination.forms.meetings import check_year
from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.people.choices import LANGUAGES
from maillage.people.models import Person
from maillage.record.forms import DateInput, MemberChoiceField, TimeInput
from maillage.territory.models import Service
from maillage.territory.queries import services_of

DURATIONS = [(m, _("%(n)s minutes") % {"n": m}) for m in (15, 20, 30, 45, 60, 90, 120)]
ANY_ROOM = "any"


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


class _Who(forms.Form):
    """Who the appointment brings together, and what it needs."""

    kind = forms.ChoiceField(label=_("Type of appointment"), choices=AppointmentKind.choices)
    members = MemberChoiceField(
        label=_("Members of the team"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Two or more for a co-consultation."),
    )
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int, initial=30)
    room = forms.ChoiceField(label=_("Room"), required=False)
    interpreting = forms.ChoiceField(
        label=_("Interpreting"), choices=Interpreting.choices, initial=Interpreting.NONE
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *LANGUAGES], required=False
    )

    def __init__(self, *args: Any, member: Member, rooms: list[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.rooms = {str(r.pk): r for r in rooms}
        from maillage.agenda.queries import bookable_members

        self.fields["members"].queryset = bookable_members(member.structure_id).exclude(  # type: ignore[attr-defined]
            role=Role.INTERPRETER
        )
        self.fields["room"].choices = [  # type: ignore[attr-defined]
            ("", _("No room (outside the centre, by phone)")),
            (ANY_ROOM, _("Any free room")),
            *[(str(r.pk), r.name) for r in rooms],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("interpreting") not in (None, "", Interpreting.NONE) and not data.get(
            "language"
        ):
            self.add_error("language", _("Say which language is to be interpreted."))
        members = data.get("members") or []
        if data.get("kind") == AppointmentKind.CO_CONSULTATION and len(members) < 2:
            self.add_error("members", _("A co-consultation brings two members or more together."))
        return data

    def chosen_room(self) -> Room | None:
        return self.rooms.get(self.cleaned_data.get("room") or "")


class SlotSearchForm(_Who):
    """The common free slots of the members, a room and an interpreter over a period."""

    first_day = forms.DateField(label=_("From"), widget=DateInput())
    days = forms.IntegerField(label=_("Over (days)"), min_value=1, max_value=31, initial=14)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_day"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first = data.get("first_day")
        if check_year(self, "first_day", first) and first and data.get("days"):
            start = _aware(first, datetime.time(0))
            end = _aware(first + datetime.timedelta(days=data["days"]), datetime.time(0))
            data["period"] = (start, end)
        return data


class BookingForm(_Who):
    """The appointment itself, once the slot is chosen (or typed)."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    unregistered_name = forms.CharField(
        label=_("Name (person not registered yet)"), max_length=200, required=False
    )
    unregistered_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    place = forms.CharField(
        label=_("Place (outside the centre)"),
        max_length=200,
        required=False,
        help_text=_("The address of a home visit, or how to call the person."),
    )
    interpreter = forms.ModelChoiceField(
        label=_("Interpreter of the team"), queryset=Member.objects.none(), required=False
    )
    interpreter_service = forms.ModelChoiceField(
        label=_("Or interpreting service of the directory"),
        queryset=Service.objects.none(),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    reception_notes = forms.CharField(
        label=_("Notes for reception"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    outside_hours_ok = forms.BooleanField(
        label=_("Book even outside the members' working hours (they agreed)"), required=False
    )

    def __init__(self, *args: Any, registered: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registered = registered
        from maillage.agenda.queries import bookable_members

        self.fields["interpreter"].queryset = bookable_members(  # type: ignore[attr-defined]
            self.member.structure_id
        ).filter(role=Role.INTERPRETER)
        self.fields["interpreter"].label_from_instance = lambda m: m.display_name  # type: ignore[attr-defined]
        services = services_of(self.member.structure).filter(interpreting=True)
        self.fields["interpreter_service"].queryset = services.order_by("nom")  # type: ignore[attr-defined]
        self.fields["room"].choices = [c for c in self.fields["room"].choices if c[0] != ANY_ROOM]  # type: ignore[attr-defined]
        if registered:
            del self.fields["unregistered_name"], self.fields["unregistered_phone"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.registered and not (data.get("unregistered_name") or "").strip():
            self.add_error(
                "unregistered_name",
                _("Give the person's name: they will be registered when they arrive."),
            )
        if data.get("interpreting") == Interpreting.NONE and (
            data.get("interpreter") or data.get("interpreter_service")
        ):
            self.add_error("interpreting", _("Choose how the interpreter takes part."))
        if data.get("interpreter") and data.get("interpreter_service"):
            self.add_error(
                "interpreter_service",
                _("Choose an interpreter of the team or a service, not both."),
            )
        if check_year(self, "date", data.get("date")) and data.get("date") and data.get("time"):
            data["starts_at"] = _aware(data["date"], data["time"])
        return data

    def booking(self, person: Person | None) -> Booking:
        """What the valid form books, for ``person`` (None: booked by name)."""
        data = self.cleaned_data
        return Booking(
            kind=data["kind"],
            members=list(data["members"]),
            starts_at=data["starts_at"],
            duration=datetime.timedelta(minutes=data["duration"]),
            person=person,
            unregistered_name=data.get("unregistered_name", ""),
            unregistered_phone=data.get("unregistered_phone", ""),
            room=self.chosen_room(),
            place=data["place"],
            reason=data["reason"],
            reception_notes=data["reception_notes"],
            interpreting=data["interpreting"],
            language=data["language"],
            interpreter=data["interpreter"],
            interpreter_service=data["interpreter_service"],
            outside_hours_ok=data["outside_hours_ok"],
        )


class MoveForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int)
    room = forms.ChoiceField(label=_("Room"), required=False)
    outside_hours_ok = forms.BooleanField(
        label=_("Book even outside the members' working hours (they agreed)"), required=False
    )

    def __init__(self, *args: Any, rooms: list[Room], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms = {str(r.pk): r for r in rooms}
        self.fields["room"].choices = [  # type: ignore[attr-defined]
            ("", _("No room (outside the centre, by phone)")),
            *[(str(r.pk), r.name) for r in rooms],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if check_year(self, "date", data.get("date")) and data.get("date") and data.get("time"):
            data["starts_at"] = _aware(data["date"], data["time"])
        data["room_object"] = self.rooms.get(data.get("room") or "")
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300)


class AskToMoveForm(forms.Form):
    wish = forms.CharField(
        label=_("Which days or times suit you better?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    equipment = forms.MultipleChoiceField(
        label=_("Equipment"),
        choices=Equipment.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    details = forms.CharField(label=_("Other equipment or remarks"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, structure_id: int, room: Room | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.structure_id, self.room = structure_id, room

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Room.objects.filter(structure_id=self.structure_id, name__iexact=name)
        if self.room is not None:
            taken = taken.exclude(pk=self.room.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another room already has this name."))
        return name


DAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class WorkingHoursForm(forms.Form):
    """Two periods a day at most (morning and afternoon), for each day of the week."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in DAYS:
            for half in (1, 2):
                self.fields[f"d{day}_{half}_from"] = forms.TimeField(
                    label=_("%(day)s, period %(n)s: from") % {"day": capfirst(label), "n": half},
                    required=False,
                    widget=TimeInput(),
                )
                self.fields[f"d{day}_{half}_to"] = forms.TimeField(
                    label=_("%(day)s, period %(n)s: to") % {"day": capfirst(label), "n": half},
                    required=False,
                    widget=TimeInput(),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: list[tuple[int, datetime.time, datetime.time]] = []
        for day, _label in DAYS:
            for half in (1, 2):
                start, end = data.get(f"d{day}_{half}_from"), data.get(f"d{day}_{half}_to")
                if start is None and end is None:
                    continue
                if start is None or end is None or end <= start:
                    self.add_error(
                        f"d{day}_{half}_to", _("Give a start and a later end, or neither.")
                    )
                    continue
                hours.append((day, start, end))
        data["hours"] = hours
        return data

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                str(capfirst(label)),
                [self[f"d{day}_{half}_{edge}"] for half in (1, 2) for edge in ("from", "to")],
            )
            for day, label in DAYS
        ]

    @staticmethod
    def initial_from(hours: list[Any]) -> dict[str, datetime.time]:
        initial: dict[str, datetime.time] = {}
        count: dict[int, int] = {}
        for row in hours:
            half = count.get(row.weekday, 0) + 1
            if half > 2:
                continue
            count[row.weekday] = half
            initial[f"d{row.weekday}_{half}_from"] = row.starts
            initial[f"d{row.weekday}_{half}_to"] = row.ends
        return initial


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AbsenceKind.choices)
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    first_time = forms.TimeField(label=_("at"), widget=TimeInput(), required=False)
    last_day = forms.DateField(label=_("To"), widget=DateInput())
    last_time = forms.TimeField(label=_("at"), widget=TimeInput(), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if not (check_year(self, "first_day", first) and check_year(self, "last_day", last)):
            return data
        if first and last:
            start = _aware(first, data.get("first_time") or datetime.time(0))
            if data.get("last_time"):
                end = _aware(last, data["last_time"])
            else:
                end = _aware(last + datetime.timedelta(days=1), datetime.time(0))
            if end <= start:
                self.add_error("last_day", _("The end comes after the start."))
            data["starts_at"], data["ends_at"] = start, end
        return data


class LanguagesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Languages this member interprets or consults in"),
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ReminderChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Appointment reminders"),
        choices=[
            ("sms", _("By text message (SMS)")),
            ("email", _("By e-mail")),
            ("none", _("No reminders")),
        ],
        widget=forms.RadioSelect,
    )
