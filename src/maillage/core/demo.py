"""The demo setting: one community health centre, one micro-local coordination site,
about thirty members covering every role, ~500 synthetic persons. Never real data."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum import luhn

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.choices import VisitStatus
from maillage.people.models import Person, ReceptionVisit
from maillage.people.synthetic import add_entourage, generate_persons

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo password, demo data only

# username, first name, last name, role, profession, structures ("centre", "coord")
DEMO_ACCOUNTS = [
    ("accueil", "Nadia", "Bensaïd", Role.RECEPTION, "accueillant", ("centre",)),
    ("medecin", "Claire", "Morel", Role.GP, "medecin_generaliste", ("centre",)),
    ("infirmier", "Julien", "Pereira", Role.NURSE, "infirmier", ("centre",)),
    ("psychologue", "Inès", "Lambert", Role.PSYCHOLOGIST, "psychologue", ("centre",)),
    ("social", "Thomas", "Girard", Role.SOCIAL_WORKER, "assistant_service_social", ("centre",)),
    ("mediatrice", "Awa", "Diarra", Role.MEDIATOR, "mediateur_sante", ("centre",)),
    ("coordinatrice", "Hélène", "Roux", Role.COORDINATOR, "coordinateur", ("coord", "centre")),
    ("interprete", "Dari", "Wardak", Role.INTERPRETER, "interprete", ("centre",)),
    ("admin", "Sophie", "Marchand", Role.ADMIN, "directeur", ("centre",)),
]
OTHER_MEMBERS = [
    (Role.RECEPTION, "accueillant", "centre"),
    (Role.GP, "medecin_generaliste", "centre"),
    (Role.GP, "medecin_generaliste", "centre"),
    (Role.NURSE, "infirmier", "centre"),
    (Role.MIDWIFE, "sage_femme", "centre"),
    (Role.PHYSIOTHERAPIST, "kinesitherapeute", "centre"),
    (Role.OTHER_CLINICIAN, "dieteticien", "centre"),
    (Role.PSYCHOLOGIST, "psychologue", "centre"),
    (Role.SOCIAL_WORKER, "cesf", "centre"),
    (Role.LEGAL_ADVISER, "conseiller_juridique", "centre"),
    (Role.MEDIATOR, "mediateur_sante", "centre"),
    (Role.INTERPRETER, "interprete", "centre"),
    (Role.RECEPTION, "accueillant", "coord"),
    (Role.COORDINATOR, "coordinateur", "coord"),
    (Role.MEDIATOR, "mediateur_sante", "coord"),
    (Role.SOCIAL_WORKER, "assistant_service_social", "coord"),
    (Role.ADMIN, "directeur", "coord"),
    (Role.PARTNER, "autre", "partner"),
    (Role.NETWORK_OBSERVER, "autre", "partner"),
    (Role.NURSE, "infirmier", "coord"),
]


def finess_with_key(body8: str) -> str:
    return body8 + luhn.calc_check_digit(body8)


def demo_is_loaded() -> bool:
    return Structure.objects.exists()


@transaction.atomic
def load_demo(persons: int = 500, seed: int = 2026) -> dict[str, object]:
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    centre = Structure.objects.create(
        name="Centre de santé communautaire Les Tilleuls",
        kind=StructureKind.CENTRE,
        finess=finess_with_key("93002718"),
        is_care_team=True,
        address="12 rue des Tilleuls, 93200 Saint-Denis",
        commune_code="93066",
        phone="01 49 00 00 00",
    )
    coord = Structure.objects.create(
        name="Coordination micro-locale du Pont-Morineau",
        kind=StructureKind.COORDINATION,
        address="3 place du Marché, 85000 La Roche-sur-Yon",
        commune_code="85191",
    )
    partner = Structure.objects.create(
        name="Association Solidarité Plaine",
        kind=StructureKind.PARTNER,
        commune_code="93066",
    )
    structures = {"centre": centre, "coord": coord, "partner": partner}
    password = make_password(DEMO_PASSWORD)
    members: dict[str, Member] = {}
    for username, first, last, role, profession, where in DEMO_ACCOUNTS:
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.maillage.invalid",
            password=password,
        )
        for key in where:
            member = Member.objects.create(
                user=user, structure=structures[key], role=role, profession=profession
            )
            members.setdefault(username, member)
    for index, (role, profession, key) in enumerate(OTHER_MEMBERS):
        first, last = fake.first_name(), fake.last_name()
        user = User.objects.create(
            username=f"membre{index + 1:02d}",
            first_name=first,
            last_name=last,
            email=f"membre{index + 1:02d}@demo.maillage.invalid",
            password=password,
        )
        Member.objects.create(
            user=user, structure=structures[key], role=role, profession=profession
        )
    reception = members["accueil"]
    generate_persons(centre, persons, seed=seed, created_by=reception)
    coord_reception = Member.objects.filter(structure=coord, role=Role.RECEPTION).first()
    generate_persons(coord, max(persons // 8, 10), seed=seed + 1, created_by=coord_reception)
    centre_persons = list(Person.objects.filter(structure=centre).order_by("pk"))
    add_entourage(centre_persons, reception, seed=seed)

    # The person with a portal account: a qualified identity with some history.
    usager = next(p for p in centre_persons if p.identity_status == "qual" and not p.merged_into_id)
    user = User.objects.create(
        username="usager",
        first_name=usager.first_given_name,
        last_name=usager.birth_name.title(),
        password=password,
        email="usager@demo.maillage.invalid",
    )
    usager.user = user
    usager.save(update_fields=["user"])
    log_event(
        action=AccessEvent.Action.CREATE,
        member=reception,
        person=usager,
        section=Section.ADMINISTRATIVE,
        obj=usager,
    )
    log_event(
        action=AccessEvent.Action.READ,
        member=members["medecin"],
        person=usager,
        section=Section.ADMINISTRATIVE,
        obj=usager,
    )

    # Today at reception: some waiting, some already seen.
    now = timezone.now()
    today = timezone.localdate()
    reasons = [
        "consultation",
        "renouvellement CSS",
        "rendez-vous assistante sociale",
        "prise de sang",
        "question sur un courrier",
        "vaccination",
        "",
    ]
    chosen = rng.sample(centre_persons[:300], 12)
    for i, person in enumerate(chosen):
        arrived = now - timedelta(minutes=5 + 9 * i)
        seen = i >= 5
        ReceptionVisit.objects.create(
            structure=centre,
            person=person,
            day=today,
            reason=rng.choice(reasons),
            status=VisitStatus.SEEN if seen else VisitStatus.ARRIVED,
            arrived_at=arrived,
            seen_at=arrived + timedelta(minutes=20) if seen else None,
            seen_by=members["medecin"] if seen else None,
            created_by=reception,
        )
        Person.objects.filter(pk=person.pk).update(last_contact_at=arrived)
    return {"centre": centre, "coord": coord, "usager": usager}
