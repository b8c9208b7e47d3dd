"""Professionals of the territory (RPPS warned, not refused) and relations between
structures."""

from __future__ import annotations

import pytest
from django.urls import reverse
from stdnum import luhn

from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Organisation, OrganisationLink, Professional
from tests.territory.data import as_json

BODY = "1000000000"
GOOD_RPPS = BODY + luhn.calc_check_digit(BODY)
BAD_KEY_RPPS = BODY + str((int(luhn.calc_check_digit(BODY)) + 1) % 10)


@pytest.fixture
def directory(centre):
    actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    return centre


def post_professional(client, **values):
    data = {"name": "Dr Lina Haddad", "profession": "chirurgien_dentiste", **values}
    return client.post(reverse("territory:professional_add"), data)


def test_a_professional_at_a_place_of_the_directory(as_reception, directory):
    response = post_professional(
        as_reception,
        rpps=f"{GOOD_RPPS[:5]} {GOOD_RPPS[5:]}",
        place_name="centre municipal de sante nord",
        languages=["ar"],
        accepts_ame="true",
    )
    assert response.status_code == 302
    professional = Professional.objects.get()
    assert professional.rpps == GOOD_RPPS
    assert professional.place.nom == "Centre municipal de santé Nord"
    assert professional.latitude == professional.place.latitude
    assert "|pr:chirurgien_dentiste|" in professional.tags and "|l:ar|" in professional.tags
    page = as_reception.get(reverse("territory:organisation", args=[professional.place.pk]))
    assert "Dr Lina Haddad" in page.content.decode()


def test_a_failed_rpps_key_is_a_warning_not_a_refusal(as_reception, directory):
    response = post_professional(as_reception, rpps=BAD_KEY_RPPS, commune="Saint-Denis")
    assert response.status_code == 302
    professional = Professional.objects.get()
    assert professional.rpps == BAD_KEY_RPPS
    follow = as_reception.get(response.url)
    assert any(m.level_tag == "warning" for m in follow.context["messages"])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"rpps": "12345"}, "rpps"),
        ({"place_name": "Nulle part"}, "place_name"),
        ({"profession": "astronaute"}, "profession"),
        ({"courriel": "pas-une-adresse"}, "courriel"),
    ],
)
def test_wrong_values_are_said_and_kept(as_reception, directory, values, field):
    response = post_professional(as_reception, **values)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Dr Lina Haddad" in response.content.decode()


def test_searching_professionals(as_reception, directory):
    post_professional(as_reception, accepts_ame="true")
    post_professional(as_reception, name="Marc Petit", profession="pharmacien")
    url = reverse("territory:professionals")
    names = lambda r: [p.name for p in r.context["page"].object_list]  # noqa: E731
    assert names(as_reception.get(url, {"profession": "pharmacien"})) == ["Marc Petit"]
    assert names(as_reception.get(url, {"accepts": "accepts_ame"})) == ["Dr Lina Haddad"]
    assert names(as_reception.get(url, {"q": "haddad"})) == ["Dr Lina Haddad"]


def test_another_structure_does_not_see_them(as_reception, as_other, directory):
    post_professional(as_reception)
    professional = Professional.objects.get()
    assert (
        as_other.get(reverse("territory:professional", args=[professional.pk])).status_code == 404
    )


def test_relating_two_structures_and_ending_it(as_reception, directory):
    centre_nord = Organisation.objects.get(di_id="essai--cms-nord")
    droits = Organisation.objects.get(di_id="essai--asso-droits")
    url = reverse("territory:link_add", args=[centre_nord.pk])
    search = as_reception.get(url, {"q": "acces droits"})
    assert list(search.context["candidates"]) == [droits]
    response = as_reception.post(url, {"target": droits.pk, "kind": "refers_to", "note": "CSS"})
    assert response.status_code == 302
    link = OrganisationLink.objects.get()
    assert (link.source, link.target, link.kind) == (centre_nord, droits, "refers_to")
    page = as_reception.get(reverse("territory:organisation", args=[droits.pk])).content.decode()
    assert "Centre municipal de santé Nord" in page
    as_reception.post(reverse("territory:link_end", args=[droits.pk, link.pk]))
    link.refresh_from_db()
    assert link.ended_at is not None  # ended, kept in the history


def test_a_structure_cannot_be_related_to_itself(as_reception, directory):
    centre_nord = Organisation.objects.get(di_id="essai--cms-nord")
    url = reverse("territory:link_add", args=[centre_nord.pk])
    assert (
        as_reception.post(url, {"target": centre_nord.pk, "kind": "works_with"}).status_code == 404
    )
