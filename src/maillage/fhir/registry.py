"""The resource types the FHIR interface serves, each described once: what it reads (the
access policy's querysets), how a row becomes a resource, its search parameters, its
``_include`` paths and, where the web pages allow the same write, create and update.

The CapabilityStatement (``/metadata``) is built from this registry, so it lists exactly
what is implemented.
"""

from __future__ import annotations

import abc
import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.fhir.errors import fail
from maillage.fhir.search import Param, date_param, id_values

if TYPE_CHECKING:
    from maillage.fhir.caller import Caller

REGISTRY: dict[str, ResourceType] = {}


@dataclass
class Context:
    """What rendering needs besides the row: the base URL of absolute references, and
    values read once for a whole page (labels, ids)."""

    base: str
    caller: Caller
    cache: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


@dataclass
class Written:
    """What a create or update wrote: the row, and what FHIR keeps beside it — the
    elements the application has no field for, and identifiers of other systems."""

    row: Any
    kept: dict[str, Any] = field(default_factory=dict)
    identifiers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Include:
    """``_include=<Type>:<param>``: the resources of ``target`` that rows point to."""

    target: str
    ids: Any  # Callable[[list[Model]], set[str]]: FHIR ids of the target resources


def instant(value: datetime.datetime | None) -> str | None:
    """A FHIR instant/dateTime in Paris time with its offset, to the second."""
    if value is None:
        return None
    # The default zone, read once (no zone is ever activated per request): an instant
    # carries its offset, and this runs for every date of every resource exported.
    return value.astimezone(timezone.get_default_timezone()).replace(microsecond=0).isoformat()


def fhir_date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@functools.cache
def _labels(choices: Any, language: str) -> dict[Any, str]:
    return {value: str(text) for value, text in choices.choices}


def label(choices: Any, value: Any) -> str:
    """The label of ``value`` among ``choices`` (a ``TextChoices`` class) in the active
    language, or the value itself when unknown. Cached per language: Django's
    ``get_FOO_display`` evaluates the field's lazy labels at each call, which a bulk
    export of a million rows cannot afford."""
    return _labels(choices, get_language() or "").get(value, str(value))


def coding(system: str, code: str, display: Any = "") -> dict[str, Any]:
    """A Coding; ``display`` (a lazy translation allowed) left out when empty."""
    result = {"system": system, "code": code}
    if display:
        result["display"] = str(display)
    return result


def concept(system: str, code: str, display: Any = "") -> dict[str, Any]:
    """A CodeableConcept of one coding."""
    return {"coding": [coding(system, code, display)]}


def member_reference(member: Any) -> dict[str, Any] | None:
    """The reference to a member of the team (a PractitionerRole), or None."""
    if member is None:
        return None
    return reference("PractitionerRole", member.pk, member.display_name)


def reference(kind: str, pk: Any, display: str = "") -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"{kind}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def clean(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty values (FHIR forbids empty strings, lists and objects)."""
    result: dict[str, Any] = _tidy(resource)
    return result


_EMPTIABLE = (str, dict, list)


def _kept(value: Any) -> bool:
    return value is not None and (bool(value) or not isinstance(value, _EMPTIABLE))


def _tidy(value: Any) -> Any:
    # Runs on every element of every resource written (a bulk export renders millions):
    # one pass, the checks inlined.
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if isinstance(item, (dict, list)):
                item = _tidy(item)
                if item:
                    out[key] = item
            elif item != "":
                out[key] = item
        return out
    items = []
    for item in value:
        if isinstance(item, (dict, list)):
            item = _tidy(item)
        if _kept(item):
            items.append(item)
    return items


