"""Synthetic persons for the demo, the tests and the benchmarks. Never real data.

Names come from Faker (several latin-script locales) and from lists of names common
among the people French community health centres welcome; some records are
deliberately entered twice with the variations reception desks make (typos, accents
dropped, first and last names swapped, partial dates of birth).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from stdnum.fr import nir as stdnum_nir

from maillage.core.models import Member, Structure
from maillage.lib.phone import phone_digits_for_search
from maillage.people.actions import block_key, person_key_strings
from maillage.people.models import Person, PersonSearchKey, Relation


def _name_list(text: str) -> list[str]:
    """The comma-separated names of ``text``, in order."""
    return [name.strip() for name in text.split(",") if name.strip()]


# Common names, drawn independently for the surname and the given names: the combinations
# are synthetic, never real records.
NAMES_BY_ORIGIN: dict[str, tuple[list[str], list[str], list[str], list[str], str]] = {
    # origin: (surnames, female given names, male given names, languages, birth country)
    "maghreb": (
        _name_list(
            "Benali, Haddad, Mansouri, Belkacem, El Amrani, Bouzid, Cherif, Zitouni, Hamdi, "
            "Ait Ahmed, Benmoussa, Kaci, Meziane, Saidi, Amrani, Bensaïd, Boudjema, Belaïd, "
            "Benyahia, Bouaziz, Brahimi, Chaoui, Djebbar, El Idrissi, Ferhat, Guerfi, Hamidi, "
            "Kaddour, Khelifi, Lahlou, Larbi, Mahdi, Mokrani, Naceri, Ouali, Rahmani, Rezki, "
            "Slimani, Tahiri, Touati, Yahiaoui, Zerrouki, Benabdallah, Bennani, Berrada, "
            "Chaouch, El Fassi, Ghazi, Hassani, Jaziri, Laabidi, Mejri, Ouazzani, Sahraoui, "
            "Tlili, Trabelsi"
        ),
        _name_list(
            "Fatima, Khadija, Yasmina, Nadia, Samira, Leïla, Aïcha, Malika, Amina, Nora, "
            "Souad, Karima, Rachida, Naïma, Zohra, Houria, Farida, Djamila, Hafsa, Imane, "
            "Sara, Salma, Meriem, Inès, Kenza, Lina, Hanane, Latifa, Nawal, Siham, Soraya, "
            "Wafa, Yamina, Zineb, Dounia, Rania"
        ),
        _name_list(
            "Mohamed, Karim, Rachid, Youssef, Mehdi, Sofiane, Abdelkader, Nabil, Ahmed, Ali, "
            "Omar, Saïd, Hamid, Mustapha, Farid, Samir, Kamel, Hakim, Bilal, Yacine, Amine, "
            "Walid, Redouane, Hicham, Khalid, Nordine, Djamel, Lyes, Adel, Brahim, Mourad, "
            "Tarek, Hassan, Idir, Anis, Ayoub"
        ),
        ["ar", "ber", "fr"],
        "99350",
    ),
    "west_africa": (
        _name_list(
            "Diallo, Traoré, Koné, Coulibaly, Diop, Ndiaye, Camara, Sylla, Keita, Touré, Ba, "
            "Sow, Cissé, Fofana, Diarra, Sanogo, Konaté, Dembélé, Sidibé, Bamba, Ouattara, "
            "Kouyaté, Doumbia, Sissoko, Dramé, Diakité, Kanté, Barry, Bah, Diaby, Soumaré, "
            "Gueye, Fall, Sarr, Mbaye, Faye, Seck, Thiam, Niang, Kane, Sy, Diouf, Cissokho, "
            "Tall, Dia, Diawara, Magassa, Sakho, Tounkara, Baldé, Soumah, Condé, Bangoura, "
            "Kaba, Sangaré"
        ),
        _name_list(
            "Aminata, Fatoumata, Mariam, Awa, Kadiatou, Binta, Hawa, Oumou, Fatou, Aïssatou, "
            "Mariama, Assa, Djeneba, Kadidia, Rokia, Salimata, Maïmouna, Ramatoulaye, Coumba, "
            "Ndeye, Khady, Astou, Sokhna, Penda, Bineta, Safiatou, Nafissatou, Hadja, "
            "Korotoumou, Tenin, Fanta, Mahawa, Sira, Oumy"
        ),
        _name_list(
            "Mamadou, Moussa, Ibrahima, Oumar, Sekou, Abdoulaye, Boubacar, Issa, Amadou, "
            "Modibo, Souleymane, Bakary, Seydou, Lamine, Cheikh, Ousmane, Alassane, "
            "Mahamadou, Youssouf, Adama, Idrissa, Samba, Demba, Aliou, Babacar, Siaka, Drissa, "
            "Karamoko, Mamady, Fodé, Lassana, Djibril, Habib, Tidiane, Malick"
        ),
        ["fr", "wo", "bm", "ff", "snk"],
        "99341",
    ),
    "central_africa": (
        _name_list(
            "Mbala, Nkounkou, Ilunga, Kabongo, Mukendi, Tshibangu, Nzuzi, Mbuyi, Kalala, "
            "Kasongo, Mutombo, Lukusa, Ngoy, Kabamba, Mulumba, Banza, Kanku, Mpiana, Lumbala, "
            "Makiese, Nsimba, Mavungu, Lutete, Malonga, Mabiala, Moukoko, Massamba, Bakala, "
            "Kiminou, Loemba, Mbemba, Nganga, Atangana, Mbarga, Fouda, Essomba, Ngono, Owona, "
            "Nkoulou, Abena, Tchamba, Kamga, Fotso, Tchuente, Nana, Kenfack, Talla, Djoumessi, "
            "Wamba, Mbida, Ekotto, Ndongo, Manga"
        ),
        _name_list(
            "Grâce, Merveille, Divine, Esther, Christelle, Ruth, Rebecca, Sarah, Déborah, "
            "Prisca, Nadège, Carine, Sandrine, Gisèle, Odette, Clarisse, Joëlle, Bénédicte, "
            "Patience, Espérance, Félicité, Chancelle, Arlette, Jeanine, Mireille, Annie, "
            "Brigitte, Solange, Véronique, Ornella, Blandine, Murielle, Pélagie, Laetitia"
        ),
        _name_list(
            "Patrick, Christian, Jean-Pierre, Blaise, Dieudonné, Serge, Hervé, Fabrice, "
            "Junior, Emmanuel, Guy, Olivier, Thierry, Arnaud, Cédric, Landry, Rodrigue, Joël, "
            "Trésor, Héritier, Glody, Jean-Claude, Jean-Paul, Alain, Didier, Franck, "
            "Bertrand, Ghislain, Lionel, Valentin, Aimé, Prince, Christophe, Gaston"
        ),
        ["fr", "ln"],
        "99322",
    ),
    "afghanistan": (
        _name_list(
            "Ahmadi, Rahimi, Hakimi, Safi, Nazari, Karimi, Sultani, Popal, Wardak, Stanikzai, "
            "Noori, Hashimi, Mohammadi, Rezaei, Hosseini, Jafari, Amiri, Sadat, Haidari, "
            "Azizi, Rasuli, Yousufzai, Mohmand, Kakar, Durrani, Barakzai, Habibi, Faizi, "
            "Samadi, Qaderi, Sharifi, Najafi, Ghafoori, Nasiri, Sediqi, Akbari, Rahmati, "
            "Saberi, Taheri, Wahidi, Hotak, Shinwari, Khalili, Zazai, Niazi, Mangal, "
            "Totakhil, Amini, Ansari, Bahrami, Ahmadzai, Safari"
        ),
        _name_list(
            "Zahra, Maryam, Fereshta, Shabnam, Farzana, Nargis, Parwana, Mina, Laila, Roya, "
            "Sima, Habiba, Malalai, Marzia, Nilofar, Shakila, Sahar, Somaya, Tahmina, "
            "Zarghona, Gulalai, Nazanin, Nasrin, Sadia, Shirin, Hasina, Mahbooba, Najiba, "
            "Palwasha, Wahida, Yalda, Zakia, Arezo, Homa"
        ),
        _name_list(
            "Ahmad, Mohammad, Ali, Hamid, Jawad, Naveed, Abdullah, Mustafa, Farid, Habib, "
            "Hassan, Hussain, Javid, Karim, Mahmood, Masoud, Nasir, Omid, Qasim, Rahim, "
            "Sayed, Shafiq, Sohail, Wahid, Yasin, Zabiullah, Bilal, Hamza, Idris, Jamshid, "
            "Khalid, Mansoor, Najib, Rashid, Sharif, Aziz"
        ),
        ["fa", "ps"],
        "99212",
    ),
}
FAKER_LOCALES = {
    "fr_FR": ["fr"],
    "ro_RO": ["ro", "fr"],
    "pt_PT": ["pt", "fr"],
    "es_ES": ["es", "fr"],
    "pl_PL": ["pl"],
    "tr_TR": ["tr"],
    "vi_VN": ["vi", "fr"],
}
FAKER_COUNTRY = {
    "ro_RO": "99114",
    "pt_PT": "99139",
    "es_ES": "99134",
    "pl_PL": "99122",
    "tr_TR": "99208",
    "vi_VN": "99243",
}
FRENCH_BIRTH_PLACES = [
    ("93066", "Saint-Denis"),
    ("75056", "Paris"),
    ("13055", "Marseille"),
    ("69123", "Lyon"),
    ("31555", "Toulouse"),
    ("59350", "Lille"),
    ("85191", "La Roche-sur-Yon"),
    ("93048", "Montreuil"),
    ("2A004", "Ajaccio"),
    ("2B033", "Bastia"),
    ("97411", "Saint-Denis (La Réunion)"),
]
COUNTRY_LABELS = {
    "99350": "Maroc",
    "99341": "Sénégal",
    "99322": "Cameroun",
    "99212": "Afghanistan",
    "99114": "Roumanie",
    "99139": "Portugal",
    "99134": "Espagne",
    "99122": "Pologne",
    "99208": "Turquie",
    "99243": "Viêt Nam",
}
LOCAL_COMMUNES = [
    ("93066", "93200", "Saint-Denis"),
    ("93066", "93210", "Saint-Denis"),
    ("93001", "93300", "Aubervilliers"),
    ("93070", "93400", "Saint-Ouen-sur-Seine"),
    ("93027", "93120", "La Courneuve"),
    ("93079", "93800", "Épinay-sur-Seine"),
]


# Approximate centres of those communes: synthetic addresses get a point near them.
COMMUNE_CENTRES = {
    "93066": (48.9362, 2.3574),
    "93001": (48.9146, 2.3821),
    "93070": (48.9118, 2.3340),
    "93027": (48.9281, 2.3964),
    "93079": (48.9553, 2.3092),
}


def synthetic_point(code: str, order: int) -> tuple[float | None, float | None]:
    """A point within about 1.5 km of the commune's centre, drawn from its own generator
    so that adding it left every other drawn value unchanged."""
    centre = COMMUNE_CENTRES.get(code)
    if centre is None:
        return None, None
    draw = random.Random(order * 7919 + 17)
    return (
        round(centre[0] + draw.uniform(-0.0135, 0.0135), 6),
        round(centre[1] + draw.uniform(-0.02, 0.02), 6),
    )


def make_nir(sex: str, year: int, month: int | None, place: str, order: int) -> str:
    """A NIR consistent with the traits, with its key (synthetic, never a real person's)."""
    first = "1" if sex == "M" else "2"
    mm = f"{month:02d}" if month else "20"
    if place.startswith("99"):
        dept, commune = "99", place[2:]
    else:
        dept, commune = place[:2], place[2:]
    body = f"{first}{year % 100:02d}{mm}{dept}{commune}{order % 1000:03d}"
    return body + stdnum_nir.calc_check_digits(body)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    choice = rng.random()
    if choice < 0.4:
        return text[:i] + text[i + 1 :]
    if choice < 0.7:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeilnorstu") + text[i + 1 :]


def _strip_accents(text: str) -> str:
    from unidecode import unidecode

    return unidecode(text)


@dataclass
class Generator:
    structure: Structure
    seed: int = 42
    created_by: Member | None = None
    rng: random.Random = field(init=False)
    fakers: dict[str, Faker] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fakers = {}
        for locale in FAKER_LOCALES:
            fake = Faker(locale)
            fake.seed_instance(self.seed)
            self.fakers[locale] = fake
        self.order = 0

    def _names(self, sex: str) -> tuple[str, str, list[str], str]:
        r = self.rng.random()
        if r < 0.62:
            locale = "fr_FR"
        elif r < 0.72:
            locale = self.rng.choice([loc for loc in FAKER_LOCALES if loc != "fr_FR"])
        else:
            origin = self.rng.choice(list(NAMES_BY_ORIGIN))
            surnames, female, male, langs, country = NAMES_BY_ORIGIN[origin]
            pool = female if sex == "F" else male
            given = [self.rng.choice(pool)]
            if self.rng.random() < 0.3:
                given.append(self.rng.choice(pool))
            return self.rng.choice(surnames), " ".join(dict.fromkeys(given)), langs, country
        fake = self.fakers[locale]
        first = fake.first_name_female if sex == "F" else fake.first_name_male
        given = [first() for _ in range(self.rng.choice([1, 1, 2, 2, 3]))]
        country = FAKER_COUNTRY.get(locale, "")
        return fake.last_name(), " ".join(dict.fromkeys(given)), FAKER_LOCALES[locale], country

    def person(self) -> Person:
        rng = self.rng
        sex = "F" if rng.random() < 0.54 else "M"
        surname, given, langs, country = self._names(sex)
        year = rng.randint(1938, 2024)
        month: int | None = rng.randint(1, 12)
        day: int | None = rng.randint(1, 28)
        if rng.random() < 0.04:
            day = None
            if rng.random() < 0.5:
                month = None
        born_abroad = bool(country) and rng.random() < 0.8
        if born_abroad:
            place, place_label = country, COUNTRY_LABELS.get(country, "")
        else:
            place, place_label = rng.choice(FRENCH_BIRTH_PLACES)
        declared = rng.random() < 0.05
        roll = rng.random()
        status, document = "prov", "none"
        if not declared:
            if roll < 0.25:
                status, document = "qual", rng.choice(["id_card", "passport", "residence_permit"])
            elif roll < 0.55:
                status, document = "vali", rng.choice(["id_card", "passport", "residence_permit"])
            elif roll < 0.65:
                status = "recup"
        self.order += 1
        has_nir = status in {"qual", "recup"} or (status == "vali" and rng.random() < 0.6)
        nir = make_nir(sex, year, month, place, self.order) if has_nir else ""
        commune_code, postcode, commune = rng.choice(LOCAL_COMMUNES)
        point = synthetic_point(commune_code, self.order)
        fake = self.fakers["fr_FR"]
        phone = (
            f"0{rng.choice('67')}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.85 else ""
        )
        spoken = [langs[0]] if rng.random() < 0.5 else list(langs[:2])
        needs_interpreter = "fr" not in spoken
        now = timezone.now()
        created = now - timedelta(days=rng.randint(0, 1500), minutes=rng.randint(0, 1440))
        person = Person(
            structure=self.structure,
            birth_name=surname.upper(),
            given_names=given,
            used_name=fake.last_name().upper() if sex == "F" and rng.random() < 0.12 else "",
            preferred_name=given.split(" ")[0] if rng.random() < 0.03 else "",
            sex=sex,
            birth_year=year,
            birth_month=month,
            birth_day=day if month else None,
            birth_place_code=place,
            birth_place_label=place_label,
            nir=nir,
            identity_status=status,
            document_type=document,
            document_checked_at=created if document != "none" else None,
            ins_retrieved_at=created if status in {"qual", "recup"} else None,
            declared_identity=declared,
            phone=phone,
            address=fake.street_address(),
            postcode=postcode,
            commune_code=commune_code,
            commune_name=commune,
            latitude=point[0],
            longitude=point[1],
            languages=spoken,
            interpreter_needed=needs_interpreter,
            interpreting_language=spoken[0] if needs_interpreter else "",
            created_at=created,
            created_by=self.created_by,
            last_contact_at=created + timedelta(days=rng.randint(0, 300)),
        )
        if person.last_contact_at and person.last_contact_at > now:
            person.last_contact_at = now
        if declared and rng.random() < 0.4:
            person.preferred_name = rng.choice(["Coco", "Mamie Rose", "Le Grand", "Lulu", "Didi"])
        return person

    def duplicate_of(self, original: Person) -> Person:
        """The same person typed again, with the variations desks make."""
        rng = self.rng
        dup = Person(
            **{
                f.attname: getattr(original, f.attname)
                for f in Person._meta.concrete_fields
                if f.attname not in {"id", "nir"}
            }
        )
        variation = rng.choice(["typo", "accents", "transposed", "partial", "hyphen", "typo"])
        if variation == "typo":
            dup.birth_name = _typo(rng, original.birth_name)
        elif variation == "accents":
            dup.birth_name = _strip_accents(original.birth_name)
            dup.given_names = _strip_accents(original.given_names).lower()
        elif variation == "transposed":
            dup.birth_name = original.first_given_name.upper()
            dup.given_names = original.birth_name.title()
        elif variation == "partial":
            dup.birth_day = None
        elif variation == "hyphen":
            dup.given_names = (
                original.given_names.replace(" ", "-")
                if " " in original.given_names
                else _typo(rng, original.given_names)
            )
        dup.identity_status = "prov"
        dup.document_type = "none"
        dup.document_checked_at = None
        dup.ins_retrieved_at = None
        dup.created_at = original.created_at + timedelta(days=rng.randint(30, 400))
        return dup

    def persons(self, count: int, duplicate_share: float = 0.03) -> Iterator[Person]:
        made: list[Person] = []
        for _ in range(count):
            if made and self.rng.random() < duplicate_share:
                person = self.duplicate_of(self.rng.choice(made[-500:]))
            else:
                person = self.person()
            made.append(person)
            yield person


def bulk_insert(persons: list[Person]) -> None:
    """Insert persons with their derived fields and search keys, fast on both databases."""
    for p in persons:
        p.phone_digits = phone_digits_for_search(p.phone)
        p.block_key = block_key(p)
        p.updated_at = timezone.now()
    Person.objects.bulk_create(persons, batch_size=1000)
    table = PersonSearchKey._meta.db_table
    rows = [(p.pk, p.structure_id, key[:40]) for p in persons for key in person_key_strings(p)]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (person_id, structure_id, key) VALUES (%s, %s, %s)",  # noqa: S608
            rows,
        )


