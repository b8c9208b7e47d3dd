"""Template filters shared by every app."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Reasons written as codes by the application (the others are the words a member wrote:
# an emergency, a correction, a merge).
EVENT_REASONS = {
    "record": _("the record"),
    "fhir": _("through the FHIR interface (a program)"),
    "download": _("the person downloaded their data"),
    "document": _("a document"),
    "care_team": _("joined the care team"),
    "referent": _("new referent"),
    "withdrawn": _("choice withdrawn"),
    "api_token": _("access token for the API created"),
    "api_token_revoked": _("access token for the API revoked"),
    "deactivated": _("account deactivated"),
    "reactivated": _("account reactivated"),
    "portal_activated": _("personal space opened"),
    "portal_invitation_email": _("invitation to the personal space, by e-mail"),
    "portal_invitation_sms": _("invitation to the personal space, by text message"),
    "portal_invitation_desk": _("invitation to the personal space, code given at the desk"),
    "view_identity": _("the identity"),
    "edit_identity": _("a correction of the identity"),
    "edit_entourage": _("the entourage"),
    "merge": _("a merge of records"),
    "mark_arrived": _("an arrival at reception"),
    "mark_seen": _("a visit marked as seen"),
    "view_access_log": _("the access log"),
    "invite_to_portal": _("an invitation to the personal space"),
    "home": _("the team's home page (tasks, referrals, projects to review)"),
    "agenda": _("an agenda of the team"),
    "desk": _("the reception desk's day"),
    "appointment_cancelled_by_person": _("appointment cancelled by the person"),
    "appointment_move_requested_by_person": _("the person asks to move an appointment"),
    "appointment_attached": _("appointment booked by name, attached to the record"),
    "calendar_feed": _("private calendar address read by a calendar application"),
    "removed": _("removed"),
}


@register.filter
def event_reason(reason: str) -> str:
    """An access event's reason in plain words."""
    return str(EVENT_REASONS.get(reason, reason))
