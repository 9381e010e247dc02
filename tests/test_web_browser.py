"""The explorer page in a real headless Chromium: the JavaScript draws what the API returns.

Runs the ASGI app with uvicorn on a free loopback port and reads the DOM Chromium built after
running the page's scripts (--dump-dom). `.ci/run` installs Debian's chromium for this.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from claimscope.api import create_app
from tests.canonical import lines_for, write_store

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    records = lines_for("97110", 40, units=2) + lines_for("97140", 30, first_patient=100)
    records += lines_for("97530", 4, first_patient=200)  # suppressed
    store = write_store(tmp_path_factory.mktemp("web"), records)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="error")
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not app_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/"
    app_server.should_exit = True
    thread.join(timeout=10)


def rendered(url: str, profile: Path) -> str:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
               "--dump-dom", url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_ranking_is_drawn_with_an_explore_button_per_row(server: str, tmp_path: Path) -> None:
    dom = rendered(server, tmp_path / "profile")
    assert "Top codes of pmr" in dom
    assert "97110" in dom and "Therapeutic exercise" in dom
    assert dom.count(">Explore</button>") >= 2
    assert "suppressed" in dom


def test_an_explore_link_opens_the_drilldown(server: str, tmp_path: Path) -> None:
    dom = rendered(server + "#explore=97110", tmp_path / "profile")
    assert "Explore 97110" in dom
    assert "By payer type" in dom and "commercial" in dom
