"""Writes of a structure's own rights in the catalogue (beside the national ones, which
no one changes here). Only the members who accompany persons in their rights, the
coordinator and the structure's administrator keep it; each write is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from maillage.core.access import can
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.rights.catalogue import NATIONAL
from maillage.rights.models import RightCategory, RightKind

CODE_LENGTH = RightKind._meta.get_field("code").max_length or 40


def may_keep_catalogue(member: Member) -> bool:
    return member.user.is_active and can(member, "manage_rights_catalogue", member.structure)


def _keeper(member: Member) -> None:
    if not may_keep_catalogue(member):
        raise PermissionDenied("keep the catalogue of rights")


def code_for(label: str) -> str:
    """The code of a structure's right, from its name: "Aide du CCAS" → ``aide-du-ccas``."""
    return slugify(label)[:CODE_LENGTH].strip("-_")


@transaction.atomic
def do_add_right_kind(member: Member, label: str, category: str) -> RightKind:
    """A right of the structure's own, named ``label``; refused, in words, when its name
    gives no code or the code of a right the structure or the national catalogue has."""
    _keeper(member)
    label = " ".join(label.split())
    if category not in RightCategory.values:
        raise ValueError(category)
    code = code_for(label)
    if not code:
        raise ValidationError(_("Give a name with letters or digits."))
    taken = (
        code in NATIONAL
        or RightKind.objects.filter(structure_id=member.structure_id, code=code).exists()
    )
    if taken:
        raise ValidationError(_("The catalogue already has a right of this name."))
    try:
        with transaction.atomic():
            kind = RightKind.objects.create(
                structure_id=member.structure_id, code=code, label=label, category=category
            )
    except IntegrityError:  # added at the same moment by someone else
        raise ValidationError(_("The catalogue already has a right of this name.")) from None
    log_event(action=AccessEvent.Action.CREATE, member=member, obj=kind)
    return kind


@transaction.atomic
def do_set_right_kind_active(member: Member, kind: RightKind, active: bool) -> RightKind:
    """Put one of the structure's own rights out of use (no new right or application of
    it; those recorded stay) or back in use."""
    _keeper(member)
    if kind.structure_id is None or kind.structure_id != member.structure_id:
        raise PermissionDenied("right of the national catalogue or of another structure")
    kind = RightKind.objects.select_for_update().get(pk=kind.pk)
    if kind.is_active != active:
        kind.is_active = active
        kind.save(update_fields=["is_active"])
        log_event(action=AccessEvent.Action.UPDATE, member=member, obj=kind)
    return kind
