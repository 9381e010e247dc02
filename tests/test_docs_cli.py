"""docs/cli.md documents every command and every option the CLI has."""

from __future__ import annotations

import re

import pytest
import typer.main

from claimscope.cli import app
from tests.conftest import PROJECT_ROOT

PAGE = (PROJECT_ROOT / "docs" / "cli.md").read_text()
SHARED = PAGE.split("## Options shared by the analysis commands", 1)[1].split("\n## ", 1)[0]
COMMAND = typer.main.get_command(app)
COMMANDS = COMMAND.commands  # type: ignore[attr-defined]


def section(name: str) -> str:
    match = re.search(rf"^## `claimscope {name}\b.*?(?=^## |\Z)", PAGE, re.M | re.S)
    assert match, f"docs/cli.md has no section for {name}"
    return match.group(0)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_documented(name: str) -> None:
    text = section(name)
    for param in COMMANDS[name].params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in text or f"`{opt}" in SHARED, f"{name} {opt} undocumented"
