"""The Content-Security-Policy in a real browser: the pages that run the most third-party
code (Swagger UI, Leaflet with a tile server) work under it, and a violation is caught
(the ``page`` fixture fails a test on any)."""

from __future__ import annotations

import base64

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from maillage.settings import content_security_policy
from tests.e2e.conftest import login, register

pytestmark = pytest.mark.e2e

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
# A 1×1 transparent PNG, answered for every tile (no request leaves the machine).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_the_api_documentation_works_under_the_policy(page):
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Maillage API")


def test_a_map_loads_its_tiles_from_the_tile_server(page, desk):
    person = register(desk, "MARTIN", "Louise", "F", "02/03/1980")
    tiles: list[str] = []

    def tile(route):
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route("https://tiles.example.org/**", tile)
    with override_settings(
        MAP_TILES_URL=TILES, CONTENT_SECURITY_POLICY=content_security_policy(TILES)
    ):
        login(page, desk.user.username, "pw-" + desk.user.username)
        page.goto(f"/personnes/{person.pk}/modifier/")
        picker = page.locator("[data-point-picker]")
        expect(picker.locator(".leaflet-tile-loaded").first).to_be_attached()
        picker.click()
        expect(page.locator("input[name=latitude]")).not_to_have_value("")
    assert tiles


def test_a_violation_is_caught(page, csp_violations):
    page.goto("/accounts/login/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML("
        "'beforeend', '<p style=\"color: red\">inline</p>')"
    )
    page.wait_for_timeout(300)
    assert csp_violations, "an inline style attribute should be refused and reported"
    assert any("style-src" in v for v in csp_violations)
    csp_violations.clear()  # expected here: the fixture fails on any left
