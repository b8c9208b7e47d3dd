# ruff: noqa: E501 -- the KINDS table reads best one offer per line
"""A synthetic directory of a territory, in the data·inclusion format: the demo's ~150
services and the benchmarks' 20,000. Every organisation is invented; only the communes
and the reference lists are real."""

from __future__ import annotations

import datetime
import math
import random
from typing import Any

from faker import Faker

# The demo's territory: communes of Plaine Commune with an approximate centre.
AREA_COMMUNES = [
    ("93066", "93200", "Saint-Denis", 48.9362, 2.3574),
    ("93001", "93300", "Aubervilliers", 48.9146, 2.3821),
    ("93070", "93400", "Saint-Ouen-sur-Seine", 48.9118, 2.3340),
    ("93027", "93120", "La Courneuve", 48.9281, 2.3964),
    ("93079", "93800", "Épinay-sur-Seine", 48.9553, 2.3092),
    ("93072", "93240", "Stains", 48.9508, 2.3833),
    ("93031", "93430", "Villetaneuse", 48.9577, 2.3434),
    ("93039", "93450", "L'Île-Saint-Denis", 48.9367, 2.3376),
    ("93059", "93380", "Pierrefitte-sur-Seine", 48.9656, 2.3614),
]

WEEKDAYS = "Mo-Fr 09:00-12:30,13:30-17:30; PH off"
HOURS = {
    "weekdays": WEEKDAYS,
    "saturday": "Mo-Fr 08:30-19:00; Sa 08:30-12:30; PH off",
    "afternoons": "Mo,Tu,Th 14:00-18:00; PH off",
    "mornings": "Tu-Sa 09:00-12:00; PH off",
    "evening": "We,Fr 17:30-20:30; PH off",
    "always": "24/7",
}

