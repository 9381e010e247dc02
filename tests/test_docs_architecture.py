"""docs/architecture.md names every package and every module of the core layers."""

from __future__ import annotations

import pytest

from tests.conftest import PROJECT_ROOT

PAGE = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
PACKAGE = PROJECT_ROOT / "src" / "claimscope"
CORE_LAYERS = ("ingest", "store", "analysis", "privacy")


def modules() -> list[str]:
    names = [f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    names += [p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("_")]
    for layer in CORE_LAYERS:
        names += [p.name for p in (PACKAGE / layer).glob("*.py") if not p.name.startswith("_")]
    return sorted(set(names))


@pytest.mark.parametrize("name", modules())
def test_module_is_on_the_architecture_page(name: str) -> None:
    assert name.removesuffix("/") in PAGE, f"{name} is missing from docs/architecture.md"
