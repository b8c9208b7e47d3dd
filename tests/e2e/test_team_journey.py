"""The administrator's team page in a real browser: giving a GP the export right, then
the GP making an export token and starting a FHIR bulk export with it (docs/adr/0010)."""

from __future__ import annotations

import pytest

from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.fhir.models import BulkExport
from tests.conftest import make_member
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_admin_gives_a_gp_the_export_right_and_the_gp_exports(page, a11y, e2e_centre):
    admin = make_member(e2e_centre, "direction-e2e", Role.ADMIN, "directeur")
    gp = make_member(e2e_centre, "docteur-e2e", Role.GP, "medecin_generaliste")

    login(page, admin.user.username, "pw-direction-e2e")
    page.goto("/equipe/")
    a11y.check(page, "team")
    give = page.locator(f"form[action='/equipe/{gp.pk}/export/']")
    give.locator("button[type=submit]").click()
    page.wait_for_url("**/equipe/")
    assert Member.objects.get(pk=gp.pk).may_export
    # The same place now offers to withdraw it.
    withdraw = page.locator(f"form[action='/equipe/{gp.pk}/export/'] input[name=may_export]")
    assert withdraw.get_attribute("value") == "0"
    a11y.check(page, "team, export right given")
    page.locator("form[action$='/logout/'] button[type=submit]").click()

    # The GP makes a token with the export right…
    login(page, gp.user.username, "pw-docteur-e2e")
    page.goto("/compte/jetons/")
    page.locator("input[name=name]").fill("Passage au nouveau logiciel")
    page.locator("input[name=scopes][value=read]").check()
    page.locator("input[name=scopes][value=export]").check()
    page.locator("main form[method=post] button[type=submit]").last.click()
    token = page.locator("#new-token").input_value()
    assert token.startswith("mlg_")
    a11y.check(page, "tokens, export token created")

    # …and a program starts the export with it.
    response = page.request.get(
        "/fhir/R4/$export",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/fhir+json",
            "Prefer": "respond-async",
        },
    )
    assert response.status == 202, response.text()
    assert "/fhir/R4/$export-status/" in response.headers["content-location"]
    assert BulkExport.objects.filter(member=gp).count() == 1