class ResourceType(abc.ABC):
    """One FHIR resource type. Subclasses fill in the class attributes and methods."""

    name: ClassVar[str]
    model: ClassVar[type[Model]]
    # What the type holds, for the CapabilityStatement and the documentation.
    documentation: ClassVar[Any] = ""  # a lazy translation
    profile: ClassVar[str] = ""
    # The model field that says when a row last changed (``_lastUpdated``), if any.
    last_updated: ClassVar[str] = ""
    # The path from a row to its person (``person``), for the audit; "" when the
    # resource is not part of a person's record.
    person_path: ClassVar[str] = "person"
    writable: ClassVar[frozenset[str]] = frozenset()  # "create", "update"
    # The lookup from a row to its person's id, for ``Patient/{id}/$everything`` (the
    # patient compartment); by default the end of ``person_path``.
    compartment: ClassVar[str] = ""
    # False for a part of a composite type (``Composite``): served through it only.
    registered: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "name", "") and cls.registered:
            REGISTRY[cls.name] = cls()

    def parts(self) -> tuple[ResourceType, ...]:
        """Where the resources come from: the type itself, or a composite's parts."""
        return (self,)

    # -- reading ---------------------------------------------------------------------

    @abc.abstractmethod
    def readable(self, caller: Caller) -> QuerySet[Any]:
        """Every row the caller may read (the access policy, as a queryset)."""

    def prepare(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """The joins rendering needs (select_related / prefetch_related)."""
        return rows

    def stored(self) -> QuerySet[Any]:
        """Every row of the type, whoever may read it, with only conditions on its own
        table: what a bulk export walks through in primary-key order (``readable`` then
        keeps what the caller reads of each stretch)."""
        return self.model._default_manager.all()

    @abc.abstractmethod
    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        """The row as a FHIR resource (empty values are stripped afterwards)."""

    def section_of(self, row: Any) -> str:
        """The record section a row belongs to, for the access log."""
        return ""

    def person_id_of(self, row: Any) -> int | None:
        if not self.person_path:
            return None
        *path, last = self.person_path.split("__")
        value: Any = row
        for part in path:
            value = getattr(value, part)
            if value is None:
                return None
        person_id = getattr(value, f"{last}_id")
        return int(person_id) if person_id is not None else None

    def compartment_lookup(self) -> str:
        """How to find the rows of one person (``""``: the type holds nobody's data)."""
        if self.compartment:
            return self.compartment
        if self.person_path == "self":
            return "pk"
        return f"{self.person_path}_id" if self.person_path else ""

    def pk_of(self, fhir_id: str) -> Q:
        """The condition that finds a row by its FHIR id (plain integers by default)."""
        ids = id_values([fhir_id])
        return Q(pk__in=ids)

    def fhir_id(self, row: Any) -> str:
        return str(row.pk)

    def version(self, row: Any) -> str | None:
        return None

    def changed_at(self, row: Any) -> datetime.datetime | None:
        """When the row last changed: a kept narrative older than this is dropped."""
        return getattr(row, self.last_updated, None) if self.last_updated else None

    # -- searching -------------------------------------------------------------------

    def own_params(self, caller: Caller | None) -> dict[str, Param]:
        """The type's search parameters; ``caller`` is None when only their names and
        types are wanted (the CapabilityStatement)."""
        return {}

    def params(self, caller: Caller | None = None) -> dict[str, Param]:
        params: dict[str, Param] = {
            "_id": Param(
                "_id",
                "token",
                lambda values, _m: self._by_ids([t.code or "" for t in values]),
                _("The resource's id."),
            )
        }
        if self.last_updated:
            params["_lastUpdated"] = date_param(
                "_lastUpdated", self.last_updated, documentation=_("When it last changed.")
            )
        params.update(self.own_params(caller))
        return params

    def _by_ids(self, values: list[str]) -> Q:
        condition = Q(pk__in=[])
        for value in values:
            condition |= self.pk_of(value)
        return condition

    def includes(self) -> dict[str, Include]:
        return {}

    def order(self) -> tuple[str, ...]:
        return ("pk",)

    # -- writing ---------------------------------------------------------------------

    def create(self, caller: Caller, resource: dict[str, Any]) -> Written:
        raise fail(405, "not-supported", _("This resource type cannot be created here."))

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Written:
        raise fail(405, "not-supported", _("This resource type cannot be updated here."))


class Composite(ResourceType):
    """A resource type whose resources come from several models — Organization is the
    structure and the organisations of its directory. Each part is a ``ResourceType``
    with ``registered = False`` and ids that cannot be mistaken for another part's
    (``org-12``). A search runs on every part, in order, and pages across them; a part
    without one of the search's parameters matches nothing."""

    part_types: ClassVar[tuple[type[ResourceType], ...]]
    person_path = ""

    def __init__(self) -> None:
        self._parts = tuple(part() for part in self.part_types)

    def parts(self) -> tuple[ResourceType, ...]:
        return self._parts

    def readable(self, caller: Caller) -> QuerySet[Any]:
        raise TypeError(f"{self.name} reads through its parts")

    def render(self, row: Any, ctx: Context) -> dict[str, Any]:
        raise TypeError(f"{self.name} renders through its parts")

    def params(self, caller: Caller | None = None) -> dict[str, Param]:
        params: dict[str, Param] = {}
        for part in self._parts:
            for name, param in part.params(caller).items():
                params.setdefault(name, param)
        return params

    def includes(self) -> dict[str, Include]:
        includes: dict[str, Include] = {}
        for part in self._parts:
            for name, include in part.includes().items():
                includes.setdefault(name, include)
        return includes


def get_type(name: str) -> ResourceType:
    resource_type = REGISTRY.get(name)
    if resource_type is None:
        raise fail(
            404,
            "not-supported",
            _("Unknown or unsupported resource type “%(type)s”.") % {"type": name[:60]},
        )
    return resource_type


def audit_rows(resource_type: ResourceType, rows: Iterable[Any]) -> set[tuple[int, str]]:
    """The (person id, section) pairs a list of rows shows."""
    pairs = set()
    for row in rows:
        person_id = resource_type.person_id_of(row)
        if person_id is not None:
            pairs.add((person_id, resource_type.section_of(row)))
    return pairs
