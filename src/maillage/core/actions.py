"""Writes on structures and members: atomic and logged."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Invitation, Member, User

A = AccessEvent.Action


@transaction.atomic
def do_invite_member(
    admin: Member,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    profession: str,
    base_url: str,
) -> Invitation:
    invitation = Invitation.objects.create(
        structure_id=admin.structure_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        profession=profession,
        invited_by=admin,
    )
    link = base_url + reverse("accept_invitation", args=[invitation.token])
    body = _(
        "Hello %(name)s,\n\n%(admin)s invites you to join %(structure)s on Maillage.\n"
        "Open this link within 7 days to create your account:\n%(link)s\n"
    ) % {
        "name": first_name,
        "admin": admin.display_name,
        "structure": admin.structure.name,
        "link": link,
    }
    transaction.on_commit(
        lambda: send_mail(
            _("Your invitation to Maillage"), body, settings.DEFAULT_FROM_EMAIL, [email]
        )
    )
    log_event(action=A.CREATE, member=admin, obj=invitation)
    return invitation


@transaction.atomic
def do_accept_invitation(invitation: Invitation, user: User) -> Member:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError("invitation no longer usable")
    member, _created = Member.objects.get_or_create(
        user=user,
        structure_id=invitation.structure_id,
        defaults={"role": invitation.role, "profession": invitation.profession},
    )
    if not member.is_active:
        member.is_active = True
        member.role = invitation.role
        member.profession = invitation.profession
        member.deactivated_at = None
        member.deactivated_by = None
        member.save(
            update_fields=["is_active", "role", "profession", "deactivated_at", "deactivated_by"]
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_member = member
    invitation.save(update_fields=["accepted_at", "accepted_member"])
    log_event(action=A.CREATE, member=member, obj=member)
    return member


@transaction.atomic
def do_deactivate_member(admin: Member, member: Member) -> None:
    member.is_active = False
    member.deactivated_at = timezone.now()
    member.deactivated_by = admin
    member.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
    log_event(action=A.UPDATE, member=admin, obj=member, reason="deactivated")


@transaction.atomic
def do_set_export_right(admin: Member, member: Member, *, may_export: bool) -> None:
    """Give or withdraw a member's right to bulk export (docs/adr/0010); logged."""
    if member.may_export == may_export:
        return
    member.may_export = may_export
    member.save(update_fields=["may_export"])
    reason = "export right given" if may_export else "export right withdrawn"
    log_event(action=A.UPDATE, member=admin, obj=member, reason=reason)


@transaction.atomic
def do_reactivate_member(admin: Member, member: Member) -> None:
    member.is_active = True
    member.deactivated_at = None
    member.deactivated_by = None
    member.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
    log_event(action=A.UPDATE, member=admin, obj=member, reason="reactivated")
