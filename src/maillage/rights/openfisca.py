"""Potential rights estimated with OpenFisca-France, the national rules-as-code model.

``estimate(household, month)`` turns a household as the team entered it (adults and
children with their dates of birth, monthly resources by type over the last 12 months,
housing and rent, commune, disability rate, stay conditions) into one OpenFisca
simulation, and reads for ``month``: the free Complémentaire santé solidaire (``cmu_c``),
the one with a participation (``css_participation_forfaitaire``), RSA (``rsa``), prime
d'activité (``ppa``), housing aid (``aide_logement``) and AAH (``aah``, when a disability
rate is given).

AME is not modelled by OpenFisca: it is estimated from the stay conditions entered (a stay
without a residence permit of more than three months) and the same resource ceiling as
the free CSS — OpenFisca's ``cmu_c_plafond`` for the household and the month, compared
with its ``css_cmu_base_ressources``: no amount is typed into this code.

The resources of the 12 months before ``month`` are inputs: what the person received
(wages, benefits…) as entered, and nothing for what was not entered. OpenFisca then need
not recompute every benefit of every past month, which keeps an estimate well under a
second; the benefits of ``month`` itself are what is estimated.

The tax-benefit system takes seconds and about 130 MB to load: ``tax_benefit_system()``
loads it once per process (``preload()`` does it in the background at start-up).
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.metadata import version
from typing import Any

__all__ = [
    "Household",
    "Line",
    "Member",
    "Outcome",
    "estimate",
    "preload",
    "tax_benefit_system",
]

# Resources by type, and the OpenFisca variable (and its entity) each one feeds.
RESOURCES: dict[str, tuple[str, str]] = {
    "wages": ("salaire_net", "individu"),
    "unemployment": ("chomage_net", "individu"),
    "pension": ("retraite_nette", "individu"),
    "invalidity": ("pensions_invalidite", "individu"),
    "sick_pay": ("indemnites_journalieres", "individu"),
    "alimony": ("pensions_alimentaires_percues", "individu"),
    "aah": ("aah", "individu"),
    "rsa": ("rsa", "famille"),
    "ppa": ("ppa", "famille"),
    "family": ("af", "famille"),
    "housing_aid": ("aide_logement", "famille"),
}
# Received in the past months unless entered: nothing (they are resources, as entered).
PAST_ZERO_INDIVIDU = (
    "salaire_net",
    "chomage_net",
    "retraite_nette",
    "pensions_invalidite",
    "indemnites_journalieres",
    "pensions_alimentaires_percues",
    "rente_accident_travail",
    "aah",
    "caah",
    "mva",
    "asi",
    "ass",
)
PAST_ZERO_FAMILLE = ("aspa", "af", "rsa", "ppa", "aide_logement", "cf", "asf", "paje_base")

HOUSING: dict[str, str] = {
    "tenant": "locataire_vide",
    "furnished_tenant": "locataire_meuble",
    "social_tenant": "locataire_hlm",
    "owner": "proprietaire",
    "hosted": "loge_gratuitement",
    "homeless": "sans_domicile",
}
TENANTS = frozenset({"tenant", "furnished_tenant", "social_tenant"})

CHILD_AGE_ASSUMED = 10
ADULT_AGE_ASSUMED = 30


@dataclass
class Member:
    role: str  # "applicant", "partner" or "child"
    birth_date: datetime.date | None = None
    # type (a key of RESOURCES) -> (monthly amount, for how many of the last 12 months)
    resources: dict[str, tuple[Decimal, int]] = field(default_factory=dict)
    disability_rate: int | None = None  # percent


@dataclass
class Household:
    members: list[Member]
    housing: str = ""  # a key of HOUSING
    rent: Decimal | None = None
    commune: str = ""  # INSEE code
    irregular_stay: bool | None = None  # in France without a residence permit
    in_france_since: datetime.date | None = None


@dataclass(frozen=True)
class Line:
    code: str  # css, css_participation, rsa, ppa, housing_aid, aah, ame
    likely: bool | None  # None: could not be estimated (something missing)
    monthly: Decimal | None = None
    note: str = ""  # a code the page says in words


@dataclass
class Outcome:
    lines: list[Line]
    legislation: datetime.date
    version: str
    missing: list[str]
    assumed: list[str]

    def line(self, code: str) -> Line:
        return next(line for line in self.lines if line.code == code)


_lock = threading.Lock()


@cache
def _load() -> Any:
    from openfisca_france import FranceTaxBenefitSystem

    return FranceTaxBenefitSystem()


def tax_benefit_system() -> Any:
    """France's tax-benefit system, loaded once per process."""
    with _lock:
        return _load()


