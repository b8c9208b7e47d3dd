"""Schema-driven fuzzing of the JSON API: schemathesis generates requests from the OpenAPI
schema the API serves (valid and invalid ones), sends them through the WSGI application,
and checks every answer against the same schema: no 5xx, only declared status codes and
content types, bodies that match their schema, invalid input refused with a 4xx."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from maillage.api import api
from maillage.wsgi import application
from tests.api.conftest import Api, token_for
from tests.hostile import fuzzing

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
# The token is sent by the test; unknown query parameters are ignored, as HTTP APIs do.
SCHEMA.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
OPERATIONS = [(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection():
    """The WSGI handler closes the connection after each request; the tests' transaction
    must outlive it (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("method, path", OPERATIONS)
def test_the_api_answers_every_generated_request_as_its_schema_says(
    same_connection,
    doctor,
    person,
    record,
    method,
    path,
    mode,
):
    operation = SCHEMA[path][method]
    headers = {"Authorization": f"Bearer {token_for(doctor)}"}
    real_ids = {"person_id": person.pk, "entry_pk": record["document"].pk}
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @fuzzing(100)
    @given(case=operation.as_strategy(mode), real=st.booleans())
    def run(case, real):
        if real:
            for name in case.path_parameters or {}:
                if name in real_ids:
                    case.path_parameters[name] = real_ids[name]
        response = case.call(app=application, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    run()


def test_a_ten_megabyte_body_is_413_with_a_reason(doctor, person):
    api = Api(token_for(doctor))
    body = b'{"type": "note", "section": "clinical", "text": "' + b"x" * 10_000_000 + b'"}'
    response = api.post(f"/persons/{person.pk}/entries", body, raw=True)
    assert response.status_code == 413
    assert "5 Mo" in response.json()["detail"]
