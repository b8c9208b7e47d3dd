"""C4 and C5: referrals with loop closure, requests to the coordination function, the
person's health project, the circle of care, meetings and tasks. What concerns a person
belongs to the coordination section of their record and follows its access policy."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Member, Structure
from maillage.lib import coordination as flow
from maillage.lib import referrals as path
from maillage.people.models import Person
from maillage.territory.models import Professional, Service


class ReferralStatus(models.TextChoices):
    PROPOSED = path.PROPOSED, _("proposed")
    AGREED = path.AGREED, _("agreed by the person")
    SENT = path.SENT, _("sent")
    RECEIVED = path.RECEIVED, _("received")
    APPOINTMENT = path.APPOINTMENT, _("appointment set")
    DONE = path.DONE, _("done")
    NOT_DONE = path.NOT_DONE, _("not done")


class Referral(models.Model):
    """A referral of a person to a member of the team, a service or a professional of the
    directory, followed until the loop closes (done, or not done with a reason)."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    to_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    to_service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    to_professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    reason = models.TextField(_("why"))
    wishes = models.TextField(_("what the person wants"), blank=True)
    documents = models.TextField(_("documents to send"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=path.PROPOSED
    )
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    feedback = models.TextField(_("feedback from the receiver"), blank=True)
    closing_reason = models.TextField(_("why it was not done"), blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_news_at = models.DateTimeField(_("last news"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(
                        to_member__isnull=False,
                        to_service__isnull=True,
                        to_professional__isnull=True,
                    )
                    | Q(
                        to_member__isnull=True,
                        to_service__isnull=False,
                        to_professional__isnull=True,
                    )
                    | Q(
                        to_member__isnull=True,
                        to_service__isnull=True,
                        to_professional__isnull=False,
                    )
                ),
                name="referral_one_target",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["structure", "status", "last_news_at"], name="referral_waiting"),
            # Referrals without news, the oldest news first, read in order (the team home).
            models.Index(
                fields=["structure", "last_news_at"],
                condition=Q(status__in=sorted(path.WAITING)),
                name="referral_news",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} → {self.target}"

    @property
    def target(self) -> object:
        return self.to_member or self.to_service or self.to_professional

    @property
    def is_closed(self) -> bool:
        return self.status in path.CLOSED


class ReferralEvent(models.Model):
    """One step of a referral's path, append-only: who, when, what was said."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ReferralStatus.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        verbose_name = _("step of a referral")
        verbose_name_plural = _("steps of a referral")

    def __str__(self) -> str:
        return f"{self.referral_id} {self.status}"


# --- Requests (sollicitations) --------------------------------------------------------


class RequestSource(models.TextChoices):
    PERSON = "person", _("the person themself")
    RELATIVE = "relative", _("a relative or neighbour")
    MEMBER = "member", _("a member of the team")
    PROFESSIONAL = "professional", _("an external professional")
    INSTITUTION = "institution", _("an institution")


class Channel(models.TextChoices):
    DESK = "desk", _("at the desk")
    PHONE = "phone", _("by phone")
    EMAIL = "email", _("by e-mail")
    OUTREACH = "outreach", _("outreach")
    PORTAL = "portal", _("from their own space")
    MEETING = "meeting", _("in a meeting")


class Concerns(models.TextChoices):
    REGISTERED = "registered", _("a person already registered")
    UNREGISTERED = "unregistered", _("a person not yet registered")
    COLLECTIVE = "collective", _("a collective issue of the territory")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("can wait a few weeks")
    SOON = "soon", _("within the week")
    URGENT = "urgent", _("urgent (a day or two)")


class RequestStatus(models.TextChoices):
    WAITING = flow.WAITING, _("waiting for a first contact")
    IN_TRIAGE = flow.IN_TRIAGE, _("first contact made")
    CLOSED = flow.CLOSED, _("closed")


class Outcome(models.TextChoices):
    INFORMATION = flow.INFORMATION, _("information given")
    REFERRAL = flow.REFERRAL, _("referral")
    PROJECT = flow.PROJECT, _("a health project opened")
    COLLECTIVE = flow.COLLECTIVE, _("a collective matter raised")
    CLOSED = flow.CLOSED_WITH_REASON, _("closed with a reason")


class CoordinationRequest(models.Model):
    """A request to the coordination function: who asks, by which channel, about whom;
    the first contact and the triage that follow."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    concerns = models.CharField(_("it concerns"), max_length=20, choices=Concerns.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    unregistered_name = models.CharField(
        _("name of the person concerned"),
        max_length=200,
        blank=True,
        help_text=_("As given; the person is registered later if they wish."),
    )
    source = models.CharField(_("from"), max_length=20, choices=RequestSource.choices)
    source_name = models.CharField(_("name of who asks"), max_length=200, blank=True)
    source_contact = models.CharField(_("how to reach them"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    first_words = models.TextField(_("the problem as first expressed"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_assigned",
        verbose_name=_("followed by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=flow.WAITING
    )
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    first_contact_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    listening_notes = models.TextField(_("listening notes"), blank=True)
    at_stake = models.TextField(_("what seems at stake"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("about the outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        "HealthProject", on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )

    class Meta:
        ordering: ClassVar = ["-received_at", "-pk"]
        verbose_name = _("coordination request")
        verbose_name_plural = _("coordination requests")
        indexes: ClassVar = [
            models.Index(fields=["structure", "status", "received_at"], name="request_status")
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_concerns_display()}"

    @property
    def minutes_to_first_contact(self) -> int | None:
        return flow.minutes_between(self.received_at, self.first_contact_at)


# --- Individual health project (C4) ---------------------------------------------------


class ProjectStatus(models.TextChoices):
    OPEN = "open", _("living")
    CLOSED = "closed", _("closed")


class HealthProject(models.Model):
    """The person's health project in one structure, co-written with them: one living
    project at a time. It belongs to the coordination section of the record."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="projects")
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.OPEN
    )
    next_review_on = models.DateField(_("next review point"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_reason = models.TextField(_("why it was closed"), blank=True)

    class Meta:
        ordering: ClassVar = ["-opened_at", "-pk"]
        verbose_name = _("health project")
        verbose_name_plural = _("health projects")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["structure", "person"],
                condition=Q(status="open"),
                name="one_living_project",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["structure", "status", "next_review_on"], name="project_review")
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.person_id}"


class Problematique(models.Model):
    """The situation as understood together. The person's own words have their own field
    and are shown first; each text says who wrote it and when."""

    project = models.ForeignKey(
        HealthProject, on_delete=models.PROTECT, related_name="problematiques"
    )
    title = models.CharField(_("in a few words"), max_length=200)
    understanding = models.TextField(_("as the team understands it"), blank=True)
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    person_words = models.TextField(_("in the person's own words"), blank=True)
    person_words_at = models.DateTimeField(null=True, blank=True)
    person_words_by_self = models.BooleanField(_("written by the person themself"), default=False)
    ended_at = models.DateTimeField(_("no longer relevant since"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["written_at", "pk"]
        verbose_name = _("problématique")
        verbose_name_plural = _("problématiques")

    def __str__(self) -> str:
        return self.title


class NeedDomain(models.TextChoices):
    HEALTH = "health", _("health")
    PSYCHOLOGICAL = "psychological", _("psychological")
    SOCIAL = "social", _("social")
    RIGHTS = "rights", _("rights")
    HOUSING = "housing", _("housing")
    FOOD = "food", _("food")
    WORK = "work", _("work and income")
    FAMILY = "family", _("family")
    ADMINISTRATIVE = "administrative", _("administrative")
    MOBILITY = "mobility", _("getting around")
    LANGUAGE = "language", _("language and understanding")
    OTHER = "other", _("other")


class Need(models.Model):
    project = models.ForeignKey(HealthProject, on_delete=models.PROTECT, related_name="needs")
    domain = models.CharField(_("domain"), max_length=20, choices=NeedDomain.choices)
    description = models.TextField(_("need"))
    met_at = models.DateTimeField(_("met since"), null=True, blank=True)
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["written_at", "pk"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.get_domain_display()


class ProposedBy(models.TextChoices):
    PERSON = "person", _("the person")
    MEMBER = "member", _("a member of the team")
    RELATIVE = "relative", _("a relative")
    PARTNER = "partner", _("a partner")


class Agreement(models.TextChoices):
    NOT_ASKED = "", _("not asked yet")
    AGREES = "agrees", _("agrees")
    DISAGREES = "disagrees", _("does not agree")


class GoalStatus(models.TextChoices):
    IN_PROGRESS = flow.IN_PROGRESS, _("in progress")
    REACHED = flow.REACHED, _("reached")
    ABANDONED = flow.ABANDONED, _("abandoned")
    CHANGED = flow.CHANGED, _("changed")


class Goal(models.Model):
    """A goal in the person's words: who proposed it, whether the person agrees, when it
    will be looked at again, and where it stands."""

    project = models.ForeignKey(HealthProject, on_delete=models.PROTECT, related_name="goals")
    problematique = models.ForeignKey(
        Problematique,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("about"),
    )
    words = models.TextField(_("the goal, in the person's words"))
    proposed_by = models.CharField(
        _("proposed by"), max_length=20, choices=ProposedBy.choices, default=ProposedBy.PERSON
    )
    proposed_by_name = models.CharField(_("name of who proposed it"), max_length=200, blank=True)
    agreement = models.CharField(
        _("the person's agreement"),
        max_length=10,
        choices=Agreement.choices,
        default=Agreement.NOT_ASKED,
        blank=True,
    )
    agreement_at = models.DateTimeField(null=True, blank=True)
    person_view = models.TextField(_("the person's view"), blank=True)
    person_view_at = models.DateTimeField(null=True, blank=True)
    review_on = models.DateField(_("look at it again on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=flow.IN_PROGRESS
    )
    status_note = models.TextField(_("about the status"), blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["written_at", "pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.words[:60]


class OwnerKind(models.TextChoices):
    MEMBER = "member", _("a member of the team")
    PARTNER = "partner", _("a partner")
    PERSON = "person", _("the person")
    RELATIVE = "relative", _("a relative")


class WorkStatus(models.TextChoices):
    OPEN = flow.OPEN, _("to do")
    DONE = flow.DONE, _("done")
    CANCELLED = flow.CANCELLED, _("cancelled")


class ProjectAction(models.Model):
    """Something to do for a goal: by whom (a member, a partner, the person, a relative),
    by when."""

    project = models.ForeignKey(HealthProject, on_delete=models.PROTECT, related_name="actions")
    goal = models.ForeignKey(
        Goal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("for the goal"),
    )
    description = models.TextField(_("what"))
    owner_kind = models.CharField(_("who"), max_length=20, choices=OwnerKind.choices)
    owner_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="project_actions"
    )
    owner_name = models.CharField(_("name"), max_length=200, blank=True)
    due_on = models.DateField(_("by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WorkStatus.choices, default=flow.OPEN
    )
    done_note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    meeting_item = models.ForeignKey(
        "AgendaItem", on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["written_at", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.description[:60]


class ReviewPoint(models.Model):
    """A point d'étape: a dated summary, who was there, what changed. It keeps what the
    whole project looked like at that moment (``snapshot``), so versions are readable."""

    project = models.ForeignKey(HealthProject, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField(_("date"))
    summary = models.TextField(_("summary"))
    who_was_there = models.TextField(_("who was there"), blank=True)
    person_present = models.BooleanField(_("the person was there"), default=True)
    what_changed = models.TextField(_("what changed"), blank=True)
    snapshot = models.JSONField(default=dict)
    written_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-held_on", "-pk"]
        verbose_name = _("review point")
        verbose_name_plural = _("review points")

    def __str__(self) -> str:
        return f"{self.project_id} {self.held_on}"


# --- Circle of care -------------------------------------------------------------------


class CircleRole(models.TextChoices):
    REFERENT = "referent", _("referent")
    COORDINATOR = "coordinator", _("coordinator")
    CONTRIBUTOR = "contributor", _("contributor")
    INFORMED = "informed", _("kept informed")


class CircleMember(models.Model):
    """Someone around the situation: a member of the team (or an external partner with an
    account), a professional or service of the directory, or someone of the person's
    entourage. Being in the circle opens nothing by itself: what an external partner reads
    is what the person's sharing choices grant them."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="circle")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="circles"
    )
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relation = models.ForeignKey(
        "people.Relation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=CircleRole.choices)
    agreed_on = models.DateField(_("the person agreed on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["added_at", "pk"]
        verbose_name = _("member of the circle of care")
        verbose_name_plural = _("circle of care")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(member__isnull=False, professional__isnull=True)
                    & Q(service__isnull=True, relation__isnull=True)
                )
                | (
                    Q(member__isnull=True, professional__isnull=False)
                    & Q(service__isnull=True, relation__isnull=True)
                )
                | (
                    Q(member__isnull=True, professional__isnull=True)
                    & Q(service__isnull=False, relation__isnull=True)
                )
                | (
                    Q(member__isnull=True, professional__isnull=True)
                    & Q(service__isnull=True, relation__isnull=False)
                ),
                name="circle_one_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role}"

    @property
    def who(self) -> object:
        return self.member or self.professional or self.service or self.relation


# --- Meetings -------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    TEAM = "team", _("team meeting")
    CONCERTATION = "concertation", _("multi-professional case meeting")
    SYNTHESIS = "synthesis", _("synthesis meeting with the person")
    PRACTICE = "practice", _("practice-analysis session")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class Meeting(models.Model):
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default="planned"
    )
    notes = models.TextField(_("general notes"), blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-starts_at", "-pk"]
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        indexes: ClassVar = [models.Index(fields=["structure", "starts_at"], name="meeting_day")]

    def __str__(self) -> str:
        return self.title


class AttendeeKind(models.TextChoices):
    MEMBER = "member", _("member of the team")
    PARTNER = "partner", _("partner")
    PERSON = "person", _("the person")
    RELATIVE = "relative", _("a relative")


class Attendee(models.Model):
    """Someone invited to a meeting; whether they came is recorded apart."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendees")
    kind = models.CharField(_("who"), max_length=20, choices=AttendeeKind.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relation = models.ForeignKey(
        "people.Relation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    invited = models.BooleanField(_("invited"), default=True)
    present = models.BooleanField(_("present"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")

    def __str__(self) -> str:
        return str(self.member or self.person or self.relation or self.name)


class AgendaItem(models.Model):
    """A situation (a linked person) or a theme on a meeting's agenda, with its notes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    theme = models.CharField(_("theme"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(theme=""), name="agenda_item_subject"
            )
        ]

    def __str__(self) -> str:
        return self.theme or str(self.person_id)


# --- Tasks ----------------------------------------------------------------------------


class TaskKind(models.TextChoices):
    MANUAL = "manual", _("task")
    FOLLOW_UP = "follow_up", _("follow-up of a referral without news")
    DECISION = "decision", _("decision of a meeting")
    NO_SHOW = "no_show", _("follow-up of a missed appointment")
    MOVE_REQUEST = "move_request", _("the person asks to move an appointment")
    RENEWAL = "renewal", _("renewal of a right")


class Task(models.Model):
    """Something a member (or several) must do by a date; linked to a person, a project,
    a referral or a meeting when it comes from one. Done with a note, never deleted."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("what"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    kind = models.CharField(max_length=20, choices=TaskKind.choices, default=TaskKind.MANUAL)
    due_on = models.DateField(_("by"), null=True, blank=True)
    assignees = models.ManyToManyField(Member, related_name="tasks", verbose_name=_("assigned to"))
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    project = models.ForeignKey(
        HealthProject, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    meeting_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WorkStatus.choices, default=flow.OPEN
    )
    done_note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["due_on", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind="follow_up", status="open"),
                name="one_open_follow_up",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["structure", "status", "due_on"], name="task_due")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What to do, in the reader's language for tasks the application made."""
        if self.kind == TaskKind.FOLLOW_UP:
            return gettext("Follow up the referral to %(target)s") % {"target": self.title}
        if self.kind == TaskKind.NO_SHOW:
            return gettext("Contact the person who missed the appointment of %(when)s") % {
                "when": self.title
            }
        if self.kind == TaskKind.MOVE_REQUEST:
            return gettext("The person asks to move the appointment of %(when)s") % {
                "when": self.title
            }
        return self.title
