"""Forms of coordination meetings: planning, invitations, presence, the agenda, decisions
and the triangulation report's period."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.coordination.models import Attendee, MeetingKind, MeetingStatus, OwnerKind
from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.people.models import Person, Relation
from maillage.record.forms import DateInput, MemberChoiceField, TimeInput

# Dates further away are typing mistakes (and some cannot be turned into a UTC instant).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(form: forms.BaseForm, name: str, value: datetime.date | None) -> bool:
    """Whether the date is plausible; if not, the form says so on that field."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        form.add_error(
            name,
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
        return False
    return True


class KindFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type of meeting"),
        choices=[("", _("All types")), *MeetingKind.choices],
        required=False,
    )


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of meeting"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=720, initial=60
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_year(self, "date", data.get("date"))
        if not self.errors and data.get("date") and data.get("time"):
            data["starts_at"] = timezone.make_aware(
                datetime.datetime.combine(data["date"], data["time"])
            )
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("The meeting"),
        choices=[(MeetingStatus.HELD, _("was held")), (MeetingStatus.CANCELLED, _("is cancelled"))],
        widget=forms.RadioSelect,
    )


class InviteMembersForm(forms.Form):
    members = MemberChoiceField(
        label=_("Members of the team and partners"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, member: Member, already: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = (
            Member.objects.active()
            .filter(structure_id=member.structure_id)
            .exclude(role=Role.NETWORK_OBSERVER)
            .exclude(pk__in=already)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        self.fields["members"].queryset = team  # type: ignore[attr-defined]


class InviteRelativesForm(forms.Form):
    relatives = forms.TypedMultipleChoiceField(
        label=_("Relatives of the persons on the agenda"),
        help_text=_("Only relatives the person agreed the team may contact are offered."),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, relations: list[Relation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["relatives"].choices = [  # type: ignore[attr-defined]
            (
                r.pk,
                _("%(name)s (%(kind)s of %(person)s)")
                % {"name": r.name, "kind": r.get_kind_display(), "person": r.person},
            )
            for r in relations
        ]


class ExternalForm(forms.Form):
    name = forms.CharField(
        label=_("Name and organisation"),
        help_text=_("Someone from outside the team: a partner, a professional."),
        max_length=200,
    )


class PresenceForm(forms.Form):
    """One yes/no per attendee."""

    def __init__(self, *args: Any, attendees: list[Attendee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attendees = attendees
        for attendee in attendees:
            initial = "" if attendee.present is None else ("yes" if attendee.present else "no")
            self.fields[f"attendee_{attendee.pk}"] = forms.ChoiceField(
                label=attendee_name(attendee),
                choices=[("yes", _("present")), ("no", _("absent"))],
                widget=forms.RadioSelect,
                required=False,
                initial=initial,
            )

    def presence(self) -> dict[int, bool | None]:
        answers = {"yes": True, "no": False}
        return {
            a.pk: answers.get(self.cleaned_data.get(f"attendee_{a.pk}") or "")
            for a in self.attendees
        }


def attendee_name(attendee: Attendee) -> str:
    if attendee.member is not None:
        return attendee.member.display_name
    if attendee.person is not None:
        return str(attendee.person)
    if attendee.relation is not None:
        return attendee.relation.name
    return attendee.name


class ThemeForm(forms.Form):
    theme = forms.CharField(label=_("Theme"), max_length=300)


class SituationForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Person"), queryset=Person.objects.none(), widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, persons: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class GeneralNotesForm(forms.Form):
    notes = forms.CharField(
        label=_("General notes"),
        help_text=_(
            "About the team's work. What concerns a person goes in their situation's notes, "
            "which only those the person allows may read."
        ),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


TASK, ACTION = "task", "action"


class DecisionForm(forms.Form):
    """A decision becomes, in one step, a task of members of the team or an action of the
    person's health project."""

    text = forms.CharField(label=_("Decision"), max_length=300)
    outcome = forms.ChoiceField(
        label=_("It becomes"),
        choices=[(TASK, _("a task for members of the team"))],
        widget=forms.RadioSelect,
        initial=TASK,
    )
    assignees = MemberChoiceField(
        label=_("Who"),
        help_text=_("For an action done by a member of the team, tick that one member."),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner_kind = forms.ChoiceField(
        label=_("Who does the action of the project"),
        choices=[("", "—"), *OwnerKind.choices],
        required=False,
    )
    owner_name = forms.CharField(
        label=_("Name (partner, relative)"), max_length=200, required=False
    )
    due_on = forms.DateField(label=_("By"), required=False, widget=DateInput())

    def __init__(self, *args: Any, member: Member, situation: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.situation = situation
        team = (
            Member.objects.active()
            .filter(structure_id=member.structure_id)
            .exclude(role__in=[Role.PARTNER, Role.NETWORK_OBSERVER])
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        self.fields["assignees"].queryset = team  # type: ignore[attr-defined]
        if situation:
            self.fields["outcome"].choices = [  # type: ignore[attr-defined]
                (TASK, _("a task for members of the team")),
                (ACTION, _("an action of the person's health project")),
            ]
        else:
            for name in ("outcome", "owner_kind", "owner_name"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_year(self, "due_on", data.get("due_on"))
        outcome = data.get("outcome", TASK) if self.situation else TASK
        data["outcome"] = outcome
        assignees = list(data.get("assignees") or [])
        if outcome == TASK and "assignees" not in self.errors and not assignees:
            self.add_error("assignees", _("Tick at least one member of the team."))
        if outcome == ACTION:
            kind = data.get("owner_kind")
            if not kind:
                self.add_error("owner_kind", _("Say who does the action."))
            elif kind == OwnerKind.MEMBER:
                if len(assignees) != 1 and "assignees" not in self.errors:
                    self.add_error("assignees", _("Tick the one member who does the action."))
            elif (
                kind in {OwnerKind.PARTNER, OwnerKind.RELATIVE}
                and not (data.get("owner_name") or "").strip()
            ):
                self.add_error("owner_name", _("Give the name of who does the action."))
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        check_year(self, "end", data["end"])
        if self.errors:
            return data
        data["start"] = data.get("start") or data["end"] - datetime.timedelta(days=365)
        check_year(self, "start", data["start"])
        if not self.errors and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period comes after its beginning."))
        return data