def preload() -> threading.Thread:
    """Load the tax-benefit system in the background (at start-up of a process that will
    estimate), so that the first estimate does not wait for it."""
    thread = threading.Thread(target=tax_benefit_system, name="openfisca-preload", daemon=True)
    thread.start()
    return thread


def openfisca_version() -> str:
    return version("openfisca-france")


def _months_before(month: datetime.date, count: int) -> list[str]:
    out = []
    year, number = month.year, month.month
    for _ in range(count):
        number -= 1
        if number == 0:
            year, number = year - 1, 12
        out.append(f"{year:04d}-{number:02d}")
    return out


def _age_years(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _birth(member: Member, month: datetime.date, assumed: set[str], missing: set[str]) -> str:
    if member.birth_date is not None and member.birth_date <= month:
        return member.birth_date.isoformat()
    if member.role == "child":
        assumed.add("child_age")
        years = CHILD_AGE_ASSUMED
    else:
        missing.add("birth_date")
        years = ADULT_AGE_ASSUMED
    return datetime.date(month.year - years, 1, 1).isoformat()


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def situation(
    household: Household, month: datetime.date
) -> tuple[dict[str, Any], set[str], set[str]]:
    """The OpenFisca situation (JSON-like) of the household, with what was missing and
    what was assumed."""
    missing: set[str] = set()
    assumed: set[str] = set()
    past = _months_before(month, 12)
    current = f"{month:%Y-%m}"
    individus: dict[str, dict[str, Any]] = {}
    famille: dict[str, Any] = {name: dict.fromkeys(past, 0) for name in PAST_ZERO_FAMILLE}
    adults: list[str] = []
    children: list[str] = []
    for index, member in enumerate(household.members):
        key = f"{member.role}_{index}"
        person: dict[str, Any] = {
            "date_naissance": {"ETERNITY": _birth(member, month, assumed, missing)}
        }
        for name in PAST_ZERO_INDIVIDU:
            person[name] = dict.fromkeys(past, 0)
        if member.role == "child":
            children.append(key)
        else:
            adults.append(key)
            if not member.resources:
                assumed.add("no_resources")
            if member.disability_rate is not None:
                person["taux_incapacite"] = dict.fromkeys(
                    [*past, current], member.disability_rate / 100
                )
        # Not estimated here (a student grant, ASS): none this month.
        person["boursier"] = {current: False}
        person["ass"][current] = 0
        for kind, (amount, months) in member.resources.items():
            variable, entity = RESOURCES[kind]
            months = max(0, min(12, months))
            for m in past[:months]:  # the most recent months
                target = person if entity == "individu" else famille
                target.setdefault(variable, dict.fromkeys(past, 0))
                target[variable][m] = target[variable].get(m, 0) + float(amount)
        # What the person receives in their own name goes on this month as in the last
        # one (the benefits of the household this month are what is estimated).
        for kind, (amount, months) in member.resources.items():
            variable, entity = RESOURCES[kind]
            if entity == "individu" and months >= 1:
                person[variable][current] = float(amount)
        # Unemployment benefit and pensions count for housing aid as taxable: the same as
        # net here (low incomes pay no CSG on them), which spares OpenFisca the income tax
        # of the years before, computed only to know the rate of CSG.
        for net, taxable in (
            ("chomage_net", "chomage_imposable"),
            ("retraite_nette", "retraite_imposable"),
        ):
            person[taxable] = {
                m: person[net].get(m, 0) for m in [*_months_before(month, 14), current]
            }
        individus[key] = person
    menage: dict[str, Any] = {
        "personne_de_reference": adults[:1],
        "conjoint": adults[1:2],
        "enfants": children,
    }
    months_all = [*past, current]
    if household.housing in HOUSING:
        menage["statut_occupation_logement"] = dict.fromkeys(months_all, HOUSING[household.housing])
    else:
        missing.add("housing")
    if household.housing in TENANTS:
        if household.rent is None:
            missing.add("rent")
        else:
            menage["loyer"] = dict.fromkeys(months_all, float(household.rent))
    if household.commune:
        menage["depcom"] = dict.fromkeys(months_all, household.commune)
    else:
        missing.add("commune")
    data = {
        "individus": individus,
        "familles": {"famille": {"parents": adults[:2], "enfants": children, **famille}},
        "foyers_fiscaux": {"foyer": {"declarants": adults[:2], "personnes_a_charge": children}},
        "menages": {"menage": menage},
    }
    return data, missing, assumed


def estimate(household: Household, month: datetime.date) -> Outcome:
    """The potential rights of ``household`` for ``month`` (its first day is the date of
    the legislation applied)."""
    from openfisca_core.simulation_builder import SimulationBuilder

    month = month.replace(day=1)
    if not any(m.role != "child" for m in household.members):
        raise ValueError("a household has at least one adult")
    data, missing, assumed = situation(household, month)
    simulation = SimulationBuilder().build_from_entities(tax_benefit_system(), data)
    period = f"{month:%Y-%m}"

    def value(variable: str) -> float:
        return float(simulation.calculate(variable, period).sum())

    lines: list[Line] = []
    if household.irregular_stay is True:
        # Without a residence permit, none of them: only AME.
        for code in ("css", "css_participation", "rsa", "ppa", "housing_aid", "aah"):
            lines.append(Line(code, False, note="not_for_undocumented"))
    else:
        lines.extend(_openfisca_lines(household, missing, assumed, value))
    lines.append(_ame(household, month, value))
    return Outcome(
        lines=lines,
        legislation=month,
        version=openfisca_version(),
        missing=sorted(missing | ({"stay"} if household.irregular_stay is None else set())),
        assumed=sorted(assumed),
    )


def _openfisca_lines(
    household: Household, missing: set[str], assumed: set[str], value: Any
) -> list[Line]:
    lines: list[Line] = []
    free = bool(value("cmu_c"))
    participation = value("css_participation_forfaitaire") if not free else 0.0
    lines.append(Line("css", free))
    lines.append(
        Line(
            "css_participation",
            participation > 0,
            _money(participation) if participation > 0 else None,
        )
    )
    for code, variable in (("rsa", "rsa"), ("ppa", "ppa")):
        amount = value(variable)
        lines.append(Line(code, amount > 0, _money(amount) if amount > 0 else None))
    if household.housing in TENANTS and "rent" in missing:
        lines.append(Line("housing_aid", None, note="rent_missing"))
    elif household.housing in TENANTS and "commune" in missing:
        lines.append(Line("housing_aid", None, note="commune_missing"))
    else:
        amount = value("aide_logement")
        lines.append(Line("housing_aid", amount > 0, _money(amount) if amount > 0 else None))
    if any(m.disability_rate is not None for m in household.members if m.role != "child"):
        amount = value("aah")
        lines.append(Line("aah", amount > 0, _money(amount) if amount > 0 else None))
    else:
        assumed.add("no_disability")
    return lines


def _ame(household: Household, month: datetime.date, value: Any) -> Line:
    """AME: a stay without a residence permit for more than three months, and resources
    under the ceiling of the free CSS (OpenFisca's, for this household and month)."""
    if household.irregular_stay is None:
        return Line("ame", None, note="stay_missing")
    if not household.irregular_stay:
        return Line("ame", False, note="has_residence_permit")
    since = household.in_france_since
    if since is None:
        return Line("ame", None, note="since_missing")
    year, number = month.year, month.month - 3
    if number <= 0:
        year, number = year - 1, number + 12
    if since > datetime.date(year, number, 1):  # not yet three months in France
        return Line("ame", False, note="less_than_three_months")
    ceiling = value("cmu_c_plafond")
    resources = value("css_cmu_base_ressources")
    return Line("ame", resources <= ceiling, note="" if resources <= ceiling else "over_ceiling")
