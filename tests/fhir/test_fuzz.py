"""Schema-driven fuzzing of the FHIR interface.

Searches are generated from the CapabilityStatement the server publishes: for each type,
its declared parameters with values shaped by each parameter's type (token, date,
reference, string, number…), with modifiers, prefixes and hostile strings mixed in.
Bodies for create and update start from resources the server itself serves on the demo's
records and are mutated element by element along the R4B model of their type (wrong
types, missing and unknown elements, odd references, hostile text).

Every answer must be valid FHIR (fhir.resources R4B): an OperationOutcome for every error,
a searchset Bundle for a search, the resource for a read, create or update; never a 5xx;
and a refused write leaves every table as it was.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db.models import Count
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import given
from hypothesis import strategies as st

from maillage.core.demo import load_demo
from maillage.core.models import Member
from maillage.fhir import capability
from maillage.people.models import Person
from tests.fhir.conftest import BASE, FhirClient, fhir_as, valid
from tests.hostile import HUGE, ODD_STRINGS, fuzzing

pytestmark = pytest.mark.django_db

STATEMENT = capability.statement(BASE)
RESOURCES = {r["type"]: r for r in STATEMENT["rest"][0]["resource"]}
WRITABLE = {
    (name, i["code"])
    for name, r in RESOURCES.items()
    for i in r["interaction"]
    if i["code"] in ("create", "update")
}
# Tables a refused write must leave alone: every model of the record's apps (the access
# log is not among them: a refusal is logged).
WRITTEN_APPS = ("people", "record", "agenda", "coordination", "rights", "territory", "portal")

# --- Values ---------------------------------------------------------------------------

text = st.one_of(st.sampled_from(ODD_STRINGS), st.text(min_size=1, max_size=30))
digits = st.integers(min_value=-(10**20), max_value=10**20).map(str)
code = st.one_of(
    st.sampled_from(["male", "female", "active", "finished", "planned", "R05", "29463-7"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12),
)
system = st.sampled_from(
    ["", "http://loinc.org", "urn:oid:1.2.250.1.213.1.4.8", "http://snomed.info/sct", "x"]
)
date_text = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2026", "2026-02", "2026-02-30", "2026-13-01", "2026-01-01T25:00", "T"]),
)
PREFIXES = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "zz"]
MODIFIERS = [
    "",
    ":exact",
    ":contains",
    ":missing",
    ":not",
    ":text",
    ":above",
    ":below",
    ":identifier",
    ":Patient",
    ":nonsense",
]


@st.composite
def reference(draw: st.DrawFn, ids: list[int]) -> str:
    target = draw(st.sampled_from([*sorted(RESOURCES), "Spaceship", ""]))
    ident = draw(st.one_of(st.sampled_from(ids).map(str), digits, text))
    return draw(st.sampled_from([f"{target}/{ident}", ident, f"{BASE}/{target}/{ident}"]))


def value_for(kind: str, ids: list[int]) -> st.SearchStrategy[str]:
    """A value shaped for a search parameter of that type, or not shaped at all."""
    shaped: dict[str, st.SearchStrategy[str]] = {
        "token": st.one_of(
            code, st.tuples(system, code).map("|".join), system.map(lambda s: s + "|")
        ),
        "date": st.tuples(st.sampled_from(PREFIXES), date_text).map("".join),
        "number": st.tuples(st.sampled_from(PREFIXES), digits).map("".join),
        "quantity": st.tuples(st.sampled_from(PREFIXES), digits, system, code).map(
            lambda t: f"{t[0]}{t[1]}|{t[2]}|{t[3]}"
        ),
        "reference": reference(ids),
        "string": text,
        "uri": st.one_of(system, text),
    }
    fitting = shaped.get(kind, text)
    return st.one_of(fitting, fitting, text, st.sampled_from(ids).map(str))


@st.composite
def search(draw: st.DrawFn, ids: list[int]) -> tuple[str, list[tuple[str, str]]]:
    """A resource type and a query: some of its declared parameters, paging and includes."""
    name = draw(st.sampled_from(sorted(RESOURCES)))
    declared = RESOURCES[name].get("searchParam", [])
    query = []
    for param in draw(st.lists(st.sampled_from(declared), max_size=3)) if declared else []:
        modifier = draw(st.sampled_from(MODIFIERS)) if draw(st.integers(0, 3)) == 0 else ""
        query.append((param["name"] + modifier, draw(value_for(param["type"], ids))))
    if draw(st.booleans()):
        count = st.integers(0, 1000).map(str)
        query.append(
            ("_count", draw(st.one_of(count, count, count, st.integers(-5, 10**6).map(str), text)))
        )
    if draw(st.booleans()):
        query.append(("_offset", draw(st.one_of(st.integers(-5, 10**6).map(str), text))))
    if draw(st.booleans()):
        includes = [*RESOURCES[name].get("searchInclude", []), "Patient:nothing", "*", ""]
        query.append(("_include", draw(st.sampled_from(includes))))
    if draw(st.booleans()):
        query.append(("_summary", draw(st.sampled_from(["count", "true", "data", ""]))))
    return name, query


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(children, max_size=3), st.dictionaries(text, children, max_size=3))


json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    ),
    containers,
    max_leaves=8,
)


def elements(resource_type: str) -> list[str]:
    """The element names of the type, from its R4B model."""
    model = get_fhir_model_class(resource_type)
    return sorted(
        field.alias or name
        for name, field in model.model_fields.items()
        if name not in ("fhir_comments", "resource_type")
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a resource."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, seed: dict[str, Any], ids: list[int]) -> dict[str, Any]:
    """The seed resource, changed up to three times along its type's elements."""
    body = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["element", "inner", "drop", "reference", "type"]))
        if where == "element":
            body[draw(st.sampled_from(elements(seed["resourceType"])))] = draw(json_value)
            continue
        if where == "type":
            body["resourceType"] = draw(st.sampled_from([*sorted(RESOURCES), "Bundle", "", 3]))
            continue
        inner = [p for p in paths(body) if p != ("resourceType",)]
        if where == "reference":
            inner = [p for p in inner if p[-1] == "reference"]
        if not inner:
            continue
        *steps, last = draw(st.sampled_from(inner))
        parent = body
        for step in steps:
            parent = parent[step]
        if where == "drop":
            del parent[last]
        elif where == "reference":
            parent[last] = draw(reference(ids))
        else:
            parent[last] = draw(st.one_of(json_value, st.just(HUGE)))
    return body


