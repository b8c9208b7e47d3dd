"""Clinical observations: kinds, units, plausible ranges and derived values (no Django).

A value outside its plausible range is refused with a reason code: it is almost always a
typing error (a weight of 700 kg, a temperature of 3.7 °C) or a unit mix-up (glucose in
mmol/L typed where g/L is expected). Ranges are wide on purpose: they catch impossible
values, not abnormal ones. LOINC codes are those FR Core and the FHIR vital-signs profiles
use, so that the FHIR interface can publish observations unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


@dataclass(frozen=True)
class Kind:
    code: str
    unit: str  # UCUM
    minimum: Decimal
    maximum: Decimal
    decimals: int
    loinc: str
    # Blood pressure carries a second value (diastolic) with its own range.
    second_minimum: Decimal | None = None
    second_maximum: Decimal | None = None
    second_loinc: str = ""

    @property
    def has_second_value(self) -> bool:
        return self.second_minimum is not None


def _d(text: str) -> Decimal:
    return Decimal(text)


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("weight", "kg", _d("0.3"), _d("400"), 1, "29463-7"),
        Kind("height", "cm", _d("20"), _d("250"), 0, "8302-2"),
        Kind("bmi", "kg/m2", _d("7"), _d("150"), 1, "39156-5"),
        Kind(
            "blood_pressure",
            "mm[Hg]",
            _d("50"),
            _d("300"),
            0,
            "85354-9",
            second_minimum=_d("20"),
            second_maximum=_d("200"),
            second_loinc="8462-4",
        ),
        Kind("heart_rate", "/min", _d("20"), _d("250"), 0, "8867-4"),
        Kind("temperature", "Cel", _d("30"), _d("45"), 1, "8310-5"),
        Kind("hba1c", "%", _d("3"), _d("20"), 1, "4548-4"),
        Kind("capillary_glucose", "g/L", _d("0.2"), _d("6"), 2, "2339-0"),
        Kind("spo2", "%", _d("50"), _d("100"), 0, "59408-5"),
    )
}
SYSTOLIC_LOINC = "8480-6"


class ObservationError(ValueError):
    """A value that cannot be recorded; ``args[0]`` is a reason code."""


def parse_value(text: str | Decimal | float | int) -> Decimal:
    """A decimal from what a French keyboard types: "72,5", " 72.5 ", 72.5."""
    if isinstance(text, Decimal):
        return text
    raw = str(text).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    if not raw:
        raise ObservationError("empty")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ObservationError("not_a_number") from None
    if not value.is_finite():
        raise ObservationError("not_a_number")
    return value


def check(
    code: str, value: Decimal, second: Decimal | None = None
) -> tuple[Decimal, Decimal | None]:
    """Validate and round a value (and the diastolic value for blood pressure)."""
    kind = KINDS.get(code)
    if kind is None:
        raise ObservationError("unknown_kind")
    if not kind.minimum <= value <= kind.maximum:
        raise ObservationError("out_of_range")
    if kind.has_second_value:
        if second is None:
            raise ObservationError("second_value_missing")
        assert kind.second_minimum is not None and kind.second_maximum is not None
        if not kind.second_minimum <= second <= kind.second_maximum:
            raise ObservationError("second_out_of_range")
        if second >= value:
            raise ObservationError("diastolic_not_below_systolic")
    elif second is not None:
        raise ObservationError("unexpected_second_value")
    quantum = Decimal(1).scaleb(-kind.decimals)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    return rounded, (second.quantize(Decimal(1), rounding=ROUND_HALF_UP) if second else None)


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal | None:
    """Body-mass index from a weight and a height, or None when it would be implausible."""
    if height_cm <= 0:
        return None
    metres = height_cm / Decimal(100)
    value = (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    kind = KINDS["bmi"]
    return value if kind.minimum <= value <= kind.maximum else None
