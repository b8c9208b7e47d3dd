"""Forms of the person's health project. Lists offered (problématiques, goals, members)
are built from the project and the structure; a value outside them is a form error."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.coordination.models import (
    Agreement,
    Goal,
    HealthProject,
    NeedDomain,
    OwnerKind,
    Problematique,
    ProposedBy,
)
from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.lib import coordination as flow
from maillage.record.forms import DateInput
from maillage.record.sharing_forms import member_label

TEXT = 5000
# How far ahead a review or a due date may reasonably be set.
MAX_YEARS_AHEAD = 10


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _future_date(value: datetime.date | None) -> None:
    today = timezone.localdate()
    year = datetime.timedelta(days=366)
    if value is not None and not today - year <= value <= today + MAX_YEARS_AHEAD * year:
        raise forms.ValidationError(_("Give a date within the coming years."))


def _past_date(value: datetime.date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("This date cannot be in the future."))


def _not_ancient(value: datetime.date | None) -> None:
    if value is not None and value.year < 1900:
        raise forms.ValidationError(_("Give a real date."))


class OpenProjectForm(forms.Form):
    next_review_on = forms.DateField(
        label=_("First review point"),
        help_text=_("When to look at the project again together. You can leave it empty."),
        required=False,
        widget=DateInput(),
        validators=[_future_date],
    )


class CloseProjectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the project is closed"),
        help_text=_(
            "For example: the person no longer wishes it, they moved, the goals are reached."
        ),
        max_length=TEXT,
        widget=_textarea(),
        error_messages={"required": _("Say why the project is closed.")},
    )


class ProblematiqueForm(forms.Form):
    person_words = forms.CharField(
        label=_("In the person's own words"),
        help_text=_("What the person says of their situation, as they say it."),
        required=False,
        max_length=TEXT,
        widget=_textarea(),
    )
    title = forms.CharField(
        label=_("In a few words"),
        max_length=200,
        error_messages={"required": _("Name the problématique in a few words.")},
    )
    understanding = forms.CharField(
        label=_("As the team understands it"),
        required=False,
        max_length=TEXT,
        widget=_textarea(),
    )
    ended = forms.BooleanField(label=_("No longer relevant"), required=False)

    def __init__(
        self, *args: Any, problematique: Problematique | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.by_self = problematique is not None and problematique.person_words_by_self
        if problematique is None:
            del self.fields["ended"]
        if self.by_self:
            # The person wrote these words from their space: they stay theirs.
            del self.fields["person_words"]


class NeedForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=NeedDomain.choices)
    description = forms.CharField(
        label=_("Need"),
        max_length=TEXT,
        widget=_textarea(2),
        error_messages={"required": _("Describe the need.")},
    )
    met = forms.BooleanField(label=_("This need is met"), required=False)

    def __init__(self, *args: Any, edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not edit:
            del self.fields["met"]


class ProblematiqueField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Problematique) -> str:
        return obj.title


class GoalForm(forms.Form):
    words = forms.CharField(
        label=_("The goal, in the person's words"),
        max_length=TEXT,
        widget=_textarea(2),
        error_messages={"required": _("Write the goal, in the person's words.")},
    )
    problematique = ProblematiqueField(
        label=_("What it is about"),
        queryset=Problematique.objects.none(),
        required=False,
        empty_label=_("— nothing in particular —"),
        error_messages={"invalid_choice": _("Choose from the list.")},
    )
    proposed_by = forms.ChoiceField(
        label=_("Proposed by"), choices=ProposedBy.choices, initial=ProposedBy.PERSON
    )
    proposed_by_name = forms.CharField(
        label=_("Name of who proposed it"),
        help_text=_("When it is not the person."),
        required=False,
        max_length=200,
    )
    agreement = forms.ChoiceField(
        label=_("Does the person agree?"),
        choices=Agreement.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    person_view = forms.CharField(
        label=_("What the person thinks of it"),
        required=False,
        max_length=TEXT,
        widget=_textarea(2),
    )
    review_on = forms.DateField(
        label=_("Look at it again on"),
        required=False,
        widget=DateInput(),
        validators=[_future_date],
    )

    def __init__(
        self,
        *args: Any,
        project: HealthProject,
        problematique_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["problematique"]
        assert isinstance(field, ProblematiqueField)
        # Current problématiques, and the one the goal is already about (it may have ended).
        field.queryset = Problematique.objects.filter(project=project).filter(
            Q(ended_at__isnull=True) | Q(pk=problematique_id or 0)
        )


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Where the goal stands now"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Why"),
        help_text=_("Required when the goal is abandoned or changed."),
        required=False,
        max_length=TEXT,
        widget=_textarea(2),
    )
    new_words = forms.CharField(
        label=_("The new goal, in the person's words"),
        help_text=_("Required when the goal is changed: a new goal replaces this one."),
        required=False,
        max_length=TEXT,
        widget=_textarea(2),
    )

    STEP_LABELS: dict[str, Any] = {
        flow.REACHED: _("Reached"),
        flow.ABANDONED: _("Abandoned"),
        flow.CHANGED: _("Changed into another goal"),
        flow.IN_PROGRESS: _("Taken up again"),
    }

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (step, self.STEP_LABELS[step]) for step in flow.GOAL_NEXT.get(current, ())
        ]
        self.current = current

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if status in {flow.ABANDONED, flow.CHANGED} and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why."))
        if status == flow.CHANGED and not (data.get("new_words") or "").strip():
            self.add_error("new_words", _("Write the new goal."))
        return data


class MemberField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return member_label(obj)


class GoalField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Goal) -> str:
        return obj.words[:100]


def team_members(structure_id: int) -> Any:
    """Active members of the team who may own an action (partners are named instead)."""
    return (
        Member.objects.active()
        .filter(structure_id=structure_id)
        .exclude(role__in=[Role.PARTNER, Role.NETWORK_OBSERVER])
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


class ActionForm(forms.Form):
    description = forms.CharField(
        label=_("What is to be done"),
        max_length=TEXT,
        widget=_textarea(2),
        error_messages={"required": _("Say what is to be done.")},
    )
    goal = GoalField(
        label=_("For the goal"),
        queryset=Goal.objects.none(),
        required=False,
        empty_label=_("— no goal in particular —"),
        error_messages={"invalid_choice": _("Choose from the list.")},
    )
    owner_kind = forms.ChoiceField(
        label=_("Who does it"), choices=OwnerKind.choices, widget=forms.RadioSelect
    )
    owner_member = MemberField(
        label=_("Member of the team"),
        help_text=_("When a member of the team does it."),
        queryset=Member.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("Choose a member from the list.")},
    )
    owner_name = forms.CharField(
        label=_("Name"),
        help_text=_("When a partner or a relative does it."),
        required=False,
        max_length=200,
    )
    due_on = forms.DateField(
        label=_("By"), required=False, widget=DateInput(), validators=[_future_date]
    )

    def __init__(
        self, *args: Any, project: HealthProject, goal_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        assert isinstance(goal, GoalField)
        # Goals in progress, and the goal the action already serves (it may have ended).
        goal.queryset = Goal.objects.filter(project=project).filter(
            Q(status=flow.IN_PROGRESS) | Q(pk=goal_id or 0)
        )
        owner = self.fields["owner_member"]
        assert isinstance(owner, MemberField)
        owner.queryset = team_members(project.structure_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("owner_kind")
        if kind == OwnerKind.MEMBER and not data.get("owner_member"):
            if "owner_member" not in self.errors:
                self.add_error("owner_member", _("Choose the member of the team who does it."))
        elif (
            kind in {OwnerKind.PARTNER, OwnerKind.RELATIVE}
            and not (data.get("owner_name") or "").strip()
        ):
            self.add_error("owner_name", _("Give the name of who does it."))
        return data


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Where it stands"), widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT, widget=_textarea(2))

    STEP_LABELS: dict[str, Any] = {
        flow.DONE: _("Done"),
        flow.CANCELLED: _("Cancelled"),
        flow.OPEN: _("To do again"),
    }

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (step, self.STEP_LABELS[step]) for step in flow.TASK_NEXT.get(current, ())
        ]


class ReviewForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date of the review point"),
        widget=DateInput(),
        validators=[_past_date, _not_ancient],
        error_messages={"required": _("Give the date of the review point.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=TEXT,
        widget=_textarea(4),
        error_messages={"required": _("Write a short summary.")},
    )
    person_present = forms.BooleanField(
        label=_("The person was there"), required=False, initial=True
    )
    who_was_there = forms.CharField(
        label=_("Who else was there"), required=False, max_length=2000, widget=_textarea(2)
    )
    what_changed = forms.CharField(
        label=_("What changed since the last review point"),
        required=False,
        max_length=TEXT,
        widget=_textarea(3),
    )
    next_review_on = forms.DateField(
        label=_("Next review point"),
        help_text=_("Leave it empty if no other review point is planned yet."),
        required=False,
        widget=DateInput(),
        validators=[_future_date],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        held, following = data.get("held_on"), data.get("next_review_on")
        if held and following and following <= held:
            self.add_error("next_review_on", _("The next review point comes after this one."))
        return data
