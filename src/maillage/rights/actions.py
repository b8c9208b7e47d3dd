"""Writes of the social situation and rights (C7). Each takes the member's ``RecordAccess``
to the person and needs the right to write the social section; each is audited as a
write of that section. Nothing is edited in place or deleted: living conditions and
EPICES answers are new snapshots, and each change of a right leaves a ``RightChange``."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.access import RecordAccess
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member
from maillage.core.roles import Section
from maillage.lib import epices
from maillage.rights.catalogue import NATIONAL
from maillage.rights.models import (
    HELD,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    ApplicationStep,
    EpicesScore,
    LivingConditions,
    PersonRight,
    RightChange,
    RightKind,
    RightsEstimate,
    RightStatus,
)
from maillage.rights.openfisca import Household, estimate

A = AccessEvent.Action
SECTION = Section.SOCIAL
What = RightChange.What


def _writer(access: RecordAccess) -> Member:
    if not access.can_write(SECTION):
        raise PermissionDenied("write the social section")
    return access.member


def _log(access: RecordAccess, action: str, obj: Any) -> None:
    log_event(action=action, member=access.member, person=access.person, section=SECTION, obj=obj)


def _not_in_future(day: datetime.date | None, what: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": what})


# --- Living conditions and EPICES -------------------------------------------------------

LIVING_FIELDS = (
    "housing",
    "housing_details",
    "adults",
    "children",
    "household_details",
    "work",
    "income_sources",
    "monthly_income",
    "food_insecurity",
    "transport",
    "isolation",
    "digital",
    "administrative_status",
    "permit_type",
    "permit_expires_on",
    "in_france_since",
    "domiciliation",
    "notes",
)


@transaction.atomic
def do_record_living_conditions(
    access: RecordAccess, as_of: datetime.date, data: Mapping[str, Any]
) -> LivingConditions:
    """The person's situation on ``as_of``: a new snapshot, the earlier ones kept."""
    member = _writer(access)
    _not_in_future(as_of, _("The date of the situation"))
    unknown = set(data) - set(LIVING_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    made = LivingConditions.objects.create(
        person=access.person, as_of=as_of, recorded_by=member, **dict(data)
    )
    _log(access, A.CREATE, made)
    return made


@transaction.atomic
def do_record_epices(
    access: RecordAccess, answered_on: datetime.date, answers: Mapping[str, bool]
) -> EpicesScore:
    """The eleven answers given by the person and their score (all must be answered)."""
    member = _writer(access)
    _not_in_future(answered_on, _("The date of the answers"))
    value = epices.score(answers)
    made = EpicesScore.objects.create(
        person=access.person,
        answered_on=answered_on,
        answers={code: bool(answers[code]) for code in epices.CODES},
        score=value,
        recorded_by=member,
    )
    _log(access, A.CREATE, made)
    return made


# --- Rights -----------------------------------------------------------------------------


@dataclass
class RightInput:
    kind: RightKind
    status: str
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    reference: str = ""
    follower: Member | None = None
    notes: str = ""


def _check_right(
    access: RecordAccess, data: RightInput, current_kind_id: int | None = None
) -> None:
    kind = data.kind
    if kind.structure_id not in {None, access.person.structure_id}:
        raise PermissionDenied("right of another structure")
    if not kind.is_active and kind.pk != current_kind_id:  # no longer offered, but kept
        raise PermissionDenied("right no longer in use")
    if data.status not in RightStatus.values:
        raise ValueError(data.status)
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise ValidationError(_("A right cannot end before it starts."))
    if data.follower is not None and (
        data.follower.structure_id != access.person.structure_id or not data.follower.is_active
    ):
        raise PermissionDenied("follower of another structure")


def _snapshot(right: PersonRight) -> dict[str, Any]:
    return {
        "status": right.status,
        "starts_on": right.starts_on.isoformat() if right.starts_on else None,
        "ends_on": right.ends_on.isoformat() if right.ends_on else None,
        "reference": right.reference,
        "follower": right.follower_id,
    }


def _change(right: PersonRight, what: str, by: Member | None, before: dict[str, Any]) -> None:
    RightChange.objects.create(
        right=right,
        what=what,
        status=right.status,
        starts_on=right.starts_on,
        ends_on=right.ends_on,
        before=before,
        by=by,
    )


@transaction.atomic
def do_add_right(access: RecordAccess, data: RightInput) -> PersonRight:
    member = _writer(access)
    _check_right(access, data)
    right = PersonRight.objects.create(
        person=access.person,
        kind=data.kind,
        status=data.status,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        reference=data.reference.strip(),
        follower=data.follower,
        notes=data.notes.strip(),
        created_by=member,
    )
    _change(right, What.CREATED, member, {})
    _log(access, A.CREATE, right)
    return right


def _what_changed(before: dict[str, Any], right: PersonRight, today: datetime.date) -> str:
    """A later end for a right still held is a renewal on time; for a right that had
    expired, a late one."""
    old_end = datetime.date.fromisoformat(before["ends_on"]) if before["ends_on"] else None
    if (
        right.status in HELD
        and old_end is not None
        and right.ends_on is not None
        and right.ends_on > old_end
    ):
        lapsed = before["status"] == RightStatus.EXPIRED or old_end < today
        return What.RENEWED_LATE if lapsed else What.RENEWED
    return What.UPDATED


@transaction.atomic
def do_update_right(access: RecordAccess, right: PersonRight, data: RightInput) -> PersonRight:
    member = _writer(access)
    if right.person_id != access.person.pk:
        raise PermissionDenied("right of another person")
    _check_right(access, data, current_kind_id=right.kind_id)
    right = PersonRight.objects.select_for_update().get(pk=right.pk)
    before = _snapshot(right)
    right.kind = data.kind
    right.status = data.status
    right.starts_on, right.ends_on = data.starts_on, data.ends_on
    right.reference, right.follower = data.reference.strip(), data.follower
    right.notes = data.notes.strip()
    right.updated_at = timezone.now()
    right.save()
    _change(right, _what_changed(before, right, timezone.localdate()), member, before)
    _log(access, A.UPDATE, right)
    return right


# --- Applications -----------------------------------------------------------------------


def _in_progress_right(access: RecordAccess, kind: RightKind, member: Member) -> PersonRight:
    """The person's right of this kind that the application is about: the one held or
    last recorded, or a new one "application in progress"."""
    current = (
        PersonRight.objects.filter(person=access.person, kind=kind)
        .exclude(status=RightStatus.ENDED)
        .order_by("-updated_at", "-pk")
        .first()
    )
    if current is not None:
        if current.status not in HELD and current.status != RightStatus.IN_PROGRESS:
            before = _snapshot(current)
            current.status = RightStatus.IN_PROGRESS
            current.updated_at = timezone.now()
            current.save(update_fields=["status", "updated_at"])
            _change(current, What.UPDATED, member, before)
        return current
    return do_add_right(access, RightInput(kind=kind, status=RightStatus.IN_PROGRESS))


@transaction.atomic
def do_open_application(
    access: RecordAccess,
    kind: RightKind,
    *,
    opened_on: datetime.date | None = None,
    organisation: str = "",
    accompanied_by: Member | None = None,
    appeal_of: Application | None = None,
    from_estimate: bool = False,
) -> Application:
    """Start an application for a right (a renewal when the person holds it), or an appeal
    against a refused one. Its usual documents are listed, to be ticked when received."""
    member = _writer(access)
    opened_on = opened_on or timezone.localdate()
    _not_in_future(opened_on, _("The start of an application"))
    if kind.structure_id not in {None, access.person.structure_id} or not kind.is_active:
        raise PermissionDenied("right of another structure")
    if accompanied_by is not None and (
        accompanied_by.structure_id != access.person.structure_id or not accompanied_by.is_active
    ):
        raise PermissionDenied("member of another structure")
    if appeal_of is not None and (
        appeal_of.person_id != access.person.pk or appeal_of.status != ApplicationStatus.REFUSED
    ):
        raise ValidationError(_("Only a refused application can be appealed."))
    right = appeal_of.right if appeal_of is not None else None
    if right is None:
        right = _in_progress_right(access, kind, member)
    application = Application.objects.create(
        person=access.person,
        kind=kind,
        right=right,
        is_renewal=right.status in HELD,
        appeal_of=appeal_of,
        opened_on=opened_on,
        organisation=organisation.strip(),
        accompanied_by=accompanied_by or member,
        from_estimate=from_estimate,
        created_by=member,
    )
    national = NATIONAL.get(kind.code) if kind.structure_id is None else None
    ApplicationDocument.objects.bulk_create(
        ApplicationDocument(application=application, name=str(name), added_by=member)
        for name in (national.documents if national else ())
    )
    _log(access, A.CREATE, application)
    return application


def _own(access: RecordAccess, application: Application) -> Member:
    member = _writer(access)
    if application.person_id != access.person.pk:
        raise PermissionDenied("application of another person")
    return member


@transaction.atomic
def do_add_step(
    access: RecordAccess, application: Application, on: datetime.date, what: str
) -> ApplicationStep:
    member = _own(access, application)
    _not_in_future(on, _("A step already done"))
    step = ApplicationStep.objects.create(application=application, on=on, what=what, by=member)
    _log(access, A.UPDATE, application)
    return step


@transaction.atomic
def do_add_document(
    access: RecordAccess, application: Application, name: str
) -> ApplicationDocument:
    member = _own(access, application)
    document = ApplicationDocument.objects.create(
        application=application, name=name.strip(), added_by=member
    )
    _log(access, A.UPDATE, application)
    return document


@transaction.atomic
def do_receive_documents(
    access: RecordAccess,
    application: Application,
    received: Sequence[int],
    on: datetime.date | None = None,
) -> int:
    """Tick the documents received (on ``on``, today by default); how many were ticked."""
    _own(access, application)
    on = on or timezone.localdate()
    _not_in_future(on, _("The date a document was received"))
    count = application.documents.filter(pk__in=received, received_on__isnull=True).update(
        received_on=on
    )
    if count:
        _log(access, A.UPDATE, application)
    return count


@transaction.atomic
def do_submit_application(
    access: RecordAccess, application: Application, submitted_on: datetime.date
) -> Application:
    _own(access, application)
    if application.status != ApplicationStatus.PREPARING:
        raise ValidationError(_("This application has already been submitted."))
    _not_in_future(submitted_on, _("The date of submission"))
    if submitted_on < application.opened_on:
        raise ValidationError(_("An application cannot be submitted before it is started."))
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_on = submitted_on
    application.save(update_fields=["status", "submitted_on"])
    _log(access, A.UPDATE, application)
    return application


@dataclass
class Decision:
    granted: bool
    decided_on: datetime.date
    outcome: str = ""
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    reference: str = ""


@transaction.atomic
def do_decide_application(
    access: RecordAccess, application: Application, decision: Decision
) -> Application:
    """The organisation's decision. Granted: the right is open (or renewed) for the period
    given. Refused: a right the person did not hold is refused (an appeal may follow); a
    right they hold stays as it is until it ends."""
    member = _own(access, application)
    if application.is_decided or application.status == ApplicationStatus.ABANDONED:
        raise ValidationError(_("This application is already closed."))
    _not_in_future(decision.decided_on, _("The date of the decision"))
    if decision.decided_on < application.opened_on:
        raise ValidationError(_("A decision cannot come before the application is started."))
    if decision.starts_on and decision.ends_on and decision.ends_on < decision.starts_on:
        raise ValidationError(_("A right cannot end before it starts."))
    application.status = (
        ApplicationStatus.GRANTED if decision.granted else ApplicationStatus.REFUSED
    )
    application.decided_on = decision.decided_on
    application.outcome = decision.outcome.strip()
    application.save(update_fields=["status", "decided_on", "outcome"])
    right = application.right
    if right is not None:
        right = PersonRight.objects.select_for_update().get(pk=right.pk)
        before = _snapshot(right)
        if decision.granted:
            right.status = RightStatus.OPEN
            right.starts_on = decision.starts_on or right.starts_on or decision.decided_on
            right.ends_on = decision.ends_on
            if decision.reference.strip():
                right.reference = decision.reference.strip()
        elif right.status not in HELD:
            right.status = RightStatus.REFUSED
        right.updated_at = timezone.now()
        right.save()
        what = _what_changed(before, right, decision.decided_on)
        _change(right, what if what != What.UPDATED else What.DECIDED, member, before)
    _log(access, A.UPDATE, application)
    return application


@transaction.atomic
def do_abandon_application(
    access: RecordAccess, application: Application, why: str = ""
) -> Application:
    member = _own(access, application)
    if application.is_decided or application.status == ApplicationStatus.ABANDONED:
        raise ValidationError(_("This application is already closed."))
    application.status = ApplicationStatus.ABANDONED
    if why.strip():
        application.outcome = why.strip()
    application.save(update_fields=["status", "outcome"])
    right = application.right
    if right is not None and right.status == RightStatus.IN_PROGRESS:
        before = _snapshot(right)
        right.status = RightStatus.NOT_CLAIMED
        right.updated_at = timezone.now()
        right.save(update_fields=["status", "updated_at"])
        _change(right, What.UPDATED, member, before)
    _log(access, A.UPDATE, application)
    return application


# --- Potential rights -------------------------------------------------------------------


def household_json(household: Household) -> dict[str, Any]:
    """The household as stored with its estimate (dates ISO 8601, amounts as text)."""

    def day(value: datetime.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "members": [
            {
                "role": m.role,
                "birth_date": day(m.birth_date),
                "resources": {k: [str(a), n] for k, (a, n) in m.resources.items()},
                "disability_rate": m.disability_rate,
            }
            for m in household.members
        ],
        "housing": household.housing,
        "rent": str(household.rent) if household.rent is not None else None,
        "commune": household.commune,
        "irregular_stay": household.irregular_stay,
        "in_france_since": day(household.in_france_since),
    }


@transaction.atomic
def do_estimate_rights(
    access: RecordAccess, household: Household, month: datetime.date | None = None
) -> RightsEstimate:
    """Estimate the person's potential rights with OpenFisca-France (in this process,
    whose tax-benefit system is loaded once) and keep the estimate."""
    member = _writer(access)
    month = (month or timezone.localdate()).replace(day=1)
    outcome = estimate(household, month)
    made = RightsEstimate.objects.create(
        person=access.person,
        inputs=household_json(household),
        lines=[
            {
                "code": line.code,
                "likely": line.likely,
                "monthly": str(line.monthly) if line.monthly is not None else None,
                "note": line.note,
            }
            for line in outcome.lines
        ],
        legislation=outcome.legislation,
        version=outcome.version,
        missing=outcome.missing,
        assumed=outcome.assumed,
        created_by=member,
    )
    _log(access, A.CREATE, made)
    return made
