"""The member's notifications: listed, marked as read.

A notification stores only its kind and links (person, actor); the sentence is written
here, when shown, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.models import Notification
from maillage.people.views import current_member

KIND = Notification.Kind


@dataclass
class Shown:
    notification: Notification
    text: str
    link: str
    link_label: str


def compose(notification: Notification) -> Shown:
    """The sentence and the link of a notification, composed from its kind and links."""
    actor = notification.actor.display_name if notification.actor else _("Someone")
    person = str(notification.person) if notification.person else _("a person")
    values = {"actor": actor, "person": person}
    link = link_label = ""
    if notification.kind == KIND.BREAK_GLASS:
        text = _("%(actor)s opened the record of %(person)s in an emergency.") % values
        if notification.person_id:
            link = reverse("people:access_log", args=[notification.person_id])
            link_label = _("See the access log")
    elif notification.kind == KIND.CARE_TEAM_ADDED:
        text = _("%(actor)s added you to the care team of %(person)s.") % values
        if notification.person_id:
            link = reverse("record:care_team", args=[notification.person_id])
            link_label = _("See the care team")
    elif notification.kind == KIND.REFERENT:
        text = _("%(actor)s named you referent of %(person)s.") % values
        if notification.person_id:
            link = reverse("record:care_team", args=[notification.person_id])
            link_label = _("See the care team")
    else:
        text = str(notification.get_kind_display())
    return Shown(notification, text, link, link_label)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    items = Notification.objects.filter(recipient=member).select_related("person", "actor__user")
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"page": page, "shown": [compose(n) for n in page.object_list]},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    member = current_member(request)
    notification = get_object_or_404(Notification, pk=pk, recipient=member)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    count = Notification.objects.filter(recipient=member).unread().update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")
