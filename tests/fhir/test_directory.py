"""The directory of the territory: HealthcareService (data·inclusion services), and the
rendering of its organisations (Organization/org-…) and professionals
(Practitioner/pro-…) that team.py serves."""

from __future__ import annotations

import pytest

from maillage.core.models import AccessEvent
from maillage.fhir.caller import Caller
from maillage.fhir.registry import Context
from maillage.fhir.resources.directory import (
    directory_organisations,
    directory_professionals,
    render_directory_organisation,
    render_directory_professional,
)
from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Organisation, Professional, Service
from tests.fhir.conftest import fhir_as, valid
from tests.territory.data import as_json

pytestmark = pytest.mark.django_db

THEME = "urn:maillage:codesystem:datainclusion-thematique"
ACCESS = "urn:maillage:codesystem:directory-access"
RPPS = "https://rpps.esante.gouv.fr"
GOOD_RPPS = "10000000007"


@pytest.fixture
def directory(centre):
    actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    dentist = Service.objects.get(owner=centre, di_id="essai--dentiste")
    actions.do_update_health_access(
        dentist, {"languages": ["ar"], "accepts_ame": True, "team_notes": "Demander Karima"}
    )
    return centre


@pytest.fixture
def dentist(directory):
    return Service.objects.get(owner=directory, di_id="essai--dentiste")


@pytest.fixture
def elsewhere(other_centre):
    """The same file imported by another structure: its own directory."""
    actions.do_import_directory(other_centre, di.parse([("d.json", as_json())]))
    return Service.objects.get(owner=other_centre, di_id="essai--dentiste")


def ids(resources):
    return {r["id"] for r in resources}


# --- HealthcareService ----------------------------------------------------------------


def test_read_maps_the_service(fhir_reception, dentist):
    service = fhir_reception.read(f"HealthcareService/{dentist.pk}")
    assert service["name"] == "Consultations dentaires"
    assert service["active"] is True
    assert service["providedBy"]["reference"] == f"Organization/org-{dentist.organisation_id}"
    assert service["category"][0]["coding"][0]["system"] == THEME
    assert service["category"][0]["coding"][0]["code"] == "sante--acces-aux-soins"
    assert service["type"][0]["coding"][0]["code"] == "accompagnement"
    assert service["communication"][0]["coding"][0]["code"] == "ar"
    assert service["characteristic"][0]["coding"][0] == {
        "system": ACCESS,
        "code": "accepts_ame",
        "display": service["characteristic"][0]["text"],
    }
    assert service["eligibility"][0]["code"]["coding"][0]["code"] == "tous-publics"
    assert "Mo-Fr 09:00-12:00" in service["availabilityExceptions"]
    assert service["identifier"][0]["value"] == "essai--essai--dentiste"
    assert "Karima" not in str(service)  # the team's notes stay on the team's pages
    assert not AccessEvent.objects.filter(reason="fhir").exists()  # nobody's record


def test_hours_of_the_organisation_when_the_service_has_none(fhir_reception, directory):
    psy = Service.objects.get(owner=directory, di_id="essai--psy")
    service = fhir_reception.read(f"HealthcareService/{psy.pk}")
    assert "Mo-Fr 08:30-18:00" in service["availabilityExceptions"]
    assert {e["code"]["coding"][0]["code"] for e in service["eligibility"]} == {
        "personnes-exilees",
        "femmes",
    }


