"""Helpers for the browser tests: Debian's chromium driven by Playwright, axe-core from npm.

No browser is downloaded (Playwright launches the system chromium by path) and axe-core is
fetched at test time with ``npm pack`` into ``.cache/`` (never committed). Without chromium or
npm the tests fail: nothing is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

AXE_VERSION = "4.14.1"
CACHE = PROJECT_ROOT / ".cache"
ARTIFACTS = CACHE / "browser-artifacts"  # screenshots of every view, kept after the run
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BLOCKING = ("serious", "critical")


def chromium_path() -> str:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (`make chromium` installs Debian's package)")
    return CHROMIUM


def axe_source() -> str:
    """axe.min.js of axe-core ``AXE_VERSION``, packed from the npm registry once into .cache/."""
    target = CACHE / f"axe-core-{AXE_VERSION}" / "axe.min.js"
    if not target.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to fetch axe-core for the accessibility checks")
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", scratch],
                check=True,
                capture_output=True,
                timeout=300,
            )
            (tarball,) = Path(scratch).glob("axe-core-*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.extractfile("package/axe.min.js")
                assert member is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())
    return target.read_text()


def blocking_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
