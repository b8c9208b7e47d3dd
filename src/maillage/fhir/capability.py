"""The CapabilityStatement, built from the registry: it lists exactly what is implemented."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from django.utils import timezone

from maillage.fhir.registry import REGISTRY

SEARCH_CONTROL = [
    ("_count", "number", "How many resources per page (0–1000, 50 by default)."),
    ("_offset", "number", "Where the page starts (the paging links carry it)."),
    ("_summary", "token", "“count”: only the total."),
]

# Operations, with the resource types they apply to (none: the whole system).
OPERATIONS: list[tuple[str, str, str]] = [
    ("everything", "Patient", "http://hl7.org/fhir/OperationDefinition/Patient-everything"),
    ("export", "Patient", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"),
    ("export", "", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"),
]


def statement(base: str) -> dict[str, Any]:
    resources = []
    for name in sorted(REGISTRY):
        rt = REGISTRY[name]
        interactions = [{"code": "read"}, {"code": "search-type"}]
        interactions += [{"code": code} for code in sorted(rt.writable)]
        entry: dict[str, Any] = {
            "type": name,
            "documentation": str(rt.documentation),
            "interaction": interactions,
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": sorted(rt.includes()),
            "searchParam": [
                {"name": p.name, "type": p.type, "documentation": str(p.documentation)}
                for p in sorted(rt.params().values(), key=lambda p: p.name)
            ],
        }
        if rt.profile:
            entry["supportedProfile"] = [rt.profile]
        operations = [
            {"name": op, "definition": definition}
            for op, types, definition in OPERATIONS
            if name in types.split()
        ]
        if operations:
            entry["operation"] = operations
        resources.append({k: v for k, v in entry.items() if v not in ([], "")})
    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": (
            "Maillage: the shared record, health projects and coordination of a community "
            "health centre. Same access policy and same access log as the web pages."
        ),
        "security": {
            "cors": False,
            "service": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                            "code": "OAuth",
                        }
                    ],
                    "text": "Bearer personal access tokens (mlg_…): scopes read, write, export.",
                }
            ],
            "description": (
                "Authorization: Bearer mlg_… — a personal access token of a member, acting "
                "as that membership; a person signed in to their own space reads their own "
                "data with their session."
            ),
        },
        "resource": resources,
        "searchParam": [
            {"name": name, "type": kind, "documentation": doc} for name, kind, doc in SEARCH_CONTROL
        ],
    }
    system_operations = [
        {"name": op, "definition": definition} for op, types, definition in OPERATIONS if not types
    ]
    if system_operations:
        rest["operation"] = system_operations
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Maillage",
        "kind": "instance",
        "software": {"name": "Maillage", "version": version("maillage")},
        "implementation": {"description": "Maillage FHIR R4 interface", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    }
