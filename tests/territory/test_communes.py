"""Loading the communes of the official geographic code."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.territory.management.commands.communes import DEFAULT_FILE
from maillage.territory.models import Commune

ROWS = [
    {"code": "93066", "nom": "Saint-Denis", "departement": "93", "region": "11",
     "type": "commune-actuelle", "codesPostaux": ["93200", "93210"], "population": 149077},
    {"code": "93001", "nom": "Aubervilliers", "departement": "93", "region": "11",
     "type": "commune-actuelle", "codesPostaux": ["93300"], "population": 88948},
    {"code": "93059", "nom": "Pierrefitte-sur-Seine", "departement": "93",
     "type": "commune-deleguee"},
]  # fmt: skip


def test_it_loads_current_communes_and_refreshes_them(tmp_path, db):
    path = tmp_path / "communes.json"
    path.write_text(json.dumps(ROWS), encoding="utf-8")
    call_command("communes", "load", str(path))
    assert set(Commune.objects.values_list("code", flat=True)) == {"93066", "93001"}
    saint_denis = Commune.objects.get(code="93066")
    assert saint_denis.search_name == "saint denis" and saint_denis.postcodes == ["93200", "93210"]
    saint_denis.latitude, saint_denis.longitude = 48.93, 2.35
    saint_denis.save()
    ROWS[0]["population"] = 150000
    path.write_text(json.dumps(ROWS), encoding="utf-8")
    call_command("communes", "load", str(path))
    saint_denis.refresh_from_db()
    assert saint_denis.population == 150000 and saint_denis.latitude == 48.93


def test_a_missing_file_says_how_to_get_it(tmp_path, db):
    with pytest.raises(CommandError, match="setup"):
        call_command("communes", "load", str(tmp_path / "none.json"))


@pytest.mark.skipif(not DEFAULT_FILE.is_file(), reason="run ./dev setup to install the npm data")
def test_the_official_file_loads(db):
    call_command("communes", "load")
    assert Commune.objects.count() > 34000
    assert Commune.objects.get(code="75056").name == "Paris"


def test_centres_from_a_csv(tmp_path, db, capsys):
    from django.utils import translation

    path = tmp_path / "communes.json"
    path.write_text(json.dumps(ROWS), encoding="utf-8")
    call_command("communes", "load", str(path))
    centres = tmp_path / "centres.csv"
    centres.write_text(
        "code_insee;latitude;longitude\n93066;48,9362;2,3574\n93001;north;2.38\n99999;48.9;2.3\n",
        encoding="utf-8",
    )
    with translation.override("en"), pytest.raises(CommandError, match="--skip-bad"):
        call_command("communes", "centres", str(centres))
    err = capsys.readouterr().err
    assert "line 3" in err and "99999" in err
    assert Commune.objects.get(code="93066").latitude is None
    with translation.override("en"):
        call_command("communes", "centres", str(centres), "--skip-bad")
    assert Commune.objects.get(code="93066").latitude == 48.9362
