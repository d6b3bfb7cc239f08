"""Every command and every setting is documented in the README (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bot.cli.commands import main
from bot.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    paths = []
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            paths.extend(f"{name} {sub}" for sub in command.list_commands(ctx))
        else:
            paths.append(name)
    return paths


def test_commands_are_found() -> None:
    assert "policy list" in command_paths()


@pytest.mark.parametrize("path", command_paths())
def test_command_is_documented(path: str) -> None:
    assert f"cbec-bot {path}" in README


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_setting_is_in_the_readme_table(field: str) -> None:
    assert re.search(rf"^\| `CBEC_{field.upper()}` \|", README, re.MULTILINE)


def test_readme_lists_no_unknown_setting() -> None:
    documented = set(re.findall(r"^\| `CBEC_([A-Z_]+)` \|", README, re.MULTILINE))
    assert documented == {field.upper() for field in Settings.model_fields}


def test_readme_opens_with_the_run_and_test_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.DOTALL)
    assert blocks[0].startswith("python3.11 -m venv .venv") and "cbec-bot serve" in blocks[0]
    assert blocks[1] == "bash scripts/test"
    assert "exec bash scripts/test" in (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
