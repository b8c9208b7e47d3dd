"""Synthetic journal entries for the demo, the tests and the benchmarks. Never real data.

Entries are written in bulk (a few inserts per thousand entries), with the shapes a
community health centre's record really has: consultations with a note and measures,
social interviews, phone calls, co-consultations with an interpreter, problems and
treatments, all attributed to members whose role may write in the section used.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from maillage.core.access import section_right
from maillage.core.models import Member
from maillage.core.roles import Role, Section
from maillage.people.models import Person
from maillage.record.choices import EncounterKind, EntryKind, ParticipantKind, Place
from maillage.record.models import Document, Encounter, Entry, Observation, Participant

NOTES: dict[str, list[str]] = {
    Section.CLINICAL: [
        "Toux sèche depuis huit jours, pas de fièvre. Auscultation normale. Conseils, "
        "réévaluation si persistance au-delà de trois semaines.",
        "Suivi du diabète : glycémies capillaires notées dans le carnet, pieds examinés, "
        "pas de plaie. HbA1c à contrôler le mois prochain.",
        "Renouvellement du traitement antihypertenseur. Tension correcte, bonne tolérance.",
        "Lombalgie mécanique sans signe de gravité. Antalgiques, séances de kinésithérapie "
        "proposées.",
        "Vaccination contre la grippe faite, pas de réaction immédiate.",
        "Douleurs abdominales depuis deux jours, examen rassurant. Bilan biologique prescrit.",
        "Suivi de grossesse : mouvements actifs, tension normale, échographie programmée.",
        "Pansement de l'ulcère de jambe : évolution favorable, bourgeonnement propre.",
    ],
    Section.MENTAL_HEALTH: [
        "Entretien de soutien. Sommeil perturbé, ruminations liées à l'attente de la "
        "réponse de la préfecture. Prochain rendez-vous dans deux semaines.",
        "Symptômes anxieux en baisse depuis le relogement. Poursuite du suivi.",
        "Évocation du parcours migratoire, reviviscences. Orientation vers le centre "
        "de psychotraumatisme discutée avec la personne.",
    ],
    Section.SOCIAL: [
        "Point sur la Complémentaire santé solidaire : il manque l'avis d'imposition. "
        "Rendez-vous pris à la CPAM.",
        "Demande de domiciliation déposée au CCAS ; réponse attendue sous quinze jours.",
        "Dossier de demande de logement social mis à jour avec la personne.",
        "Aide à la constitution du dossier AME : justificatif de présence en France réuni.",
        "Orientation vers l'épicerie solidaire du quartier, la personne est d'accord.",
    ],
    Section.ADMINISTRATIVE: [
        "Carte Vitale mise à jour à l'accueil.",
        "Attestation de droits scannée et rendue à la personne.",
        "Adresse corrigée après le déménagement.",
    ],
    Section.COORDINATION: [
        "Situation évoquée en réunion de coordination : la personne souhaite être "
        "accompagnée pour ses démarches de soins dentaires.",
        "Appel au service d'aide à domicile pour organiser les passages du matin.",
        "Lien fait avec l'infirmière libérale du secteur, avec l'accord de la personne.",
    ],
}
REASONS: dict[str, list[tuple[str, list[str]]]] = {
    Section.CLINICAL: [
        ("Toux", ["R05"]),
        ("Fièvre", ["A03"]),
        ("Suivi diabète", ["T90"]),
        ("Tension artérielle", ["K86"]),
        ("Mal de dos", ["L03"]),
        ("", []),
    ],
    Section.MENTAL_HEALTH: [("Anxiété", ["P01"]), ("Troubles du sommeil", ["P06"]), ("", [])],
    Section.SOCIAL: [("Droits santé", ["Z10"]), ("Logement", ["Z03"]), ("", [])],
    Section.ADMINISTRATIVE: [("Mise à jour du dossier", []), ("", [])],
    Section.COORDINATION: [("Coordination du parcours", []), ("", [])],
}
PROBLEMS = [
    ("Diabète de type 2", "icpc2", "T90"),
    ("Hypertension artérielle", "icpc2", "K86"),
    ("Épisode dépressif", "icpc2", "P76"),
    ("Asthme", "icpc2", "R96"),
    ("Lombalgie chronique", "icpc2", "L03"),
    ("Obésité", "icpc2", "T82"),
    ("Troubles anxieux", "icpc2", "P74"),
    ("Hépatite B chronique", "icd10", "B18.1"),
]
TREATMENTS = [
    "Metformine 1000 mg, un comprimé matin et soir",
    "Amlodipine 5 mg, un comprimé le matin",
    "Salbutamol en spray, deux bouffées si gêne respiratoire",
    "Paracétamol 1 g, jusqu'à trois fois par jour si douleur",
    "Sertraline 50 mg, un comprimé le matin",
]
# The kind of encounter a role usually records, and the section it is filed in.
ENCOUNTERS_BY_ROLE: dict[str, Sequence[tuple[str, str]]] = {
    Role.GP: [(EncounterKind.CONSULTATION, Section.CLINICAL)] * 4
    + [(EncounterKind.PHONE_CALL, Section.CLINICAL), (EncounterKind.HOME_VISIT, Section.CLINICAL)],
    Role.NURSE: [
        (EncounterKind.CONSULTATION, Section.CLINICAL),
        (EncounterKind.HOME_VISIT, Section.CLINICAL),
    ],
    Role.MIDWIFE: [(EncounterKind.CONSULTATION, Section.CLINICAL)],
    Role.PHYSIOTHERAPIST: [(EncounterKind.CONSULTATION, Section.CLINICAL)],
    Role.OTHER_CLINICIAN: [(EncounterKind.CONSULTATION, Section.CLINICAL)],
    Role.PSYCHOLOGIST: [(EncounterKind.CONSULTATION, Section.MENTAL_HEALTH)],
    Role.SOCIAL_WORKER: [
        (EncounterKind.SOCIAL_INTERVIEW, Section.SOCIAL),
        (EncounterKind.PHONE_CALL, Section.SOCIAL),
    ],
    Role.LEGAL_ADVISER: [(EncounterKind.SOCIAL_INTERVIEW, Section.SOCIAL)],
    Role.MEDIATOR: [
        (EncounterKind.ACCOMPANIMENT, Section.SOCIAL),
        (EncounterKind.INFORMAL, Section.SOCIAL),
    ],
    Role.COORDINATOR: [(EncounterKind.PHONE_CALL, Section.COORDINATION)],
    Role.RECEPTION: [(EncounterKind.INFORMAL, Section.ADMINISTRATIVE)],
}
PLACE_OF: dict[str, str] = {
    EncounterKind.HOME_VISIT: Place.HOME,
    EncounterKind.PHONE_CALL: Place.PHONE,
    EncounterKind.ACCOMPANIMENT: Place.OUTSIDE,
}


@dataclass
class Plan:
    """What to write for one person: how many encounters over how many days."""

    person: Person
    encounters: int
    days: int = 730


def _observations(rng: random.Random) -> list[tuple[str, Decimal, Decimal | None]]:
    systolic = rng.randint(105, 165)
    chosen = [
        ("weight", Decimal(rng.randint(450, 1100)) / 10, None),
        ("blood_pressure", Decimal(systolic), Decimal(rng.randint(60, min(systolic - 20, 100)))),
        ("heart_rate", Decimal(rng.randint(55, 105)), None),
    ]
    if rng.random() < 0.3:
        chosen.append(("hba1c", Decimal(rng.randint(55, 105)) / 10, None))
    if rng.random() < 0.2:
        chosen.append(("temperature", Decimal(rng.randint(362, 392)) / 10, None))
    return rng.sample(chosen, k=rng.randint(1, len(chosen)))


def generate_journal(
    plans: Sequence[Plan],
    members: Sequence[Member],
    *,
    seed: int = 42,
    now: datetime | None = None,
    batch_size: int = 2000,
    document_metadata: bool = False,
) -> int:
    """Write encounters (with their note, measures and participants), problems and
    treatments for each plan. Returns the number of entries written.

    With ``document_metadata`` (scale data only), some encounters also bring a document
    entry whose metadata is written but whose file is not: downloading it answers 404.
    """
    rng = random.Random(seed)
    now = now or timezone.now()
    writers = [m for m in members if m.role in ENCOUNTERS_BY_ROLE]
    interpreters = [m for m in members if m.role == Role.INTERPRETER]
    clinicians = [m for m in writers if section_right(m.role, Section.CLINICAL) == "rw"]
    social = [m for m in writers if section_right(m.role, Section.SOCIAL) == "rw"]
    if not writers:
        return 0
    written = 0
    pending: list[tuple[Entry, dict[str, object]]] = []

    def flush() -> None:
        nonlocal written
        if not pending:
            return
        heads = Entry.objects.bulk_create(
            [entry for entry, _extra in pending], batch_size=batch_size
        )
        Document.objects.bulk_create(
            [
                Document(entry=head, **extra["document"])  # type: ignore[arg-type]
                for head, (_entry, extra) in zip(heads, pending, strict=True)
                if head.kind == EntryKind.DOCUMENT
            ],
            batch_size=batch_size,
        )
        encounters: list[Encounter] = []
        participants: list[Participant] = []
        children: list[Entry] = []
        child_obs: list[tuple[str, Decimal, Decimal | None]] = []
        for head, (_entry, extra) in zip(heads, pending, strict=True):
            if head.kind != EntryKind.ENCOUNTER:
                continue
            enc = extra["encounter"]
            assert isinstance(enc, Encounter)
            enc.entry = head
            encounters.append(enc)
            for kind, member in extra["participants"]:  # type: ignore[attr-defined]
                participants.append(Participant(entry=head, kind=kind, member=member))
            note_text = extra.get("note")
            if note_text:
                children.append(
                    Entry(
                        person_id=head.person_id,
                        structure_id=head.structure_id,
                        kind=EntryKind.NOTE,
                        section=str(extra["note_section"]),
                        parent=head,
                        occurred_at=head.occurred_at,
                        created_at=head.created_at,
                        author_id=head.author_id,
                        text=str(note_text),
                    )
                )
                child_obs.append(("", Decimal(0), None))
            for ob in extra.get("observations", []):  # type: ignore[attr-defined]
                children.append(
                    Entry(
                        person_id=head.person_id,
                        structure_id=head.structure_id,
                        kind=EntryKind.OBSERVATION,
                        section=Section.CLINICAL,
                        parent=head,
                        occurred_at=head.occurred_at,
                        created_at=head.created_at,
                        author_id=head.author_id,
                    )
                )
                child_obs.append(ob)
        Encounter.objects.bulk_create(encounters, batch_size=batch_size)
        Participant.objects.bulk_create(participants, batch_size=batch_size)
        saved = Entry.objects.bulk_create(children, batch_size=batch_size)
        Observation.objects.bulk_create(
            [
                Observation(entry=child, kind=kind, value=value, value2=value2, unit=_unit(kind))
                for child, (kind, value, value2) in zip(saved, child_obs, strict=True)
                if kind
            ],
            batch_size=batch_size,
        )
        written += len(heads) + len(saved)
        pending.clear()

    for plan in plans:
        person = plan.person
        base = {"person_id": person.pk, "structure_id": person.structure_id}
        for _ in range(plan.encounters):
            author = rng.choice(writers)
            kind, section = rng.choice(ENCOUNTERS_BY_ROLE[author.role])
            when = now - timedelta(days=rng.randint(0, plan.days), minutes=rng.randint(0, 600))
            taking_part = [(ParticipantKind.MEMBER, author)]
            interpreted = bool(interpreters) and rng.random() < 0.12
            if interpreted:
                taking_part.append((ParticipantKind.INTERPRETER, rng.choice(interpreters)))
            if rng.random() < 0.08 and clinicians and social:
                kind = EncounterKind.CO_CONSULTATION
                other = rng.choice(social if author in clinicians else clinicians)
                if other.pk != author.pk:
                    taking_part.append((ParticipantKind.MEMBER, other))
            reason, codes = rng.choice(REASONS[section])
            entry = Entry(
                kind=EntryKind.ENCOUNTER,
                section=section,
                occurred_at=when,
                created_at=when,
                author=author,
                **base,
            )
            extra: dict[str, object] = {
                "encounter": Encounter(
                    kind=kind,
                    place=PLACE_OF.get(kind, Place.CENTRE),
                    duration_minutes=rng.choice([10, 15, 20, 30, 45, 60]),
                    reason=reason,
                    reason_codes=codes,
                    interpreter_used=interpreted,
                    interpreting_language=rng.choice(["ar", "ps", "ff", "ro"])
                    if interpreted
                    else "",
                ),
                "participants": taking_part,
                "note": rng.choice(NOTES[section]) if rng.random() < 0.9 else "",
                "note_section": section,
                "observations": _observations(rng)
                if section == Section.CLINICAL and rng.random() < 0.6
                else [],
            }
            pending.append((entry, extra))
            if document_metadata and rng.random() < 0.1:
                pending.append(_document(rng, entry, base))
        if clinicians and rng.random() < 0.5:
            author = rng.choice(clinicians)
            title, system, code = rng.choice(PROBLEMS)
            when = now - timedelta(days=rng.randint(30, plan.days + 30))
            pending.append(
                (
                    Entry(
                        kind=EntryKind.PROBLEM,
                        section=Section.CLINICAL,
                        status="active",
                        title=title,
                        code_system=system,
                        code=code,
                        onset=when.date(),
                        occurred_at=when,
                        created_at=when,
                        author=author,
                        **base,
                    ),
                    {},
                )
            )
            if rng.random() < 0.7:
                pending.append(
                    (
                        Entry(
                            kind=EntryKind.TREATMENT,
                            section=Section.CLINICAL,
                            status="active",
                            text=rng.choice(TREATMENTS),
                            onset=when.date(),
                            occurred_at=when,
                            created_at=when,
                            author=author,
                            **base,
                        ),
                        {},
                    )
                )
        if len(pending) >= batch_size:
            flush()
    flush()
    return written


DOCUMENTS = [
    ("lab_result", "Résultats d'analyses", "analyses.pdf"),
    ("letter", "Courrier", "courrier.pdf"),
    ("prescription", "Ordonnance", "ordonnance.pdf"),
    ("coverage", "Attestation de droits", "attestation.pdf"),
]


def _document(
    rng: random.Random, encounter: Entry, base: dict[str, int]
) -> tuple[Entry, dict[str, object]]:
    """A document entry filed with an encounter, in its section: metadata only (scale
    data)."""
    if encounter.section in {Section.SOCIAL, Section.ADMINISTRATIVE}:
        doc_type, title, name = DOCUMENTS[3]
    elif encounter.section == Section.CLINICAL:
        doc_type, title, name = rng.choice(DOCUMENTS)
    else:
        doc_type, title, name = DOCUMENTS[1]
    digest = f"{rng.getrandbits(256):064x}"
    entry = Entry(
        kind=EntryKind.DOCUMENT,
        section=encounter.section,
        title=title,
        occurred_at=encounter.occurred_at,
        created_at=encounter.created_at,
        author=encounter.author,
        **base,
    )
    metadata = {
        "doc_type": doc_type,
        "file": f"synthetic/{digest}",
        "original_name": name,
        "content_type": "application/pdf",
        "size": rng.randint(20_000, 900_000),
        "sha256": digest,
    }
    return entry, {"document": metadata}


def _unit(kind: str) -> str:
    from maillage.lib.observations import KINDS

    return KINDS[kind].unit