@pytest.mark.parametrize(
    "params, found",
    [
        ({"name": "consult"}, True),
        ({"name": "ecoute"}, False),
        ({"organization": "Organization/org-{org}"}, True),
        ({"organization": "org-{other_org}"}, False),
        ({"service-category": "sante--acces-aux-soins"}, True),
        ({"service-category": "sante"}, True),
        ({"service-category": f"{THEME}|sante--sante-mentale"}, False),
        ({"service-type": "accompagnement"}, True),
        ({"service-type": "formation"}, False),
        ({"characteristic": "accepts_ame"}, True),
        ({"characteristic": f"{ACCESS}|accepts_css"}, False),
        ({"active": "true"}, True),
        ({"active": "false"}, False),
        ({"_lastUpdated": "ge2000-01-01"}, True),
        ({"_lastUpdated": "lt2000-01-01"}, False),
    ],
)
def test_search_parameters(fhir_reception, dentist, params, found):
    other_org = Organisation.objects.get(owner=dentist.owner, di_id="essai--asso-droits")
    values = {"org": dentist.organisation_id, "other_org": other_org.pk}
    query = {k: v.format(**values) for k, v in params.items()}
    assert (str(dentist.pk) in ids(fhir_reception.search("HealthcareService", **query))) is found


def test_an_unlisted_service_is_not_read(fhir_reception, dentist):
    Service.objects.filter(pk=dentist.pk).update(is_active=False)
    assert fhir_reception.get(f"HealthcareService/{dentist.pk}").status_code == 404


def test_each_structure_reads_its_own_directory(
    fhir_reception, fhir_other, fhir_person, fhir_anonymous, partner, dentist, elsewhere
):
    assert str(elsewhere.pk) not in ids(fhir_reception.search("HealthcareService"))
    assert fhir_reception.get(f"HealthcareService/{elsewhere.pk}").status_code == 404
    assert fhir_other.get(f"HealthcareService/{dentist.pk}").status_code == 404
    assert ids(fhir_other.search("HealthcareService", name="consult")) == {str(elsewhere.pk)}
    assert fhir_person.get(f"HealthcareService/{dentist.pk}").status_code == 404
    assert fhir_as(partner).search("HealthcareService") == []
    assert fhir_anonymous.get("HealthcareService").status_code == 401


def test_the_directory_is_read_only(fhir_reception, dentist):
    resource = fhir_reception.read(f"HealthcareService/{dentist.pk}")
    response = fhir_reception.put(f"HealthcareService/{dentist.pk}", resource)
    assert response.status_code == 405
    assert fhir_reception.post("HealthcareService", resource).status_code == 405


# --- Organisations and professionals of the directory ---------------------------------


def ctx_for(member):
    return Context("http://testserver/fhir/R4", Caller(member=member))


def test_render_a_directory_organisation(reception, directory):
    org = Organisation.objects.get(owner=directory, di_id="essai--cms-nord")
    org.siret = "12345678901234"
    org.site_web = "https://cms-nord.example.org"
    org.save()
    resource = valid(render_directory_organisation(org, ctx_for(reception)))
    assert resource["id"] == f"org-{org.pk}"
    assert resource["name"] == "Centre municipal de santé Nord"
    assert {"system": "http://sirene.fr", "value": "12345678901234"}.items() <= resource[
        "identifier"
    ][1].items()
    assert resource["address"][0]["postalCode"] == "93200"
    assert resource["address"][0]["extension"][0]["valueCoding"]["code"] == "93066"
    assert {"system": "url", "value": "https://cms-nord.example.org"} in resource["telecom"]


def test_render_a_directory_professional(reception, directory):
    place = Organisation.objects.get(owner=directory, di_id="essai--cms-nord")
    pro = actions.do_save_professional(
        directory,
        {
            "name": "Dr Lina Haddad",
            "profession": "chirurgien_dentiste",
            "speciality": "Pédodontie",
            "rpps": GOOD_RPPS,
            "place": place,
            "languages": ["ar", "fr"],
            "telephone": "01 00 00 00 02",
            "adresse": "1 rue de l'Essai",
            "code_postal": "93200",
            "commune": "Saint-Denis",
        },
    )
    resource = valid(render_directory_professional(pro, ctx_for(reception)))
    assert resource["id"] == f"pro-{pro.pk}"
    assert resource["identifier"][0]["system"] == RPPS
    assert resource["identifier"][0]["value"] == GOOD_RPPS
    assert resource["name"] == [{"use": "usual", "text": "Dr Lina Haddad"}]
    assert resource["qualification"][0]["code"]["coding"][0]["code"] == "chirurgien_dentiste"
    assert resource["qualification"][1]["code"]["text"] == "Pédodontie"
    assert [c["coding"][0]["code"] for c in resource["communication"]] == ["ar", "fr"]
    # Without an RPPS number nor an address, still a valid Practitioner.
    bare = actions.do_save_professional(directory, {"name": "Mme Roux", "profession": "infirmier"})
    assert "identifier" not in valid(render_directory_professional(bare, ctx_for(reception)))


