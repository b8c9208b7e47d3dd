"""The EPICES precarity score (Évaluation de la Précarité et des Inégalités de santé dans
les Centres d'Examens de Santé).

Source: Sass C., Moulin J.-J., Guéguen R. et al., « Le score Epices : un score individuel
de précarité. Construction du score et mesure des relations avec des données de santé,
dans une population de 197 389 personnes », Bulletin épidémiologique hebdomadaire
(BEH) n° 14, 4 avril 2006, p. 93-96 (Institut de veille sanitaire).

The score is 75.14 (the intercept) plus the coefficient of each question answered "yes";
it runs from 0 (least precarious) to 100 (most precarious). A person is considered in a
situation of precarity from 30.17 (the published threshold, the score's 40th percentile
in the reference population). The score is only valid when all eleven questions are
answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "CODES",
    "INTERCEPT",
    "QUESTIONS",
    "THRESHOLD",
    "Incomplete",
    "Question",
    "is_precarious",
    "score",
]

INTERCEPT = Decimal("75.14")
THRESHOLD = Decimal("30.17")


@dataclass(frozen=True)
class Question:
    code: str
    coefficient: Decimal  # added to the score when the answer is "yes"


# In the published order, with the published coefficients (BEH 2006, table 2).
QUESTIONS: tuple[Question, ...] = (
    Question("social_worker", Decimal("10.06")),  # meets a social worker sometimes
    Question("complementary_insurance", Decimal("-11.83")),  # has complementary health cover
    Question("couple", Decimal("-8.28")),  # lives as a couple
    Question("home_owner", Decimal("-8.28")),  # owns their home
    Question("financial_difficulties", Decimal("14.80")),  # real difficulties each month
    Question("sport", Decimal("-6.51")),  # did sport in the last 12 months
    Question("show", Decimal("-7.10")),  # went to a show in the last 12 months
    Question("holidays", Decimal("-7.10")),  # went on holiday in the last 12 months
    Question("family_contacts", Decimal("-9.47")),  # saw family (beyond parents/children), 6 months
    Question("someone_to_host", Decimal("-9.47")),  # someone could host them a few days
    Question("someone_to_help", Decimal("-7.10")),  # someone could give material help
)
CODES = tuple(q.code for q in QUESTIONS)


class Incomplete(ValueError):
    """Some questions are not answered: the score cannot be computed."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


def score(answers: Mapping[str, bool]) -> Decimal:
    """The EPICES score (two decimals) of eleven yes/no answers keyed by question code."""
    missing = [q.code for q in QUESTIONS if not isinstance(answers.get(q.code), bool)]
    if missing:
        raise Incomplete(missing)
    unknown = set(answers) - set(CODES)
    if unknown:
        raise ValueError(f"unknown questions: {', '.join(sorted(unknown))}")
    total = INTERCEPT + sum((q.coefficient for q in QUESTIONS if answers[q.code]), Decimal(0))
    return total.quantize(Decimal("0.01"))


def is_precarious(value: Decimal) -> bool:
    return value >= THRESHOLD
