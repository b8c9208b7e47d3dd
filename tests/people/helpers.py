"""Small helpers shared by the people/core/portal integration tests."""

from __future__ import annotations

from html.parser import HTMLParser

from stdnum.fr.nir import calc_check_digits


def nir_with_key(first13: str) -> str:
    """A 15-character NIR whose key is valid."""
    return first13 + calc_check_digits(first13)


def nir_with_wrong_key(first13: str) -> str:
    good = int(calc_check_digits(first13))
    return first13 + f"{(good % 97) + 1:02d}"


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.links: list[str] = []
        self.tags: list[str] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attr = dict(attrs)
        if tag == "a" and attr.get("href"):
            self.links.append(attr["href"])
        if tag == "input" and attr.get("name"):
            kind = attr.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attr:
                    self.values.setdefault(attr["name"], []).append(attr.get("value", "on"))
            else:
                self.values.setdefault(attr["name"], []).append(attr.get("value") or "")
        if tag == "textarea" and attr.get("name"):
            self._textarea = attr["name"]
            self.values.setdefault(self._textarea, []).append("")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def parse(response) -> _Inputs:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser


def input_value(response, name: str) -> str | None:
    """The value an <input>/<textarea> named ``name`` is rendered with (first one)."""
    values = parse(response).values.get(name)
    return values[0] if values else None


def links(response) -> list[str]:
    return parse(response).links


def person_post_data(person, **changes) -> dict:
    """The identity form as it would be posted back unchanged for ``person``."""
    birth = person.birth_date
    data = {
        "birth_name": person.birth_name,
        "given_names": person.given_names,
        "used_name": person.used_name,
        "used_given_name": person.used_given_name,
        "preferred_name": person.preferred_name,
        "pronouns": person.pronouns,
        "sex": person.sex,
        "birth_date": birth.french() if birth else "",
        "birth_place_code": person.birth_place_code,
        "birth_place_label": person.birth_place_label,
        "nir": person.nir,
        "document_type": person.document_type,
        "identity_status": person.identity_status,
        "phone": person.phone,
        "email": person.email,
        "address": person.address,
        "postcode": person.postcode,
        "commune_code": person.commune_code,
        "commune_name": person.commune_name,
        "latitude": "" if person.latitude is None else str(person.latitude),
        "longitude": "" if person.longitude is None else str(person.longitude),
        "languages": list(person.languages),
        "interpreting_language": person.interpreting_language,
        "reception_notes": person.reception_notes,
    }
    for flag in (
        "declared_identity",
        "doubtful_identity",
        "fictitious_identity",
        "legal_representative_document_checked",
        "interpreter_needed",
    ):
        if getattr(person, flag):
            data[flag] = "on"
    if person.ins_retrieved_at:
        data["ins_retrieved"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
