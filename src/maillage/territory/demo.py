"""The demo centre's territory: communes, two micro-territories and a directory of about
150 invented services (with what the team would know of them)."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from faker import Faker
from stdnum import luhn

from maillage.core.models import Member, Structure
from maillage.lib.names import normalize
from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.management.commands.communes import DEFAULT_FILE
from maillage.territory.models import (
    Commune,
    LinkKind,
    Organisation,
    PopulationFigure,
    Profession,
    Service,
    Territory,
)
from maillage.territory.synthetic import AREA_COMMUNES, directory_rows, team_knowledge

# A drawn area: the Franc-Moisin and Bel-Air neighbourhoods (an approximate outline).
FRANC_MOISIN = {
    "type": "Polygon",
    "coordinates": [
        [
            [2.3570, 48.9225],
            [2.3700, 48.9225],
            [2.3745, 48.9290],
            [2.3650, 48.9335],
            [2.3560, 48.9300],
            [2.3570, 48.9225],
        ]
    ],
}


def load_communes() -> None:
    """The official communes when ``./dev setup`` installed them, else the area's; then
    the centres of the area's communes (not in the official package)."""
    if DEFAULT_FILE.is_file():
        actions.do_load_communes(json.loads(DEFAULT_FILE.read_text(encoding="utf-8")))
    for code, postcode, name, lat, lon in AREA_COMMUNES:
        if not Commune.objects.filter(code=code).update(latitude=lat, longitude=lon):
            Commune.objects.create(
                code=code,
                name=name,
                search_name=normalize(name),
                departement=code[:2],
                postcodes=[postcode],
                latitude=lat,
                longitude=lon,
            )


def load_territory(
    centre: Structure, author: Member, services: int = 150, seed: int = 2026
) -> None:
    load_communes()
    rows = directory_rows(services, seed=seed, source="demo")
    parsed = di.parse([("demo.json", json.dumps(rows).encode())])
    actions.do_import_directory(centre, parsed)
    rng = random.Random(seed)
    for service in Service.objects.filter(owner=centre).select_related("organisation"):
        knowledge = team_knowledge(rng, "|c:sante|" in service.tags)
        if rng.random() < 0.15:
            knowledge["team_notes"] = rng.choice(
                [
                    "Venir avant 9 h : les places partent vite.",
                    "Demander l'assistante sociale de permanence le mardi.",
                    "Accueil très bienveillant, même sans papiers.",
                    "Prendre rendez-vous par téléphone, pas de sans rendez-vous.",
                ]
            )
        actions.do_update_health_access(service, knowledge)
    _professionals_and_links(centre, author, rng)
    plaine = Territory.objects.create(
        structure=centre,
        name="Plaine Saint-Denis et Aubervilliers nord",
        description="Le territoire où vivent la plupart des personnes suivies par le centre.",
        created_by=author,
    )
    plaine.communes.set(Commune.objects.filter(code__in=["93066", "93001", "93070"]))
    PopulationFigure.objects.create(
        territory=plaine,
        label="Habitants (trois communes)",
        value=Decimal("283000"),
        source="Insee, recensement (ordre de grandeur, démo)",
        year=2021,
    )
    franc_moisin = Territory.objects.create(
        structure=centre,
        name="Franc-Moisin – Bel-Air",
        description="Quartier prioritaire où le centre mène ses actions d'aller-vers.",
        area=FRANC_MOISIN,
        created_by=author,
    )
    PopulationFigure.objects.create(
        territory=franc_moisin,
        label="Habitants du quartier",
        value=Decimal("9500"),
        source="Estimation de l'équipe (démo)",
        year=2025,
    )


PROFESSIONS_AT = [
    ("Cabinet médical", Profession.GP, ""),
    ("Cabinet dentaire", Profession.DENTIST, ""),
    ("Pharmacie", Profession.PHARMACIST, ""),
    ("Cabinet infirmier", Profession.NURSE, ""),
    ("Cabinet de kinésithérapie", Profession.PHYSIOTHERAPIST, ""),
    ("Cabinet de sage-femme", Profession.MIDWIFE, ""),
    ("Centre médico-psychologique", Profession.PSYCHIATRIST, "Psychiatrie adulte"),
]


def _rpps(rng: random.Random, valid: bool = True) -> str:
    body = "1" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    key = int(luhn.calc_check_digit(body))
    return body + str(key if valid else (key + 1) % 10)


def _professionals_and_links(centre: Structure, author: Member, rng: random.Random) -> None:
    """About twenty professionals at the places of the directory, and who works with
    whom (invented names, RPPS numbers with a valid key but one, to show the warning)."""
    fake = Faker("fr_FR")
    fake.seed_instance(2026)
    count = 0
    for prefix, profession, speciality in PROFESSIONS_AT:
        places = list(
            Organisation.objects.filter(owner=centre, nom__startswith=prefix).order_by("pk")[:3]
        )
        for place in places:
            count += 1
            actions.do_save_professional(
                centre,
                {
                    "name": f"{fake.first_name()} {fake.last_name()}",
                    "profession": profession,
                    "speciality": speciality,
                    "rpps": _rpps(rng, valid=count != 5),
                    "place": place,
                    "commune": place.commune,
                    "telephone": place.telephone,
                    **team_knowledge(rng, True),
                },
            )
    health = Organisation.objects.filter(owner=centre, nom__startswith="Centre de santé").first()
    for prefix, kind in (
        ("Centre médico-psychologique", LinkKind.REFERS_TO),
        ("Association", LinkKind.WORKS_WITH),
        ("CSAPA", LinkKind.REFERS_TO),
    ):
        other = Organisation.objects.filter(owner=centre, nom__startswith=prefix).first()
        if health is not None and other is not None:
            actions.do_link_organisations(author, health, other, kind)
