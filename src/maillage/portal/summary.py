"""The person's data in words: the same resources as their FHIR file (``$everything``),
grouped under plain headings, one line each, for a readable PDF they can print or give
to another professional."""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Resource = dict[str, Any]

CONDITION_STATUS = {
    "active": gettext_lazy("ongoing"),
    "recurrence": gettext_lazy("ongoing"),
    "relapse": gettext_lazy("ongoing"),
    "inactive": gettext_lazy("over"),
    "remission": gettext_lazy("over"),
    "resolved": gettext_lazy("over"),
}


GOAL_STATUS = {
    "in-progress": gettext_lazy("in progress"),
    "improving": gettext_lazy("in progress"),
    "worsening": gettext_lazy("in progress"),
    "no-change": gettext_lazy("in progress"),
    "achieved": gettext_lazy("reached"),
    "sustaining": gettext_lazy("reached"),
    "not-achieved": gettext_lazy("not reached"),
    "no-progress": gettext_lazy("not reached"),
    "not-attainable": gettext_lazy("not reached"),
}
# UCUM units as a person writes them.
UNIT_WORDS = {"Cel": "°C", "mm[Hg]": "mmHg", "/min": "/min", "kg/m2": "kg/m²"}
LOCAL_SYSTEM = "urn:maillage:codesystem:"


def when(value: str | None, with_time: bool = False) -> str:
    """A FHIR date or date-time in French words (``12 mars 2026``, ``12 mars 2026 09:30``)."""
    if not value:
        return ""
    moment = parse_datetime(value) if "T" in value else None
    if moment is not None:
        local = timezone.localtime(moment)
        return formats.date_format(local, "j F Y H:i" if with_time else "j F Y")
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        return formats.date_format(day, "j F Y")
    return value  # a year, or a year and month: as it is


def text_of(concept: Any) -> str:
    """The words of a CodeableConcept: its text, else the display of Maillage's own
    coding (in the person's language), else of the first coding that has one."""
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    codings = [c for c in concept.get("coding", []) if c.get("display")]
    codings.sort(key=lambda c: not str(c.get("system", "")).startswith(LOCAL_SYSTEM))
    return str(codings[0]["display"]) if codings else ""


def _distinct(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if w))


def _line(*parts: Any) -> str:
    return " — ".join(str(p) for p in parts if p)


def _quantity(value: Any) -> str:
    if not isinstance(value, dict) or value.get("value") is None:
        return ""
    number = formats.number_format(value["value"], use_l10n=True)
    number = number.rstrip("0").rstrip(",") if "," in number else number
    unit = str(value.get("unit", ""))
    return f"{number} {UNIT_WORDS.get(unit, unit)}".strip()


def patient(r: Resource) -> list[str]:
    lines = []
    for name in r.get("name", []):
        words = " ".join([*name.get("given", []), name.get("family", "")]).strip()
        if words:
            lines.append(_("Name: %(name)s") % {"name": words})
            break
    if r.get("birthDate"):
        lines.append(_("Date of birth: %(date)s") % {"date": when(r["birthDate"])})
    for address in r.get("address", []):
        text = address.get("text") or " ".join(
            [*address.get("line", []), address.get("postalCode", ""), address.get("city", "")]
        )
        if text.strip():
            lines.append(_("Address: %(address)s") % {"address": text.strip()})
    for telecom in r.get("telecom", []):
        lines.append(_("Contact: %(value)s") % {"value": telecom.get("value", "")})
    for identifier in r.get("identifier", []):
        if identifier.get("system") == "urn:oid:1.2.250.1.213.1.4.8":
            lines.append(_("INS number: %(value)s") % {"value": identifier.get("value", "")})
    return lines


def care_team(r: Resource) -> list[str]:
    lines = []
    for p in r.get("participant", []):
        who = p.get("member", {}).get("display", "")
        role = ", ".join(text_of(c) for c in p.get("role", []) if text_of(c))
        if who:
            lines.append(_line(who, role))
    return lines


