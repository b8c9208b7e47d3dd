"""The demo setting: one community health centre, one micro-local coordination site,
about thirty members covering every role, ~500 synthetic persons. Never real data."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum import luhn

from maillage.agenda.demo import load_agenda
from maillage.coordination.demo import load_coordination, load_referrals
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, Member, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.choices import VisitStatus
from maillage.people.models import Person, ReceptionVisit
from maillage.people.synthetic import add_entourage, generate_persons
from maillage.rights.demo import load_rights
from maillage.territory.demo import load_territory

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

    _demo_record(centre, coord, centre_persons, usager, members, rng)
    coordinator = Member.objects.get(user__username="coordinatrice", structure=centre)
    load_territory(centre, coordinator)
    followed = [p for p in centre_persons if not p.merged_into_id]
    load_referrals(followed, members["mediatrice"])
    load_coordination([usager, *(p for p in followed if p.pk != usager.pk)], coordinator)
    load_agenda(centre, [usager, *followed[:150]], seed=seed)
    load_rights(members["social"], [usager, *followed[:80]], seed=seed)

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


# A tiny, valid PDF: the demo's "compte rendu" document (synthetic text only).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 71>>stream\n"
    b"BT /F1 14 Tf 72 770 Td (Compte rendu de consultation - exemple) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_record(
    centre: Structure,
    coord: Structure,
    centre_persons: list[Person],
    usager: Person,
    members: dict[str, Member],
    rng: random.Random,
) -> None:
    """Journal entries, referents and one person's story with a co-consultation, a
    document and a sharing choice."""
    from maillage.core.access import record_access
    from maillage.record import actions as record_actions
    from maillage.record.models import CareTeamMember
    from maillage.record.synthetic import Plan, generate_journal

    team = list(Member.objects.filter(structure=centre).select_related("user"))
    followed = [p for p in centre_persons if p.merged_into_id is None and p.pk != usager.pk]
    plans = [Plan(p, rng.randint(1, 8)) for p in rng.sample(followed, min(350, len(followed)))]
    generate_journal(plans, team, seed=rng.randint(0, 10**6))
    gps = [m for m in team if m.role == Role.GP]
    CareTeamMember.objects.bulk_create(
        [
            CareTeamMember(
                person=plan.person,
                member=rng.choice(gps),
                is_referent=True,
                source="added",
                added_by=members["medecin"],
            )
            for plan in plans[: len(plans) // 2]
        ]
    )
    coord_team = list(Member.objects.filter(structure=coord))
    coordinator = next(m for m in coord_team if m.role == Role.COORDINATOR)
    coord_persons = list(Person.objects.filter(structure=coord, merged_into__isnull=True))
    CareTeamMember.objects.bulk_create(
        [
            CareTeamMember(
                person=p, member=coordinator, is_referent=True, source="added", added_by=coordinator
            )
            for p in coord_persons
        ]
    )
    generate_journal(
        [Plan(p, rng.randint(1, 3)) for p in coord_persons],
        [m for m in coord_team if m.role in {Role.COORDINATOR, Role.MEDIATOR}],
        seed=rng.randint(0, 10**6),
    )

    # The usager's own story, written the way the team would.
    gp, social, interpreter = members["medecin"], members["social"], members["interprete"]
    record_actions.do_add_to_care_team(gp, usager, gp, referent=True)
    now = timezone.now()
    gp_access = record_access(gp, usager)
    assert gp_access is not None
    generate_journal([Plan(usager, 10, days=400)], team, seed=7, now=now - timedelta(days=20))
    record_actions.do_record_encounter(
        gp_access,
        record_actions.EncounterInput(
            kind="co_consultation",
            section=Section.CLINICAL,
            occurred_at=now - timedelta(days=6, hours=2),
            duration_minutes=45,
            place="centre",
            reason="Fatigue, difficultés pour payer les médicaments",
            reason_codes=["A04"],
            members=[social],
            interpreter=interpreter,
            interpreting_language="ar",
            note="Fatigue depuis un mois, examen sans particularité. Bilan sanguin prescrit. "
            "La personne renonce à certains médicaments faute de complémentaire : "
            "l'assistant social reprend le dossier CSS avec elle.",
            observations=[
                record_actions.ObservationInput("weight", Decimal("64.5")),
                record_actions.ObservationInput("blood_pressure", Decimal(128), Decimal(82)),
            ],
        ),
    )
    social_access = record_access(social, usager)
    assert social_access is not None
    record_actions.do_add_note(
        social_access,
        section=Section.SOCIAL,
        text="Dossier de Complémentaire santé solidaire déposé ; réponse attendue sous deux mois.",
        occurred_at=now - timedelta(days=6, hours=1),
    )
    record_actions.do_add_problem(
        gp_access, title="Hypertension artérielle", code_system="icpc2", code="K86"
    )
    record_actions.do_add_document(
        gp_access,
        section=Section.CLINICAL,
        doc_type="letter",
        title="Compte rendu de consultation",
        content=DEMO_PDF,
        original_name="compte-rendu.pdf",
        content_type="application/pdf",
        occurred_at=now - timedelta(days=6),
    )
    user = User.objects.get(person=usager)
    record_actions.do_record_choice(
        usager,
        kind="refuse",
        section=Section.SOCIAL,
        role=Role.RECEPTION,
        user=user,
        note="Je préfère que l'accueil ne lise pas mes notes sociales.",
    )
