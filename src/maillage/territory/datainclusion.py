"""The bridge between the directory and the data·inclusion v1 schema.

Every row read from a file, and every row written to an export, goes through the
schema's own pydantic models (``data_inclusion.schema.v1``): the package is the
authority for field names, formats and reference lists; nothing here re-types them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
from data_inclusion.schema import v1
from django.utils.translation import gettext as _

Kind = Literal["structure", "service"]

MODELS: dict[str, type[pydantic.BaseModel]] = {"structure": v1.Structure, "service": v1.Service}
# Fields of each kind, in the schema's order; list-valued ones are stored as JSON lists.
FIELDS: dict[str, list[str]] = {kind: list(model.model_fields) for kind, model in MODELS.items()}
LIST_FIELDS = frozenset(
    {
        "thematiques",
        "publics",
        "modes_accueil",
        "zone_eligibilite",
        "modes_mobilisation",
        "mobilisable_par",
        "reseaux_porteurs",
    }
)

REFERENCE_LISTS: dict[str, type[Any]] = {
    "type": v1.TypeService,
    "thematiques": v1.Thematique,
    "frais": v1.Frais,
    "publics": v1.Public,
    "modes_accueil": v1.ModeAccueil,
    "modes_mobilisation": v1.ModeMobilisation,
    "mobilisable_par": v1.PersonneMobilisatrice,
    "reseaux_porteurs": v1.ReseauPorteur,
}


def choices(name: str) -> list[tuple[str, str]]:
    """(value, French label) of a reference list of the schema, in its order."""
    return [(item.value, item.label) for item in REFERENCE_LISTS[name]]


def label(name: str, value: str) -> str:
    try:
        return str(REFERENCE_LISTS[name](value).label)
    except (KeyError, ValueError):
        return value


@dataclass
class RowError:
    kind: Kind
    line: int
    identifier: str
    reasons: list[str]


@dataclass
class Row:
    kind: Kind
    line: int
    data: dict[str, Any]  # validated, JSON-ready (lists sorted, dates ISO)

    @property
    def key(self) -> tuple[str, str]:
        return self.data["source"], self.data["id"]

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _reason(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if not isinstance(part, int))
    kind = error.get("type", "")
    words = {
        "missing": _("this field is required"),
        "string_too_short": _("too short"),
        "string_too_long": _("too long"),
        "enum": _("not a value of the data·inclusion list"),
        "url_parsing": _("not a web address"),
        "url_scheme": _("not a web address"),
        "date_from_datetime_parsing": _("not a date (YYYY-MM-DD)"),
        "date_parsing": _("not a date (YYYY-MM-DD)"),
        "float_parsing": _("not a number"),
        "int_parsing": _("not a whole number"),
        "string_pattern_mismatch": _("not in the expected form"),
        "too_short": _("must hold at least one value"),
        "greater_than_equal": _("too small"),
    }.get(kind)
    # The schema's own validators explain themselves, in French: keep their words.
    text = words or str(error.get("msg", "")).removeprefix("Value error, ")
    value = error.get("input")
    if kind in {"enum", "url_parsing", "string_pattern_mismatch"} and isinstance(value, str):
        text = f"{text} (« {value[:60]} »)"
    return f"{where}: {text}" if where else text


def validate(kind: Kind, raw: Mapping[str, Any], line: int) -> Row | RowError:
    """One row checked against the schema; the schema's warnings are not errors."""
    data = {name: value for name, value in raw.items() if name in FIELDS[kind]}
    identifier = str(raw.get("id") or "")[:200].replace("\x00", "")
    nul = [name for name, value in data.items() if "\x00" in str(value)]
    if nul:  # no database stores it, and no directory needs it
        return RowError(
            kind, line, identifier, [_("%(field)s: holds a NUL character") % {"field": nul[0]}]
        )
    try:
        model = MODELS[kind].model_validate(data)
    except pydantic.ValidationError as exc:
        return RowError(kind, line, identifier, [_reason(e) for e in exc.errors()])
    dumped = model.model_dump(mode="json")
    for name in LIST_FIELDS & dumped.keys():
        if dumped[name] is not None:
            dumped[name] = sorted(dumped[name])
    return Row(kind, line, dumped)


