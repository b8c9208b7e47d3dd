"""Documented or failing: every setting and command appears in the docs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "src" / "maillage" / "settings.py").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
ADMIN = (ROOT / "docs" / "admin-guide.md").read_text(encoding="utf-8")


def settings_variables() -> set[str]:
    return set(re.findall(r'env(?:bool|int|str|list)\(\s*"(MAILLAGE_[A-Z_]+)"', SETTINGS))


def test_it_finds_the_settings():
    assert "MAILLAGE_REQUIRE_MFA" in settings_variables()


def test_it_documents_every_setting_in_the_readme_table():
    for name in settings_variables():
        assert f"| `{name}` |" in README, name


def test_it_documents_every_setting_in_the_admin_guide():
    for name in settings_variables():
        assert f"`{name}`" in ADMIN, name


def test_it_documents_every_cli_command():
    cli = (ROOT / "src" / "maillage" / "cli.py").read_text(encoding="utf-8")
    commands = set(re.findall(r'sub\.add_parser\(\s*"([a-z_]+)"', cli))
    assert commands == {"demo", "serve", "generate"}
    for command in commands:
        assert f"maillage {command}" in ADMIN or f"./dev {command}" in README, command


def test_it_has_a_two_line_quick_start():
    section = README.split("Quick start", 1)[1]
    block = section.split("```", 2)[1]
    lines = [line for line in block.splitlines()[1:] if line.strip()]
    assert lines == ["./dev demo", "./dev test"]


def test_it_documents_every_management_command_of_ours():
    commands = {
        path.stem
        for path in (ROOT / "src" / "maillage").glob("*/management/commands/*.py")
        if path.stem != "__init__"
    }
    assert {"token", "icpc2"} <= commands
    for command in commands:
        assert f"maillage {command}" in ADMIN, command
