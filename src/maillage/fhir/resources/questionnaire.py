"""QuestionnaireResponse: the EPICES precarity score — the eleven yes/no answers the
person gave on a date, and the score (0 to 100, precarity from 30.17).

The questionnaire is named by the canonical ``urn:maillage:questionnaire:epices`` (no
Questionnaire resource is served). Each item's ``linkId`` is the question's code in
``maillage.lib.epices`` (``social_worker``, ``complementary_insurance``, ``couple``,
``home_owner``, ``financial_difficulties``, ``sport``, ``show``, ``holidays``,
``family_contacts``, ``someone_to_host``, ``someone_to_help``), answered ``valueBoolean``;
the item ``score`` gives the score (``valueDecimal``), computed by Maillage — a score sent
in a create is ignored.

Part of the social section: readable by whoever reads that section of the person's record,
and by the person themself. Created with the rules of the web form (``EpicesForm``) by a
member who writes in the social section.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.roles import Section
from maillage.fhir.access import section_rows
from maillage.fhir.caller import Caller
from maillage.fhir.errors import fail, form_error
from maillage.fhir.registry import (
    Context,
    Include,
    ResourceType,
    Written,
    fhir_date,
    instant,
    member_reference,
    reference,
)
from maillage.fhir.resources.record import require_write
from maillage.fhir.resources.sharing import (
    person_includes,
    record_to_write,
    token_param,
)
from maillage.fhir.search import EVERY, Param, Token, any_of, date_param, reference_param
from maillage.lib import epices
from maillage.rights import actions
from maillage.rights.models import EpicesScore
from maillage.rights.situation_forms import NO, QUESTIONS, YES, EpicesForm

EPICES = "urn:maillage:questionnaire:epices"
SCORE = "score"


def render_questionnaire_response(row: EpicesScore) -> dict[str, Any]:
    answers = row.answers or {}
    items: list[dict[str, Any]] = [
        {
            "linkId": code,
            "text": str(QUESTIONS[code]),
            "answer": [{"valueBoolean": bool(answers[code])}] if code in answers else [],
        }
        for code in epices.CODES
    ]
    items.append(
        {
            "linkId": SCORE,
            "text": _("EPICES score (0 to 100; precarity from %(threshold)s)")
            % {"threshold": epices.THRESHOLD},
            "answer": [{"valueDecimal": float(row.score)}],
        }
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(row.pk),
        "meta": {"lastUpdated": instant(row.recorded_at)},
        "questionnaire": EPICES,
        "status": "completed",
        "subject": reference("Patient", row.person_id),
        "authored": fhir_date(row.answered_on),
        "author": member_reference(row.recorded_by),
        "source": reference("Patient", row.person_id),
        "item": items,
    }


def _status_build(values: list[Token], modifier: str) -> Q:
    return any_of([EVERY for token in values if token.code == "completed"])


def _questionnaire_build(values: list[str], modifier: str) -> Q:
    return any_of([EVERY for value in values if value.split("|")[0] == EPICES])


# --- Writing -----------------------------------------------------------------------------

MAPPED = {
    "resourceType",
    "id",
    "meta",
    "questionnaire",
    "status",
    "subject",
    "authored",
    "author",
    "source",
    "item",
    "identifier",
}
FORM_FIELDS = {
    "answered_on": "QuestionnaireResponse.authored",
    **{code: f"QuestionnaireResponse.item.where(linkId='{code}')" for code in epices.CODES},
}


def _answered_on(value: Any) -> datetime.date | None:
    if not value:
        return None
    text = str(value)
    moment = parse_datetime(text) if "T" in text else None
    if moment is not None:
        if timezone.is_naive(moment):
            return moment.date()
        return timezone.localtime(moment).date()
    try:
        return parse_date(text[:10])
    except ValueError:
        return None


def _form_data(resource: dict[str, Any]) -> dict[str, Any]:
    if resource.get("questionnaire") != EPICES:
        raise fail(
            422,
            "not-supported",
            _("Only the EPICES questionnaire is recorded here (questionnaire “%(url)s”).")
            % {"url": EPICES},
            "QuestionnaireResponse.questionnaire",
        )
    if resource.get("status") != "completed":
        raise fail(
            422,
            "business-rule",
            _("The score needs all eleven answers: status is “completed”."),
            "QuestionnaireResponse.status",
        )
    day = _answered_on(resource.get("authored"))
    data: dict[str, Any] = {"answered_on": day.isoformat() if day else ""}
    for item in resource.get("item") or []:
        link = item.get("linkId")
        if link == SCORE:
            continue  # computed here
        if link not in epices.CODES or item.get("item"):
            raise fail(
                422,
                "value",
                _("Unknown EPICES question “%(link)s”: the linkIds are %(list)s.")
                % {"link": str(link)[:60], "list": ", ".join(epices.CODES)},
                "QuestionnaireResponse.item",
            )
        answers = [a for a in item.get("answer") or [] if "valueBoolean" in a]
        if len(answers) != 1 or len(item.get("answer") or []) != 1:
            raise fail(
                422,
                "value",
                _("Question “%(link)s” is answered by one valueBoolean.") % {"link": link},
                FORM_FIELDS[link],
            )
        data[link] = YES if answers[0]["valueBoolean"] else NO
    return data


class QuestionnaireResponseType(ResourceType):
    name = "QuestionnaireResponse"
    model = EpicesScore
    documentation = gettext_lazy(
        "The EPICES precarity score (questionnaire urn:maillage:questionnaire:epices): the "
        "eleven yes/no answers (linkId = the question's code) and the score (item “score”). "
        "Part of the social section. Can be created."
    )
    last_updated = "recorded_at"
    writable = frozenset({"create"})

    def readable(self, caller: Caller) -> QuerySet[Any]:
        return section_rows(caller, EpicesScore.objects.all(), Section.SOCIAL)

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.select_related("recorded_by__user")

    def section_of(self, row: Any) -> str:
        return Section.SOCIAL

    def order(self) -> tuple[str, ...]:
        return ("-answered_on", "-recorded_at", "-pk")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        return render_questionnaire_response(row)

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        return {
            "patient": reference_param("patient", "person_id", ("Patient",), _("The person.")),
            "subject": reference_param("subject", "person_id", ("Patient",), _("The person.")),
            "authored": date_param(
                "authored", "answered_on", as_date=True, documentation=_("When it was answered.")
            ),
            "status": token_param("status", _status_build, _("Always “completed”.")),
            # A canonical URL: searched as a uri (the questionnaire is not served).
            "questionnaire": Param(
                "questionnaire",
                "uri",
                _questionnaire_build,
                _("The questionnaire: urn:maillage:questionnaire:epices."),
            ),
        }

    def includes(self) -> dict[str, Include]:
        return person_includes("QuestionnaireResponse", "recorded_by_id")

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        access = record_to_write(caller, resource, "subject", self.name)
        require_write(access, Section.SOCIAL, "QuestionnaireResponse.subject")
        form = EpicesForm(data=_form_data(resource))
        if not form.is_valid():
            raise form_error(form, FORM_FIELDS, "QuestionnaireResponse.item")
        try:
            made = actions.do_record_epices(
                access, form.cleaned_data["answered_on"], form.answers()
            )
        except (ValidationError, epices.Incomplete) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            raise fail(
                422, "business-rule", " ".join(messages), "QuestionnaireResponse.authored"
            ) from None
        kept = {k: v for k, v in resource.items() if k not in MAPPED}
        return Written(made, kept, list(resource.get("identifier") or []))