def test_who_reads_the_directory_entries(
    reception, other_member, partner, person, directory, other_centre, elsewhere
):
    mine = actions.do_save_professional(directory, {"name": "Dr A", "profession": "infirmier"})
    theirs = actions.do_save_professional(other_centre, {"name": "Dr B", "profession": "infirmier"})
    unlisted = actions.do_save_professional(directory, {"name": "Dr C", "profession": "infirmier"})
    Professional.objects.filter(pk=unlisted.pk).update(is_active=False)
    as_reception = Caller(member=reception)
    assert set(directory_professionals(as_reception)) == {mine}
    assert set(directory_professionals(Caller(member=other_member))) == {theirs}
    assert set(directory_organisations(as_reception)) == set(
        Organisation.objects.filter(owner=directory)
    )
    assert not directory_organisations(Caller(member=other_member)).filter(owner=directory).exists()
    for nobody in (Caller(member=partner), Caller(person=person), Caller()):
        assert not directory_organisations(nobody).exists()
        assert not directory_professionals(nobody).exists()


def test_organization_and_practitioner_serve_the_team_then_the_directory(
    fhir_reception, fhir_other, fhir_person, reception, centre, directory, elsewhere
):
    org = Organisation.objects.get(owner=directory, di_id="essai--cms-nord")
    pro = actions.do_save_professional(
        directory, {"name": "Dr Lina Haddad", "profession": "infirmier", "rpps": GOOD_RPPS}
    )
    # Read, by the prefixed id; the other team and the person do not read this directory.
    assert fhir_reception.read(f"Organization/org-{org.pk}")["name"] == org.nom
    assert fhir_reception.read(f"Practitioner/pro-{pro.pk}")["name"][0]["text"] == pro.name
    for outside in (fhir_other, fhir_person):
        assert outside.get(f"Organization/org-{org.pk}").status_code == 404
        assert outside.get(f"Practitioner/pro-{pro.pk}").status_code == 404
    assert fhir_person.read(f"Organization/{centre.pk}")["name"] == centre.name

    # A search runs through the structure, then its directory, and pages across both.
    listed = Organisation.objects.filter(owner=directory).count()
    everything = fhir_reception.search("Organization", _count=1000)
    assert everything[0]["id"] == str(centre.pk)
    assert len(everything) == 1 + listed
    paged = [
        r["id"]
        for offset in range(0, 1 + listed, 2)
        for r in fhir_reception.search("Organization", _count=2, _offset=offset)
    ]
    assert paged == [r["id"] for r in everything]
    assert ids(fhir_reception.search("Organization", name="Centre municipal")) >= {f"org-{org.pk}"}
    assert str(centre.pk) not in ids(fhir_reception.search("Organization", name="Centre municipal"))
    assert ids(fhir_reception.search("Organization", _id=f"org-{org.pk}")) == {f"org-{org.pk}"}
    # Practitioner: the members, then the professionals; a parameter the directory does not
    # have (family) finds members only.
    found = fhir_reception.search("Practitioner", identifier=f"{RPPS}|{GOOD_RPPS}")
    assert ids(found) == {f"pro-{pro.pk}"}
    assert ids(fhir_reception.search("Practitioner", name="Haddad")) == {f"pro-{pro.pk}"}
    assert ids(fhir_reception.search("Practitioner", family=reception.user.last_name)) == {
        str(reception.pk)
    }
    assert f"pro-{pro.pk}" in ids(fhir_reception.search("Practitioner", _count=1000))
    assert f"pro-{pro.pk}" not in ids(fhir_other.search("Practitioner", _count=1000))
