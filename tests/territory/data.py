"""Synthetic data·inclusion rows for the tests (invented organisations and services)."""

from __future__ import annotations

import copy
import json
from typing import Any

STRUCTURES: list[dict[str, Any]] = [
    {
        "source": "essai",
        "id": "essai--cms-nord",
        "nom": "Centre municipal de santé Nord",
        "date_maj": "2026-01-15",
        "description": "Centre de santé avec médecins, dentistes et infirmiers.",
        "commune": "Saint-Denis",
        "code_postal": "93200",
        "code_insee": "93066",
        "adresse": "1 rue de l'Essai",
        "latitude": 48.936,
        "longitude": 2.357,
        "telephone": "+33100000001",
        "horaires_accueil": "Mo-Fr 08:30-18:00; Sa 09:00-12:00; PH off",
    },
    {
        "source": "essai",
        "id": "essai--asso-droits",
        "nom": "Association Accès aux droits",
        "date_maj": "2026-02-01",
        "commune": "Aubervilliers",
        "code_insee": "93001",
        "horaires_accueil": "Tu,Th 14:00-17:00",
    },
]

SERVICES: list[dict[str, Any]] = [
    {
        "source": "essai",
        "structure_id": "essai--cms-nord",
        "id": "essai--dentiste",
        "nom": "Consultations dentaires",
        "description": "Soins dentaires pour tous, y compris sans couverture.",
        "date_maj": "2026-01-15",
        "type": "accompagnement",
        "thematiques": ["sante--acces-aux-soins"],
        "publics": ["tous-publics"],
        "modes_accueil": ["en-presentiel"],
        "frais": "gratuit",
        "commune": "Saint-Denis",
        "code_insee": "93066",
        "latitude": 48.936,
        "longitude": 2.357,
        "horaires_accueil": "Mo-Fr 09:00-12:00; Sa 09:00-12:00; PH off",
    },
    {
        "source": "essai",
        "structure_id": "essai--cms-nord",
        "id": "essai--psy",
        "nom": "Écoute psychologique",
        "description": "Entretiens avec une psychologue, en français ou en arabe.",
        "date_maj": "2026-01-15",
        "thematiques": ["sante--sante-mentale"],
        "publics": ["personnes-exilees", "femmes"],
        "modes_accueil": ["en-presentiel", "a-distance"],
    },
    {
        "source": "essai",
        "structure_id": "essai--asso-droits",
        "id": "essai--css",
        "nom": "Aide à la demande de CSS",
        "description": "Constituer son dossier de complémentaire santé solidaire.",
        "date_maj": "2026-02-01",
        "thematiques": [
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
        ],
        "publics": ["tous-publics"],
    },
]


def rows(**changes: Any) -> dict[str, list[dict[str, Any]]]:
    data = {"structures": copy.deepcopy(STRUCTURES), "services": copy.deepcopy(SERVICES)}
    for key, value in changes.items():
        data[key] = value
    return data


def as_json(data: dict[str, Any] | list[Any] | None = None) -> bytes:
    return json.dumps(rows() if data is None else data, ensure_ascii=False).encode()