# kind: (organisation name pattern, services: (name, type, thematiques, publics, modes,
# frais, hours key), weight, typical team knowledge)
KINDS: list[tuple[str, list[tuple[str, str, list[str], list[str], list[str], str, str]], int]] = [
    ("Centre de santé {street}", [
        ("Consultations de médecine générale", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "gratuit", "saturday"),
        ("Consultations dentaires", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "saturday"),
        ("Vaccinations", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "gratuit", "mornings"),
    ], 10),
    ("Cabinet dentaire {name}", [
        ("Soins dentaires", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "saturday"),
    ], 10),
    ("Cabinet médical {name}", [
        ("Consultations de médecine générale", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "weekdays"),
    ], 12),
    ("Cabinet infirmier {name}", [
        ("Soins infirmiers à domicile et au cabinet", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "always"),
    ], 6),
    ("Pharmacie {street}", [
        ("Délivrance de médicaments et conseils", "information", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "saturday"),
    ], 8),
    ("Centre médico-psychologique {commune}", [
        ("Consultations de psychiatrie et de psychologie", "accompagnement", ["sante--sante-mentale"], ["tous-publics"], ["en-presentiel"], "gratuit", "weekdays"),
    ], 3),
    ("Maison des femmes {commune}", [
        ("Accueil des femmes victimes de violences", "accompagnement", ["sante--sante-mentale", "famille--surmonter-conflits-separation-violence"], ["femmes"], ["en-presentiel", "a-distance"], "gratuit", "weekdays"),
        ("Consultations de santé sexuelle", "accompagnement", ["sante--sante-sexuelle"], ["femmes", "jeunes"], ["en-presentiel"], "gratuit", "afternoons"),
    ], 2),
    ("CSAPA {commune}", [
        ("Accompagnement des addictions", "accompagnement", ["sante--addictions"], ["tous-publics"], ["en-presentiel"], "gratuit", "weekdays"),
    ], 2),
    ("CeGIDD {commune}", [
        ("Dépistage du VIH, des hépatites et des IST", "accompagnement", ["sante--sante-sexuelle"], ["tous-publics"], ["en-presentiel"], "gratuit", "afternoons"),
    ], 2),
    ("Centre communal d'action sociale de {commune}", [
        ("Domiciliation", "accompagnement", ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"], ["tous-publics"], ["en-presentiel"], "gratuit", "weekdays"),
        ("Aide alimentaire d'urgence", "aide-materielle", ["equipement-et-alimentation--alimentation"], ["personnes-en-situation-durgence"], ["en-presentiel"], "gratuit", "mornings"),
    ], 3),
    ("Épicerie solidaire {street}", [
        ("Épicerie solidaire", "aide-materielle", ["equipement-et-alimentation--alimentation"], ["beneficiaires-des-minimas-sociaux", "familles"], ["en-presentiel"], "payant", "afternoons"),
    ], 4),
    ("Association {name} — accès aux droits", [
        ("Aide à la demande de complémentaire santé solidaire et d'AME", "accompagnement", ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"], ["tous-publics"], ["en-presentiel"], "gratuit", "afternoons"),
        ("Permanence juridique pour les personnes étrangères", "accompagnement", ["difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire"], ["personnes-exilees"], ["en-presentiel"], "gratuit", "evening"),
    ], 5),
    ("Point d'accueil logement {commune}", [
        ("Accompagnement vers le logement", "accompagnement", ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"], ["personnes-en-situation-durgence"], ["en-presentiel", "a-distance"], "gratuit", "weekdays"),
    ], 3),
    ("Interprétariat solidaire {name}", [
        ("Interprétariat médical et social par téléphone", "accompagnement", ["sante--acces-aux-soins"], ["personnes-exilees"], ["a-distance"], "gratuit", "weekdays"),
    ], 2),
    ("Cabinet de kinésithérapie {name}", [
        ("Rééducation et kinésithérapie", "accompagnement", ["sante--acces-aux-soins"], ["tous-publics"], ["en-presentiel"], "payant", "weekdays"),
    ], 4),
    ("Cabinet de sage-femme {name}", [
        ("Suivi de grossesse et consultations de contraception", "accompagnement", ["sante--sante-sexuelle", "famille--soutien-a-la-parentalite-et-a-leducation"], ["femmes"], ["en-presentiel"], "payant", "weekdays"),
    ], 3),
    ("Protection maternelle et infantile {commune}", [
        ("Consultations de PMI pour les enfants de moins de 6 ans", "accompagnement", ["famille--soutien-a-la-parentalite-et-a-leducation", "sante--acces-aux-soins"], ["familles"], ["en-presentiel"], "gratuit", "weekdays"),
    ], 3),
]  # fmt: skip

LANGUAGE_POOL = ["ar", "en", "es", "pt", "tr", "ro", "ta", "bm", "wo", "zh", "ru", "ber"]


def _point(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    distance = radius_km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    dlat = distance * math.cos(angle) / 111.0
    dlon = distance * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def directory_rows(
    services: int, seed: int = 2026, source: str = "demo"
) -> dict[str, list[dict[str, Any]]]:
    """About ``services`` services (with their organisations), as data·inclusion rows."""
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    weights = [kind[2] for kind in KINDS]
    structures: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    updated = datetime.date(2026, 9, 1)
    while len(rows) < services:
        pattern, offers, _weight = rng.choices(KINDS, weights=weights)[0]
        code, postcode, commune, lat, lon = rng.choice(AREA_COMMUNES)
        number = len(structures) + 1
        name = pattern.format(street=fake.street_name(), name=fake.last_name(), commune=commune)[
            :150
        ]
        olat, olon = _point(rng, lat, lon, 1.8)
        structure_id = f"{source}--s{number}"
        address = f"{rng.randint(1, 120)} {fake.street_name()}"
        structures.append(
            {
                "source": source,
                "id": structure_id,
                "nom": name,
                "date_maj": (updated - datetime.timedelta(days=rng.randint(0, 400))).isoformat(),
                "description": f"{name}, à {commune}.",
                "commune": commune,
                "code_postal": postcode,
                "code_insee": code,
                "adresse": address,
                "latitude": olat,
                "longitude": olon,
                "telephone": f"+331{rng.randint(40000000, 49999999)}",
                "horaires_accueil": HOURS["weekdays"],
            }
        )
        for index, (title, kind, themes, publics, modes, frais, hours) in enumerate(offers):
            if index and rng.random() < 0.3:
                continue
            rows.append(
                {
                    "source": source,
                    "structure_id": structure_id,
                    "id": f"{source}--s{number}-{index + 1}",
                    "nom": title[:150],
                    "description": f"{title} proposé par {name} ({commune}).",
                    "date_maj": structures[-1]["date_maj"],
                    "type": kind,
                    "thematiques": themes,
                    "publics": publics,
                    "modes_accueil": modes,
                    "frais": frais,
                    "commune": commune,
                    "code_postal": postcode,
                    "code_insee": code,
                    "adresse": address,
                    "latitude": olat,
                    "longitude": olon,
                    "horaires_accueil": HOURS[hours],
                    "zone_eligibilite": ["93"],
                }
            )
    return {"structures": structures, "services": rows[:services]}


def team_knowledge(rng: random.Random, is_health: bool) -> dict[str, Any]:
    """What a team would have learnt about a place: languages, AME/CSS, a contact."""

    def maybe(probability: float) -> bool | None:
        roll = rng.random()
        return True if roll < probability else (False if roll < probability + 0.2 else None)

    languages = rng.sample(LANGUAGE_POOL, k=rng.choice([0, 1, 1, 2, 3]))
    return {
        "languages": sorted(["fr", *languages]),
        "interpreting": maybe(0.2),
        "accepts_ame": maybe(0.55) if is_health else None,
        "accepts_css": maybe(0.75) if is_health else None,
        "accepts_uninsured": maybe(0.25) if is_health else None,
        "third_party_payment": maybe(0.6) if is_health else None,
        "sector_1": maybe(0.7) if is_health else None,
        "wheelchair_access": maybe(0.5),
    }