def appointment(r: Resource) -> list[str]:
    status = ", ".join(text_of({"coding": [t]}) for t in r.get("meta", {}).get("tag", []))
    members = [
        p["actor"]["display"]
        for p in r.get("participant", [])
        if p.get("actor", {}).get("reference", "").startswith("PractitionerRole/")
        and p["actor"].get("display")
    ]
    return [
        _line(
            when(r.get("start"), with_time=True),
            text_of(r.get("appointmentType")),
            ", ".join(members),
            r.get("description"),
            status,
        )
    ]


def encounter(r: Resource) -> list[str]:
    who = _distinct(p.get("individual", {}).get("display", "") for p in r.get("participant", []))
    reasons = ", ".join(text_of(c) for c in r.get("reasonCode", []) if text_of(c))
    kind = text_of((r.get("type") or [{}])[0])
    return [_line(when(r.get("period", {}).get("start")), kind, ", ".join(who), reasons)]


def condition(r: Resource) -> list[str]:
    status = (r.get("clinicalStatus") or {}).get("coding", [{}])[0].get("code", "")
    since = r.get("onsetDateTime") or r.get("recordedDate")
    return [
        _line(
            text_of(r.get("code")),
            CONDITION_STATUS.get(status, ""),
            _("since %(date)s") % {"date": when(since)} if since else "",
        )
    ]


def medication(r: Resource) -> list[str]:
    start = (r.get("effectivePeriod") or {}).get("start")
    return [
        _line(
            text_of(r.get("medicationCodeableConcept")),
            _("since %(date)s") % {"date": when(start)} if start else "",
        )
    ]


def observation(r: Resource) -> list[str]:
    value = _quantity(r.get("valueQuantity")) or r.get("valueString", "")
    if not value and r.get("component"):
        values = [_quantity(c.get("valueQuantity")) for c in r["component"]]
        numbers = [v.rsplit(" ", 1)[0] for v in values if v]
        unit = values[0].rsplit(" ", 1)[-1] if values and values[0] else ""
        value = f"{'/'.join(numbers)} {unit}".strip()
    return [f"{when(r.get('effectiveDateTime'))} — {text_of(r.get('code'))} : {value}"]


def document(r: Resource) -> list[str]:
    lines = []
    for content in r.get("content", []):
        attachment = content.get("attachment", {})
        data = attachment.get("data")
        if data and attachment.get("contentType", "").startswith("text/plain"):
            try:
                text = base64.b64decode(data).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                text = ""
            lines.append(_line(when(r.get("date")), text))
        else:
            name = attachment.get("title") or text_of(r.get("type"))
            lines.append(_line(when(r.get("date")), text_of(r.get("type")), name))
    return lines


def care_plan(r: Resource) -> list[str]:
    lines = [_line(r.get("title"), r.get("description"))]
    for activity in r.get("activity", []):
        detail = activity.get("detail", {})
        due = (detail.get("scheduledPeriod") or {}).get("end")
        lines.append(
            "• "
            + _line(
                detail.get("description"),
                _("by %(date)s") % {"date": when(due)} if due else "",
            )
        )
    return lines


def goal(r: Resource) -> list[str]:
    codes = (r.get("achievementStatus") or {}).get("coding", [{}])
    status = GOAL_STATUS.get(codes[0].get("code", ""), "") if codes else ""
    return [_line(text_of(r.get("description")), status)]


def epices(r: Resource) -> list[str]:
    score = next(
        (
            item["answer"][0].get("valueDecimal")
            for item in r.get("item", [])
            if item.get("linkId") == "score" and item.get("answer")
        ),
        None,
    )
    shown = formats.number_format(score, 2, use_l10n=True) if score is not None else "—"
    return [_line(when(r.get("authored")), _("EPICES score: %(score)s") % {"score": shown})]