# --- reading files --------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _csv_value(name: str, value: str) -> Any:
    """A CSV cell: lists as a JSON array or comma-separated values; blanks as nothing."""
    value = value.strip()
    if not value:
        return None
    if name in LIST_FIELDS:
        if value.startswith("["):
            try:
                loaded = json.loads(value)
            except json.JSONDecodeError:
                return value
            return loaded
        return [part.strip() for part in value.split(",") if part.strip()]
    if name in {"latitude", "longitude", "volume_horaire_hebdomadaire"}:
        return value.replace(",", ".")
    return value


def read_csv(data: bytes) -> tuple[Kind | None, Iterator[tuple[int, dict[str, Any]]]]:
    """The kind of rows a data·inclusion CSV holds (services have a ``structure_id``
    column) and its rows with their line numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {c.strip() for c in reader.fieldnames or []}
    if not {"source", "id", "nom"} <= columns:
        return None, iter(())
    kind: Kind = "service" if "structure_id" in columns else "structure"

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in reader:
            cells = {
                (name or "").strip(): _csv_value((name or "").strip(), value or "")
                for name, value in row.items()
                if name and isinstance(value, str)
            }
            yield reader.line_num, cells

    return kind, rows()


def read_json(data: bytes) -> Iterator[tuple[Kind, int, Any]]:
    """Rows of a JSON file: a list of structures or of services, or an object with
    ``structures`` and ``services`` lists. The "line" is the position in its list."""
    loaded = json.loads(data.decode("utf-8-sig"))
    if isinstance(loaded, dict):
        groups = [
            ("structure", loaded.get("structures") or []),
            ("service", loaded.get("services") or []),
        ]
    elif isinstance(loaded, list):
        is_service = any(isinstance(r, dict) and "structure_id" in r for r in loaded[:50])
        groups = [("service" if is_service else "structure", loaded)]
    else:
        raise ValueError("not a list")
    for kind, items in groups:
        if not isinstance(items, list):
            raise ValueError("not a list")
        for index, item in enumerate(items, start=1):
            yield kind, index, item  # type: ignore[misc]


def parse(files: Iterable[tuple[str, bytes]]) -> Parsed:
    """Validate every row of the files; structures first, so that services find them."""
    parsed = Parsed()
    for name, data in files:
        if name.lower().endswith(".csv"):
            kind, rows = read_csv(data)
            if kind is None:
                parsed.errors.append(
                    RowError(
                        "structure",
                        1,
                        name,
                        [_("not a data·inclusion CSV: the columns source, id and nom are needed")],
                    )
                )
                continue
            try:
                for line, raw in rows:
                    _add(parsed, validate(kind, raw, line))
            except csv.Error as error:
                parsed.errors.append(
                    RowError(
                        kind, 0, name, [_("not readable as CSV: %(error)s") % {"error": error}]
                    )
                )
        else:
            try:
                items = list(read_json(data))
            except (ValueError, UnicodeDecodeError, RecursionError):
                parsed.errors.append(
                    RowError("structure", 1, name, [_("not a data·inclusion JSON file")])
                )
                continue
            for kind, line, raw in items:
                if not isinstance(raw, dict):
                    parsed.errors.append(RowError(kind, line, "", [_("not an object")]))
                    continue
                _add(parsed, validate(kind, {k: _blank_to_none(v) for k, v in raw.items()}, line))
    parsed.rows.sort(key=lambda row: row.kind != "structure")
    return parsed


def _add(parsed: Parsed, result: Row | RowError) -> None:
    if isinstance(result, Row):
        parsed.rows.append(result)
    else:
        parsed.errors.append(result)


# --- writing exports ------------------------------------------------------------------


def export_rows(kind: Kind, rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows validated by the schema, as JSON-ready dicts in the schema's field order."""
    for raw in rows:
        model = MODELS[kind].model_validate(dict(raw))
        yield model.model_dump(mode="json")


def to_csv(kind: Kind, rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """CSV lines: lists as JSON arrays (what the importer reads back)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS[kind], extrasaction="ignore")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            {
                name: json.dumps(value, ensure_ascii=False)
                if isinstance(value, list)
                else ("" if value is None else value)
                for name, value in row.items()
            }
        )
        yield buffer.getvalue()
