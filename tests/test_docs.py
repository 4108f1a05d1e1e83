"""Every command and option of the command line is documented in docs/cli.md (as datasette does)."""

from pathlib import Path

import pytest
import typer

from orebook.cli import app

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_cli_has_the_commands_the_issue_names():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"drillholes validate", "drillholes desurvey", "drillholes composite", "demo"} <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_and_options_are_documented(path, cmd):
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"orebook {' '.join(path)}" in text
    for param in cmd.params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in text, f"{opt} of `orebook {' '.join(path)}` is not in cli.md"


def test_every_validation_code_is_documented():
    import re

    src = Path(__file__).resolve().parents[1] / "src" / "orebook"
    code_text = "".join(p.read_text(encoding="utf-8") for p in
                        [*(src / "drillholes").glob("*.py"), src / "io" / "tables.py"])
    codes = set(re.findall(r'"(?:error|warning)",\s*"([a-z_]+)"', code_text))
    codes |= set(re.findall(r'"(duplicate_[a-z]+)"', code_text))
    codes -= {"error", "warning"}
    assert len(codes) > 20
    doc = (DOCS / "drillholes.md").read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"codes not documented in docs/drillholes.md: {missing}"
