"""The official FHIR R4 examples (npm package hl7.fhir.r4.examples, installed at setup by
``./dev setup``; never committed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "node_modules" / "hl7.fhir.r4.examples"


def example(name: str) -> dict[str, Any]:
    path = EXAMPLES / f"{name}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run ./dev setup (npm ci) first")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def pointing_to(resource: dict[str, Any], person_pk: int, *fields: str) -> dict[str, Any]:
    """The example, its reference to a person replaced by one to ``person_pk`` (the
    examples point to Patient/example, which is not on this server)."""
    resource = dict(resource)
    for field in fields:
        resource[field] = {"reference": f"Patient/{person_pk}"}
    resource.pop("id", None)
    return resource
