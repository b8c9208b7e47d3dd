"""Both catalogs are complete and compiled: no untranslated, fuzzy or stale entry."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "maillage" / "locale"


def entries(po: Path) -> list[dict[str, object]]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr(s) and flags per entry."""
    result: list[dict[str, object]] = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        if not lines:
            continue
        entry: dict[str, object] = {"flags": "", "msgstr": {}}
        field = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert field is not None
                if isinstance(field, int):
                    entry["msgstr"][field] += ast.literal_eval(line)  # type: ignore[index]
                else:
                    entry[field] = str(entry[field]) + ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                text = ast.literal_eval(value)
                if key.startswith("msgstr["):
                    field = int(key[7:-1])
                    entry["msgstr"][field] = text  # type: ignore[index]
                elif key == "msgstr":
                    field = 0
                    entry["msgstr"][0] = text  # type: ignore[index]
                else:
                    field = key
                    entry[key] = text
        if "msgid" in entry:
            result.append(entry)
    return result


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_translates_every_message(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    messages = [e for e in entries(po) if e["msgid"]]
    assert len(messages) > 400
    for entry in messages:
        assert "fuzzy" not in str(entry["flags"]), entry["msgid"]
        assert all(entry["msgstr"].values()), entry["msgid"]  # type: ignore[union-attr]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_ships_a_compiled_catalog_matching_the_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in entries(folder / "django.po"):
        msgid = str(entry["msgid"])
        if not msgid or entry.get("msgid_plural"):
            continue
        if entry.get("msgctxt"):
            got = compiled.pgettext(str(entry["msgctxt"]), msgid)
        else:
            got = compiled.gettext(msgid)
        assert got == entry["msgstr"][0], msgid  # type: ignore[index]


def test_it_speaks_french_by_default(client, db):
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "fr"
    assert "Se connecter" in response.content.decode()


def test_it_follows_the_language_chosen_in_the_menu(client, db):
    client.cookies["django_language"] = "en"
    assert "Sign in" in client.get("/accounts/login/").content.decode()
