"""Security headers: a Content-Security-Policy without inline script or style on every
answer, templates that need none, and the HTTPS headers and cookies of production."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from csp.middleware import CSPMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.urls import reverse

import maillage
from maillage.settings import content_security_policy, tiles_source

SRC = Path(maillage.__file__).parent
LOGIN = "/accounts/login/"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert "'self'" in directives[name]
        assert "'unsafe-inline'" not in directives[name], name
        assert "'unsafe-eval'" not in directives[name], name
        assert "*" not in directives[name] and "data:" not in directives[name], name
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["font-src"] == ["'self'"]
    assert directives["img-src"][:2] == ["'self'", "data:"]


# --- The header on each kind of answer -----------------------------------------------------


def test_it_is_on_a_page(as_reception):
    response = as_reception.get(reverse("home"))
    assert response.status_code == 200
    assert_strict(response)


def test_it_is_on_an_htmx_partial(as_reception, person):
    response = as_reception.get(reverse("people:search"), {"q": "DUP"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert_strict(response)


def test_it_is_on_the_login_page(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert_strict(response)


def test_it_is_on_the_api_documentation(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert_strict(response)
    # ninja's page runs its code from static files (its settings are a JSON data block).
    html = response.content.decode()
    assert all(ALLOWED_INLINE_SCRIPT.search(m[0]) for m in INLINE_SCRIPT.finditer(html))
    assert "/static/ninja/swagger-ui-init.js" in html


def test_it_is_on_the_fhir_interface(client, db):
    assert_strict(client.get("/fhir/R4/metadata"))
    refused = client.get("/fhir/R4/Patient", HTTP_AUTHORIZATION="Bearer mlg_nothing")
    assert refused.status_code == 401
    assert_strict(refused)


def test_it_is_on_the_api(client, db):
    refused = client.get("/api/persons/1/timeline", HTTP_AUTHORIZATION="Bearer mlg_nothing")
    assert refused.status_code == 401
    assert_strict(refused)


def test_a_page_without_tiles_allows_no_other_image_origin(as_reception):
    assert policy(as_reception.get(reverse("home")))["img-src"] == ["'self'", "data:"]


def test_there_is_no_nonce_unless_a_template_asks_for_one(as_reception):
    assert not any(s.startswith("'nonce-") for s in policy(as_reception.get("/"))["script-src"])


def test_a_template_that_asks_for_a_nonce_gets_it_in_the_header(rf: RequestFactory):
    template = Template('<script nonce="{{ request.csp_nonce }}">go()</script>')

    def view(request):
        return HttpResponse(template.render(Context({"request": request})))

    request = rf.get("/")
    response = CSPMiddleware(view)(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]


def test_a_downloaded_document_keeps_its_own_stricter_policy(rf: RequestFactory):
    def view(request):
        response = HttpResponse(b"%PDF-")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = CSPMiddleware(view)(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- The map tile server ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://Tiles.Example.org:8443/osm/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        (
            "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
            "https://*.tile.openstreetmap.fr",
        ),
        ("http://tile-{s}.example.org/{z}/{x}/{y}.png", "http://*.example.org"),
    ],
)
def test_it_allows_images_from_the_tile_server_only(url, source):
    images = content_security_policy(url)["DIRECTIVES"]["img-src"]
    assert tiles_source(url) == source
    assert images == ["'self'", "data:", *([source] if source else [])]


@pytest.mark.parametrize(
    "url",
    [
        "https://{s}.org/{z}/{x}/{y}.png",  # would allow every .org
        "https://tiles.example.org;script-src/{z}/{x}/{y}.png",
        "https://tiles.example.org%20data:/{z}/{x}/{y}.png",
    ],
)
def test_it_refuses_a_tile_host_that_would_change_the_policy(url):
    with pytest.raises(ImproperlyConfigured, match="MAILLAGE_MAP_TILES_URL"):
        content_security_policy(url)


def test_the_tile_origin_is_in_the_header_when_tiles_are_set(as_reception):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    with override_settings(MAP_TILES_URL=url, CONTENT_SECURITY_POLICY=content_security_policy(url)):
        response = as_reception.get(reverse("home"))
    assert_strict(response)
    assert policy(response)["img-src"] == ["'self'", "data:", "https://tiles.example.org"]


def test_the_setting_reads_maillage_map_tiles_url(monkeypatch):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    monkeypatch.setenv("MAILLAGE_MAP_TILES_URL", url)
    fresh = load_settings()
    assert "https://tiles.example.org" in fresh.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert "csp.middleware.CSPMiddleware" in fresh.MIDDLEWARE


# --- Templates: nothing inline that the policy would refuse ------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
ALLOWED_INLINE_SCRIPT = re.compile(
    r"""\bnonce\s*=\s*["']\{\{\s*request\.csp_nonce\s*\}\}["']"""
    # A data block is never run: the policy does not apply to it.
    r"""|\btype\s*=\s*["']application/(ld\+)?json["']""",
    re.IGNORECASE,
)
FORBIDDEN = {
    "an on…= event handler attribute (use addEventListener in a static file)": re.compile(
        r"<[a-zA-Z][^<>]*?\son[a-z]+\s*=", re.IGNORECASE
    ),
    "a style= attribute (use a class of the stylesheet)": re.compile(
        r"<[a-zA-Z][^<>]*?\sstyle\s*=", re.IGNORECASE
    ),
    "a <style> element (use the stylesheet)": re.compile(r"<style\b", re.IGNORECASE),
    "a javascript: address": re.compile(r"javascript\s*:", re.IGNORECASE),
    # htmx runs with allowEval off (base.html): no code in hx- attributes.
    "an hx-on attribute (htmx evaluates it)": re.compile(r"\s(data-)?hx-on", re.IGNORECASE),
    "a js: value in hx-vals (htmx evaluates it)": re.compile(
        r"""\s(data-)?hx-vals\s*=\s*["']\s*js:""", re.IGNORECASE
    ),
    "an hx-vars attribute (htmx evaluates it)": re.compile(r"\s(data-)?hx-vars", re.IGNORECASE),
    "an event filter in hx-trigger (htmx evaluates it)": re.compile(
        r"""\s(data-)?hx-trigger\s*=\s*(["'])[^"']*\[""", re.IGNORECASE
    ),
}