def referral(r: Resource) -> list[str]:
    to = ", ".join(p.get("display", "") for p in r.get("performer", []) if p.get("display"))
    reason = ", ".join(text_of(c) for c in r.get("reasonCode", []) if text_of(c))
    return [_line(when(r.get("authoredOn")), to, reason or text_of(r.get("code")))]


def task(r: Resource) -> list[str]:
    return [_line(when(r.get("authoredOn")), r.get("description"), r.get("status"))]


def related(r: Resource) -> list[str]:
    name = " ".join((r.get("name") or [{}])[0].get("text", "").split())
    relation = ", ".join(text_of(c) for c in r.get("relationship", []) if text_of(c))
    return [_line(name, relation)]


def consent(r: Resource) -> list[str]:
    provision = r.get("provision", {})
    parts = ", ".join(text_of({"coding": [s]}) for s in provision.get("securityLabel", []))
    actors = ", ".join(
        a.get("reference", {}).get("display", "") or text_of(a.get("role"))
        for a in provision.get("actor", [])
    )
    verb = _("refused to") if provision.get("type") == "deny" else _("opened to")
    status = "" if r.get("status") == "active" else _("withdrawn")
    return [_line(when(r.get("dateTime")), f"{parts} : {verb} {actors}", status)]


def access(r: Resource) -> list[str]:
    who = ", ".join(a.get("who", {}).get("display", "") for a in r.get("agent", []) if a.get("who"))
    what = ", ".join(text_of({"coding": [s]}) for s in r.get("subtype", []))
    return [_line(when(r.get("recorded"), with_time=True), who or _("someone"), what)]


# The headings, in the order the summary gives them, and how a resource becomes lines.
SECTIONS: list[tuple[str, Any, Callable[[Resource], list[str]]]] = [
    ("Patient", gettext_lazy("Who I am"), patient),
    ("CareTeam", gettext_lazy("My care team"), care_team),
    ("Appointment", gettext_lazy("My appointments"), appointment),
    ("Condition", gettext_lazy("My health problems"), condition),
    ("MedicationStatement", gettext_lazy("My treatments"), medication),
    ("CarePlan", gettext_lazy("My health project"), care_plan),
    ("Goal", gettext_lazy("My goals"), goal),
    ("Encounter", gettext_lazy("My encounters with the team"), encounter),
    ("Observation", gettext_lazy("My measures"), observation),
    ("DocumentReference", gettext_lazy("My documents and notes"), document),
    ("QuestionnaireResponse", gettext_lazy("My EPICES questionnaires"), epices),
    ("ServiceRequest", gettext_lazy("Where I was referred"), referral),
    ("Task", gettext_lazy("What the team does for me"), task),
    ("RelatedPerson", gettext_lazy("My close ones"), related),
    ("Consent", gettext_lazy("My sharing choices"), consent),
    ("AuditEvent", gettext_lazy("Who looked at my record"), access),
]


def summary(resources: Iterable[Resource]) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each kind of data the person has, in the SECTIONS order."""
    by_type: dict[str, list[Resource]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    result = []
    for kind, heading, lines_of in SECTIONS:
        lines = [line for r in by_type.get(kind, []) for line in lines_of(r) if line.strip()]
        if lines:
            result.append((str(heading), lines))
    return result


def summary_pdf(title: str, made_on: datetime.date, sections: list[tuple[str, list[str]]]) -> bytes:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    from maillage.core.pdf import build_pdf, pdf_text

    styles = getSampleStyleSheet()
    body, h1, h2 = styles["BodyText"], styles["Title"], styles["Heading2"]
    story: list[Any] = [
        Paragraph(pdf_text(title), h1),
        Paragraph(
            pdf_text(
                _("What the centre holds about me and that I may read, on %(date)s.")
                % {"date": formats.date_format(made_on, "j F Y")}
            ),
            body,
        ),
    ]
    for heading, lines in sections:
        story.append(Paragraph(pdf_text(heading), h2))
        story += [Paragraph(pdf_text(line), body) for line in lines]
    return build_pdf(story, title)
