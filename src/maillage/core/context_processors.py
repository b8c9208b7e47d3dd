from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from maillage.core.access import can
from maillage.core.models import Member, Notification


def current_member(request: HttpRequest) -> dict[str, Any]:
    """The member, their memberships, menu rights and unread notifications; computed once
    per request however many templates a page renders with it."""
    found: dict[str, Any] | None = getattr(request, "_maillage_context", None)
    if found is None:
        found = request._maillage_context = _current_member(request)  # type: ignore[attr-defined]
    return found


def _current_member(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "member", None)
    memberships: list[Member] = []
    nav: dict[str, bool] = {}
    unread = 0
    if member is not None:
        memberships = list(
            Member.objects.active().filter(user_id=member.user_id).select_related("structure")
        )
        nav = {
            "register": can(member, "register_person", member.structure),
            "manage": can(member, "manage_members", member.structure),
            "duplicates": can(member, "review_duplicates", member.structure),
            "directory": can(member, "view_directory", member.structure),
            "requests": can(member, "handle_requests", member.structure),
            "tasks": can(member, "view_tasks", member.structure),
            "meetings": can(member, "view_meetings", member.structure),
            "agenda": can(member, "view_agenda", member.structure),
            "rights": can(member, "view_rights_report", member.structure),
        }
        unread = Notification.objects.filter(recipient=member).unread().count()
    return {
        "member": member,
        "memberships": memberships,
        "nav": nav,
        "unread_notifications": unread,
        "map_tiles": settings.MAP_TILES_URL,
        "map_attribution": settings.MAP_TILES_ATTRIBUTION,
    }