def template_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("templates/**/*.html") if p.is_file())


TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def without_comments(text: str) -> str:
    """Template comments blanked out, lines kept where they were."""
    return TEMPLATE_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), text)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_there_are_templates_to_check():
    files = template_files()
    assert len(files) > 50
    assert SRC / "templates" / "base.html" in files


def test_templates_have_nothing_inline_that_the_policy_refuses():
    problems = []
    for path in template_files():
        text = without_comments(path.read_text(encoding="utf-8"))
        where = path.relative_to(SRC.parent)
        for match in INLINE_SCRIPT.finditer(text):
            if not ALLOWED_INLINE_SCRIPT.search(match.group(0)):
                problems.append(
                    f"{where}:{line_of(text, match.start())}: an inline <script> without "
                    'nonce="{{ request.csp_nonce }}" (move it to a static file)'
                )
        for what, pattern in FORBIDDEN.items():
            for match in pattern.finditer(text):
                problems.append(f"{where}:{line_of(text, match.start())}: {what}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<div\n  class="x" onclick="go()">',
        '<p style="color: red">',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">',
        '<button hx-on:click="go()">',
        "<input hx-trigger=\"keyup[key=='Enter']\">",
    ],
)
def test_the_template_check_finds_what_it_looks_for(html):
    found = [m for m in INLINE_SCRIPT.finditer(html) if not ALLOWED_INLINE_SCRIPT.search(m[0])]
    found += [m for p in FORBIDDEN.values() for m in p.finditer(html)]
    assert found, html


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/x.js" defer></script>',
        '<script nonce="{{ request.csp_nonce }}">go()</script>',
        '<script id="d" type="application/json">{}</script>',
        '<input hx-get="/x" hx-trigger="input changed delay:300ms, search">',
        "<p>Mention one=1 in a sentence; the style of the text.</p>",
    ],
)
def test_the_template_check_lets_allowed_markup_through(html):
    found = [m for m in INLINE_SCRIPT.finditer(html) if not ALLOWED_INLINE_SCRIPT.search(m[0])]
    found += [m for p in FORBIDDEN.values() for m in p.finditer(html)]
    assert not found, html


def test_htmx_neither_injects_styles_nor_evaluates_code(client, db):
    html = client.get(LOGIN).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config is not None
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)
    css = (SRC / "static" / "maillage" / "maillage.css").read_text(encoding="utf-8")
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css


def test_leaflet_styles_come_from_a_static_file():
    for name in ("_map.html", "_point_picker.html"):
        text = (SRC / "territory" / "templates" / "territory" / name).read_text(encoding="utf-8")
        assert "{% static 'vendor/leaflet/leaflet.css' %}" in text


# --- HTTPS: headers and cookies of production ----------------------------------------------

PRODUCTION_KEYS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)


def load_settings():
    """maillage.settings read again from the environment, as a separate module."""
    spec = importlib.util.spec_from_file_location("maillage_settings_again", SRC / "settings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and annotations look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("MAILLAGE_HTTPS", "true")
    return load_settings()


def test_production_settings_turn_every_https_protection_on(production):
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.CSRF_COOKIE_HTTPONLY is True
    assert production.SECURE_REFERRER_POLICY == "same-origin"
    assert content_security_policy("") == production.CONTENT_SECURITY_POLICY


def test_production_answers_carry_the_headers_and_secure_cookies(production, client, reception):
    with override_settings(**{key: getattr(production, key) for key in PRODUCTION_KEYS}):
        redirected = client.get(LOGIN)
        assert redirected.status_code == 301
        assert redirected["Location"].startswith("https://")

        response = client.get(LOGIN, secure=True)
        assert response.status_code == 200
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "includeSubDomains" in response["Strict-Transport-Security"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert_strict(response)
        csrf = response.cookies["csrftoken"]
        assert csrf["secure"] and csrf["httponly"]

        signed_in = client.post(LOGIN, {"login": "alice", "password": "pw-alice"}, secure=True)
        assert signed_in.status_code == 302
        session = signed_in.cookies["sessionid"]
        assert session["secure"] and session["httponly"]
        assert session["samesite"] == "Lax"
