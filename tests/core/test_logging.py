"""Logs: one JSON object per line, tracebacks kept, no personal data nor secrets."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from maillage.core.auth import axes_client_str
from maillage.core.logging import JsonFormatter, mask_path

TOKEN = "Zk3p9QxT0aLmB7cD2eFgH4iJ5kLmN6oPqR8sTuVwXy"


def capture(logger_name: str) -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return logger, lines


@pytest.fixture
def request_log():
    logger, lines = capture("django.request")
    yield lines
    for handler in [h for h in logger.handlers if not isinstance(h, logging.StreamHandler)]:
        logger.removeHandler(handler)


def test_the_settings_write_json_to_the_console():
    config = settings.LOGGING
    assert config["formatters"]["json"]["()"] == "maillage.core.logging.JsonFormatter"
    assert config["handlers"]["console"]["formatter"] == "json"
    handler = logging.getLogger("django.request").handlers[0]
    assert isinstance(handler.formatter, JsonFormatter)


def test_a_line_is_one_json_object_with_the_basic_fields():
    record = logging.LogRecord("maillage.x", logging.WARNING, __file__, 1, "a\nb %s", ("c",), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "maillage.x"
    assert entry["message"] == "a\nb c"
    assert entry["time"].endswith("+00:00")
    assert set(entry) == {"time", "level", "logger", "message"}


def test_a_request_error_gives_method_path_status_and_traceback_only(request_log, reception):
    request = RequestFactory().post(
        f"/invitation/{TOKEN}/?q=DUPONT+Marie",
        {"birth_name": "DUPONT", "password": "secret-pw"},
        HTTP_COOKIE="sessionid=abcdef123456",
        HTTP_USER_AGENT="Firefox",
    )
    request.user = reception.user
    try:
        raise ValueError("boom")
    except ValueError:
        log_response(
            "%s: %s",
            "Internal Server Error",
            request.path,
            response=HttpResponse(status=500),
            request=request,
            exception=sys.exc_info(),
        )
    assert len(request_log) == 1
    line = request_log[0]
    entry = json.loads(line)
    assert entry["logger"] == "django.request"
    assert entry["level"] == "ERROR"
    assert entry["method"] == "POST"
    assert entry["path"] == "/invitation/***/"
    assert entry["status"] == 500
    assert entry["message"] == "Internal Server Error: /invitation/***/"
    assert "Traceback (most recent call last)" in entry["exception"]
    assert 'raise ValueError("boom")' in entry["exception"]
    for secret in (TOKEN, "DUPONT", "Marie", "secret-pw", "abcdef123456", "alice", "Firefox"):
        assert secret not in line, secret
    assert "WSGIRequest" not in line  # the request's repr is never written


def test_a_not_found_path_keeps_its_numeric_ids(request_log):
    request = RequestFactory().get("/personnes/1234/journal/?q=x")
    log_response(
        "Not Found: %s", request.path, response=HttpResponse(status=404), request=request
    )  # below django.request's level (ERROR): not written
    assert request_log == []
    record = logging.LogRecord("django.request", 40, __file__, 1, "Gone: %s", (request.path,), None)
    record.request = request
    entry = json.loads(JsonFormatter().format(record))
    assert entry["path"] == "/personnes/1234/journal/"
    assert entry["message"] == "Gone: /personnes/1234/journal/"


def test_an_escaped_path_in_the_message_is_masked_too(request_log):
    path = f"/invitation/é{TOKEN}/"
    request = RequestFactory().get(path)
    log_response("Error: %s", request.path, response=HttpResponse(status=500), request=request)
    entry = json.loads(request_log[0])
    assert entry["message"] == "Error: /invitation/***/"
    assert TOKEN not in request_log[0]


@pytest.mark.parametrize(
    ("path", "masked"),
    [
        ("/", "/"),
        ("/personnes/12/", "/personnes/12/"),
        ("/fhir/R4/Patient/12/$everything", "/fhir/R4/Patient/12/$everything"),
        (f"/invitation/{TOKEN}/", "/invitation/***/"),
        ("/invitation/short/", "/invitation/***/"),
        ("/mon-espace/activer/abc/", "/mon-espace/activer/***/"),
        ("/accounts/password/reset/key/1-set-password/", "/accounts/password/reset/key/***/"),
        (f"/agenda/ical/{TOKEN}.ics", "/agenda/ical/***"),
        (f"/x/{'a' * 21}/y", "/x/***/y"),
        (f"/x/{'a' * 20}/y", f"/x/{'a' * 20}/y"),
        ("/personnes/?q=DUPONT", "/personnes/"),
    ],
)
def test_paths_lose_their_secrets(path, masked):
    assert mask_path(path) == masked


def test_a_record_with_a_foreign_request_attribute_is_still_written():
    record = logging.LogRecord("django.server", 20, __file__, 1, "GET /", (), None)
    record.request = object()  # runserver passes its socket
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /" and "path" not in entry


def test_axes_names_an_account_by_a_hash_only():
    line = axes_client_str("Alice@Example.org", "203.0.113.9", "Firefox", "/accounts/login/", None)
    for personal in ("alice", "Alice", "example", "203.0.113.9", "Firefox"):
        assert personal not in line
    assert "/accounts/login/" in line
    assert line == axes_client_str("alice@example.org", "198.51.100.1", "", ("/x",), None).replace(
        '"/x"', '"/accounts/login/"'
    )