# --- Checks ---------------------------------------------------------------------------


def check_answer(response: Any, expected_type: str | None) -> dict[str, Any]:
    """Not a 5xx; valid FHIR JSON; errors as OperationOutcome; success of the right type."""
    request = response.wsgi_request
    where = f"{request.method} {request.get_full_path()[:300]}"
    assert response.status_code < 500, where
    assert response["Content-Type"].startswith("application/fhir+json"), where
    body: dict[str, Any] = valid(response.json())
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome", where
        assert body["issue"] and all(i.get("diagnostics") for i in body["issue"]), where
    elif expected_type:
        assert body["resourceType"] == expected_type, where
    return body


def table_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in WRITTEN_APPS
        for model in apps.get_app_config(app).get_models()
    }


# --- Fixtures -------------------------------------------------------------------------


@pytest.fixture
def demo() -> tuple[FhirClient, list[int], dict[str, dict[str, Any]]]:
    """The demo's centre, seen by its GP: a client, ids to aim at, and one resource the
    server serves for each writable type (without its id), to mutate."""
    load_demo(persons=25)
    gp = Member.objects.get(user__username="medecin", structure__name__contains="Tilleuls")
    client = fhir_as(gp)
    person = (
        Person.objects.filter(structure=gp.structure)
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    assert person is not None
    bundle = client.read(f"Patient/{person.pk}/$everything")
    served: dict[str, dict[str, Any]] = {}
    ids = {person.pk}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["id"].isdigit():
            ids.add(int(resource["id"]))
        served.setdefault(resource["resourceType"], resource)
    seeds = {}
    for name in sorted({name for name, _ in WRITABLE}):
        resource = served.get(name) or next(iter(client.search(name, _count=1)), None)
        assert resource is not None, f"the demo serves no {name}"
        seeds[name] = resource
    return client, sorted(ids), seeds


# --- Tests ----------------------------------------------------------------------------


def test_every_generated_search_and_read_is_answered_in_valid_fhir(demo):
    client, ids, _seeds = demo
    patients = [int(p["id"]) for p in client.search("Patient", _count=20)]

    @fuzzing(250)
    @given(
        case=search(ids),
        how=st.sampled_from(["get", "post", "read", "everything"]),
        ident=st.one_of(st.sampled_from(ids).map(str), text, digits),
        patient=st.one_of(st.sampled_from(patients).map(str), text, digits),
        options=st.fixed_dictionaries(
            {},
            optional={
                "_type": st.lists(st.sampled_from([*RESOURCES, "Spaceship"]), min_size=1).map(
                    ",".join
                ),
                "_since": st.one_of(date_text, text),
            },
        ),
    )
    def run(
        case: tuple[str, list[tuple[str, str]]],
        how: str,
        ident: str,
        patient: str,
        options: dict[str, str],
    ) -> None:
        name, query = case
        params: dict[str, list[str]] = {}
        for key, value in query:
            params.setdefault(key, []).append(value)
        if how == "get":
            response = client.client.get(f"{BASE}/{name}", params, **client.headers)
            body = check_answer(response, "Bundle")
        elif how == "post":
            response = client.client.post(
                f"{BASE}/{name}/_search",
                urlencode(params, doseq=True),
                "application/x-www-form-urlencoded",
                **client.headers,
            )
            body = check_answer(response, "Bundle")
        elif how == "read":
            response = client.client.get(f"{BASE}/{name}/{ident}", **client.headers)
            body = check_answer(response, name)
        else:
            response = client.client.get(
                f"{BASE}/Patient/{patient}/$everything", options, **client.headers
            )
            body = check_answer(response, "Bundle")
        if response.status_code == 200 and body["resourceType"] == "Bundle":
            assert body["type"] == "searchset"

    run()


def test_every_generated_write_is_answered_in_valid_fhir_and_a_refusal_writes_nothing(demo):
    client, ids, seeds = demo
    writes = sorted(WRITABLE)

    @fuzzing(250)
    @given(data=st.data(), write=st.sampled_from(writes))
    def run(data: st.DataObject, write: tuple[str, str]) -> None:
        name, interaction = write
        seed = {k: v for k, v in seeds[name].items() if k not in ("id", "meta")}
        body = data.draw(mutated(seed, ids))
        before = table_counts()
        if interaction == "create":
            response = client.post(name, body)
        else:
            ident = data.draw(st.one_of(st.just(seeds[name]["id"]), text, digits))
            response = client.put(f"{name}/{ident}", {**body, "id": ident})
        check_answer(response, name)
        if response.status_code >= 400:
            assert table_counts() == before, (name, interaction, response.json())

    run()


@pytest.mark.parametrize("path", ["Patient", "Encounter"])
def test_a_ten_megabyte_body_is_refused(fhir_doctor, path):
    body = b'{"resourceType": "Patient", "name": [{"family": "' + b"x" * 10_000_000 + b'"}]}'
    response = fhir_doctor.client.post(
        f"{BASE}/{path}", body, content_type="application/fhir+json", **fhir_doctor.headers
    )
    assert check_answer(response, None)["issue"][0]["code"] == "too-costly"
    assert response.status_code == 413


def test_a_search_takes_a_form_of_reasonable_size(fhir_doctor):
    search = f"{BASE}/Patient/_search"
    form = "application/x-www-form-urlencoded"
    huge = fhir_doctor.client.post(search, "name=" + "x" * 10_000_000, form, **fhir_doctor.headers)
    assert check_answer(huge, None)["issue"][0]["code"] == "too-costly"
    assert huge.status_code == 413
    many = "&".join(f"name{i}=x" for i in range(2000))
    assert fhir_doctor.client.post(search, many, form, **fhir_doctor.headers).status_code == 400
    as_json = fhir_doctor.client.post(
        search, '{"name": "x"}', "application/fhir+json", **fhir_doctor.headers
    )
    assert check_answer(as_json, None)["issue"][0]["code"] == "not-supported"
    assert as_json.status_code == 415
