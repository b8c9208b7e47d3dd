"""The access matrix in docs/access-matrix.md is the policy: the code must match it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maillage.core.access import ROLE_DEFAULTS, section_right
from maillage.core.roles import Role, Section

DOC = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"
CELL = {"RW": "rw", "R": "r", "—": ""}


def documented_matrix() -> dict[str, dict[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("| role | clinical |", 1)[1].split("\n\n", 1)[0]
    header = ["clinical", "mental_health", "social", "administrative", "coordination"]
    matrix = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        matrix[cells[0]] = dict(zip(header, (CELL[c] for c in cells[1:]), strict=True))
    return matrix


def test_it_documents_every_role():
    assert set(documented_matrix()) == {role.value for role in Role}
    assert set(ROLE_DEFAULTS) == {role.value for role in Role}


@pytest.mark.parametrize(("role", "section"), [(r.value, s.value) for r in Role for s in Section])
def test_it_matches_the_documented_right(role, section):
    assert section_right(role, section) == documented_matrix()[role][section]


def test_it_parses_rights_from_the_table():
    assert re.search(r"\| gp \| RW \| RW \| R \| R \| RW \|", DOC.read_text(encoding="utf-8"))
