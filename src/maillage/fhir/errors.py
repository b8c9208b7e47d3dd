"""Errors of the FHIR interface: an ``OperationOutcome`` with a precise diagnostic in the
caller's language, and a 4xx status — never a 500 for bad input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One issue of an OperationOutcome (``code`` from the FHIR issue-type value set)."""

    code: str
    diagnostics: str
    expression: str = ""
    severity: str = "error"

    def as_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class FhirError(Exception):
    """A refusal answered as an OperationOutcome with ``status``."""

    def __init__(
        self, status: int, issues: Iterable[Issue], headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.issues = list(issues)
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429
        super().__init__(status, "; ".join(i.diagnostics for i in self.issues))


def fail(status: int, code: str, diagnostics: str, expression: str = "") -> FhirError:
    """The error for one issue: ``raise fail(400, "value", _("…"), "Patient.gender")``."""
    return FhirError(status, [Issue(code, diagnostics, expression)])


def outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


def form_error(
    form: Any, where: dict[str, str], default: str, rules: frozenset[str] = frozenset()
) -> FhirError:
    """A web form's errors as a 422 OperationOutcome, in the form's own words: each
    field's error at the element ``where`` names for it (``default`` otherwise). Errors
    of the whole form, and of the fields in ``rules``, are business rules."""
    issues = []
    for field, errors in form.errors.items():
        path = where.get(field, default)
        code = "business-rule" if field == "__all__" or field in rules else "value"
        issues += [Issue(code, f"{path}: {message}", path) for message in errors]
    return FhirError(422, issues)