def generate_persons(
    structure: Structure,
    count: int,
    *,
    seed: int = 42,
    created_by: Member | None = None,
    batch: int = 2000,
) -> int:
    generator = Generator(structure, seed=seed, created_by=created_by)
    pending: list[Person] = []
    total = 0
    for person in generator.persons(count):
        pending.append(person)
        if len(pending) >= batch:
            with transaction.atomic():
                bulk_insert(pending)
            total += len(pending)
            pending = []
    if pending:
        with transaction.atomic():
            bulk_insert(pending)
        total += len(pending)
    return total


def add_entourage(persons: list[Person], member: Member, seed: int = 7) -> list[Relation]:
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    relations: list[Relation] = []
    kinds = ["partner", "child", "parent", "sibling", "neighbour", "friend", "natural_helper"]
    for person in persons:
        if rng.random() > 0.3:
            continue
        for _ in range(rng.choice([1, 1, 2])):
            kind = rng.choice(kinds)
            relations.append(
                Relation(
                    person=person,
                    kind=kind,
                    name=fake.name(),
                    created_by=member,
                    phone=f"06{rng.randint(0, 99_999_999):08d}",
                    team_may_contact=rng.random() < 0.6,
                    how_to_reach=rng.choice(["", "le soir après 18 h", "passe souvent au centre"]),
                )
            )
        birth = person.birth_date
        if birth is not None and birth.year > timezone.now().year - 18:
            relations.append(
                Relation(
                    person=person,
                    kind="legal_representative",
                    name=fake.name(),
                    is_legal_representative=True,
                    created_by=member,
                    team_may_contact=True,
                    phone=f"07{rng.randint(0, 99_999_999):08d}",
                )
            )
    Relation.objects.bulk_create(relations, batch_size=1000)
    return relations
