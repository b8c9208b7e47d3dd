"""Forms of the care team, the person's sharing choices and emergency access.

The lists of members and roles offered are built by the caller from the person's
structure (one query, shared by the forms of a page); a value outside them is a form
error, never a server error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from maillage.core.access import TEAM_ROLES
from maillage.core.models import Member
from maillage.core.roles import Role, Section
from maillage.people.models import Person
from maillage.record.choices import SharingKind

# Roles that never join a care team (as in ``record.actions._join_care_team``).
NOT_IN_CARE_TEAM = frozenset({Role.INTERPRETER, Role.PARTNER, Role.NETWORK_OBSERVER})

# What each part of the record holds, in plain words (shown next to every choice).
SECTION_HELP: dict[str, Promise] = {
    Section.CLINICAL: _("consultations, health problems, treatments, measurements"),
    Section.MENTAL_HEALTH: _("what is said in psychological follow-up"),
    Section.SOCIAL: _("living conditions, rights, social support"),
    Section.ADMINISTRATIVE: _("identity, health coverage numbers, administrative documents"),
    Section.COORDINATION: _("requests, appointments, referrals, tasks between professionals"),
}

MIN_BREAK_GLASS_REASON = 10


def member_label(member: Member) -> str:
    return f"{member.display_name} — {member.get_role_display()}"


def structure_members(person: Person) -> list[Member]:
    """Active members of the person's structure a choice may name (one query)."""
    return list(
        Member.objects.active()
        .filter(structure_id=person.structure_id)
        .exclude(role=Role.NETWORK_OBSERVER)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def section_choices() -> list[tuple[str, str]]:
    return [(value, f"{label} ({SECTION_HELP[value]})") for value, label in Section.choices]


class CareTeamMemberField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Member) -> str:
        return member_label(obj)


class CareTeamAddForm(forms.Form):
    member = CareTeamMemberField(
        label=_("Member of the structure"),
        queryset=Member.objects.none(),
        empty_label="—",
        error_messages={
            "required": _("Choose the member to add."),
            "invalid_choice": _("Choose a member from the list."),
        },
    )
    referent = forms.BooleanField(label=_("Name them referent of the person"), required=False)

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = person.care_team.current().values("member_id")
        field = self.fields["member"]
        assert isinstance(field, CareTeamMemberField)
        field.queryset = (
            Member.objects.active()
            .filter(structure_id=person.structure_id, role__in=TEAM_ROLES - NOT_IN_CARE_TEAM)
            .exclude(pk__in=current)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )


class CareTeamRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this member leaves the care team"),
        max_length=300,
        error_messages={"required": _("Write why this member leaves the care team.")},
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the emergency access"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Say what the emergency is. The referent of the person and the person "
            "themself will read it."
        ),
        error_messages={
            "required": _("Write the reason for the emergency access."),
        },
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if len(reason) < MIN_BREAK_GLASS_REASON:
            raise forms.ValidationError(
                _(
                    "Write the reason in a sentence (at least %(minimum)s characters): "
                    "it is shown to the referent and to the person."
                ),
                code="too_short",
                params={"minimum": MIN_BREAK_GLASS_REASON},
            )
        return reason


class _ChoiceForm(forms.Form):
    """What both kinds of choice share: the part of the record, a note, no duplicate."""

    kind: str = ""
    section = forms.ChoiceField(
        label=_("Part of the record"),
        error_messages={
            "required": _("Choose a part of the record."),
            "invalid_choice": _("Choose a part of the record from the list."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        person: Person,
        members: Sequence[Member],
        me: Member | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.me = me
        self.members = {str(m.pk): m for m in members}
        section = self.fields["section"]
        assert isinstance(section, forms.ChoiceField)
        section.choices = [("", "—"), *section_choices()]

    def record(self, user: Any, on_behalf_by: Member | None = None) -> Any:
        """Write the valid choice down (``actions.do_record_choice``): by the person
        (``user`` is theirs) or by a member on their behalf (``on_behalf_by``)."""
        from maillage.record import actions

        data = self.cleaned_data
        return actions.do_record_choice(
            self.person,
            kind=self.kind,
            section=data["section"],
            role=data["role"],
            member=data["member"],
            note=data["note"].strip(),
            user=user,
            on_behalf_by=on_behalf_by,
        )

    def member_choices(self, members: Sequence[Member]) -> list[tuple[str, str]]:
        return [(str(m.pk), member_label(m)) for m in members]

    def check_duplicate(self, data: dict[str, Any]) -> None:
        duplicate = (
            self.person.sharing_choices.current()
            .filter(
                kind=self.kind,
                section=data.get("section", ""),
                role=data.get("role", ""),
                member=data.get("member"),
            )
            .exists()
        )
        if duplicate:
            raise forms.ValidationError(_("This choice is already recorded."), code="duplicate")


class RefuseForm(_ChoiceForm):
    """Refuse a part of the record to a whole role or to a named member."""

    kind = SharingKind.REFUSE
    target = forms.ChoiceField(
        label=_("Who must not see it"),
        error_messages={
            "required": _("Choose a role or a person."),
            "invalid_choice": _("Choose a role or a person from the list."),
        },
    )
    field_order = ["section", "target", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = [
            (f"role:{value}", str(label))
            for value, label in Role.choices
            if value in TEAM_ROLES and value != Role.ADMIN
        ]
        people = [
            (f"member:{value}", label)
            for value, label in self.member_choices(list(self.members.values()))
        ]
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [
            ("", "—"),
            (_("Everyone with the role"), roles),
            (_("One named person"), people),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target", "")
        data["role"], data["member"] = "", None
        if target.startswith("role:"):
            data["role"] = target.removeprefix("role:")
        elif target.startswith("member:"):
            data["member"] = self.members.get(target.removeprefix("member:"))
        if target and data.get("section"):
            self.check_duplicate(data)
        return data


class GrantForm(_ChoiceForm):
    """Open a part of the record to a named member, an external partner included."""

    kind = SharingKind.GRANT
    member = forms.ChoiceField(
        label=_("Who may read it"),
        error_messages={
            "required": _("Choose a person."),
            "invalid_choice": _("Choose a person from the list."),
        },
    )
    field_order = ["section", "member", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, forms.ChoiceField)
        member.choices = [("", "—"), *self.member_choices(list(self.members.values()))]

    def clean_member(self) -> Member:
        chosen = self.members[self.cleaned_data["member"]]
        if self.me is not None and chosen.pk == self.me.pk:
            raise forms.ValidationError(
                _(
                    "You cannot open a part of the record to yourself: the person does it "
                    "in their space, or another member of the team writes it down."
                ),
                code="self_grant",
            )
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["role"] = ""
        if data.get("member") is not None and data.get("section"):
            self.check_duplicate(data)
        return data
