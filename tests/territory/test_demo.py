"""The demo's territory: a believable directory, professionals, two micro-territories."""

from __future__ import annotations

from maillage.core.roles import Role
from maillage.territory.demo import load_territory
from maillage.territory.models import Organisation, Professional, Service, Territory
from tests.conftest import make_member


def test_the_demo_territory(centre):
    coordinator = make_member(centre, "coline", Role.COORDINATOR, "coordinateur")
    load_territory(centre, coordinator, services=150)
    assert Service.objects.filter(owner=centre).count() == 150
    categories = {
        tag.split(":")[1]
        for tags in Service.objects.values_list("tags", flat=True)
        for tag in tags.strip("|").split("|")
        if tag.startswith("c:")
    }
    assert {"sante", "logement-hebergement", "equipement-et-alimentation"} <= categories
    assert Service.objects.filter(tags__contains="|t:sante--addictions|").exists()
    assert Service.objects.filter(tags__contains="|x:accepts_ame|").exists()
    assert Service.objects.exclude(place_latitude=None).count() == 150
    assert Organisation.objects.filter(owner=centre).count() > 100
    assert Professional.objects.filter(owner=centre).count() >= 10
    assert Territory.objects.filter(structure=centre).count() == 2
