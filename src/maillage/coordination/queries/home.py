"""The team home of a member: what waits for them and for the team, in a bounded number
of queries whatever the size of the structure."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone

from maillage.coordination.actions.tasks import create_follow_up_tasks
from maillage.coordination.queries import meetings, projects, referrals, requests, tasks
from maillage.core.access import can, section_readable
from maillage.core.audit import log_list_reads
from maillage.core.models import Member
from maillage.core.roles import Section

SHOWN = 8
# Follow-up tasks of referrals without news are made by the daily command; the team home
# makes them too, at most once an hour per structure, so that none is ever missed.
FOLLOW_UP_EVERY_S = 3600


def team_home(member: Member) -> dict[str, Any]:
    if cache.add(f"maillage:follow-ups:{member.structure_id}", 1, FOLLOW_UP_EVERY_S):
        create_follow_up_tasks(structure_id=member.structure_id)
    context: dict[str, Any] = {}
    structure = member.structure
    # Which persons' coordination part the member reads, worked out once for every list.
    readable = section_readable(member, Section.COORDINATION, via="person")
    if can(member, "view_tasks", structure):
        context["my_tasks"] = tasks.my_open_tasks(member, SHOWN, readable)
        context["overdue_tasks"] = tasks.overdue_count(member, readable)
    if can(member, "handle_requests", structure):
        context["waiting_requests"] = requests.waiting_requests(member, SHOWN, readable)
        context["waiting_count"] = requests.waiting_count(member, readable)
    if can(member, "view_team_tasks", structure):
        context["overdue_referrals"] = referrals.overdue_referrals(member, SHOWN, readable)
        context["overdue_referral_count"] = referrals.overdue_count(member, readable)
        context["past_review"] = projects.projects_past_review(member, SHOWN, readable)
        context["past_review_count"] = projects.past_review_count(member, readable)
    if can(member, "view_meetings", structure):
        context["todays_meetings"] = meetings.todays_meetings(member)
    shown = {task.person for task in context.get("my_tasks", ()) if task.person_id}
    shown |= {r.person for r in context.get("waiting_requests", ()) if r.person_id}
    shown |= {r.person for r in context.get("overdue_referrals", ())}
    shown |= {p.person for p in context.get("past_review", ())}
    log_list_reads(member=member, persons=shown, section=Section.COORDINATION, reason="home")
    context["has_coordination"] = len(context) > 0
    context["can_receive_request"] = can(member, "receive_request", structure)
    context["today"] = timezone.localdate()
    return context
