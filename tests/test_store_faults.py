"""Nothing lost or counted twice: real writer processes killed with SIGKILL at named points and
at random moments, a full disk, and a reader querying in a loop beside ingest, replace and
compaction. Every answer must be exactly one committed version's answer."""

from __future__ import annotations

import errno
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from claimscope.ingest.pipeline import ingest_paths
from claimscope.store import batches
from claimscope.store.compact import compact_store
from claimscope.store.faults import KILL_ENV
from claimscope.store.layout import Store, StoreError
from claimscope.store.maintenance import check_store
from claimscope.store.table import snapshot
from tests.conftest import PROJECT_ROOT
from tests.store_helpers import claims_csv, cli, top_answer, unstamped

FIRST = {"97110": 30, "97140": 20, "97530": 15, "97112": 12}
RESTATED = {"97110": 31, "97140": 26, "97035": 14}
POINTS = ("ingest:files-written", "ingest:before-commit", "ingest:committed")


def _base(tmp: Path) -> tuple[Path, Path]:
    """A store whose January file is compacted together with another file (so a replace must
    rewrite a mixed file), and the January input path."""
    store = Store.open(tmp / "base")
    january = claims_csv(tmp / "jan.csv", FIRST)
    ingest_paths([january], store)
    ingest_paths([claims_csv(tmp / "extra.csv", {"97110": 11, "97140": 13}, tag="x")], store)
    compact_store(store)
    return store.root, january


def _env(point: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    if point:
        env[KILL_ENV] = point
    return env


def _stray_files(root: Path) -> list[Path]:
    referenced = {f.path for f in snapshot(Store(root)).files}
    return [p for p in (root / "claims").rglob("*.parquet") if p not in referenced]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The base store, the restated January file, and the answers before and after."""
    tmp = tmp_path_factory.mktemp("faults")
    root, _ = _base(tmp)
    (tmp / "restated").mkdir()
    restated = claims_csv(tmp / "restated" / "jan.csv", RESTATED)  # same identity: jan.csv
    before = unstamped(top_answer(root))
    done = tmp / "done"
    shutil.copytree(root, done)
    ingest_paths([restated], Store(done), replace=True)
    return {
        "root": root,
        "restated": restated,
        "before": before,
        "after": unstamped(top_answer(done)),
        "after_rows": snapshot(Store(done)).rows,
        "before_rows": snapshot(Store(root)).rows,
    }


def _replace(store: Path, restated: Path, point: str | None) -> subprocess.CompletedProcess[str]:
    return cli("ingest", str(restated), "--replace", "--store", str(store), env=_env(point))


def _killed_replace_then_rerun(scenario: dict[str, Any], tmp_path: Path, point: str) -> None:
    store = tmp_path / "store"
    shutil.copytree(scenario["root"], store)
    killed = _replace(store, scenario["restated"], point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    now = unstamped(top_answer(store))
    expected = scenario["after"] if point == "ingest:committed" else scenario["before"]
    assert now == expected
    assert check_store(store).ok
    if point != "ingest:committed":
        assert _stray_files(store)  # the killed writer's files, which no version references
    rerun = _replace(store, scenario["restated"], None)
    assert rerun.returncode == 0, rerun.stderr
    assert unstamped(top_answer(store)) == scenario["after"]
    assert snapshot(Store(store)).rows == scenario["after_rows"]  # nothing twice, nothing lost


def test_replace_killed_between_data_files_and_commit(
    scenario: dict[str, Any], tmp_path: Path
) -> None:
    _killed_replace_then_rerun(scenario, tmp_path, "ingest:before-commit")


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_replace_killed_at_every_named_point(
    scenario: dict[str, Any], tmp_path: Path, point: str
) -> None:
    _killed_replace_then_rerun(scenario, tmp_path, point)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_new_file_ingest_killed_at_every_named_point(tmp_path: Path, point: str) -> None:
    root, _ = _base(tmp_path)
    before = unstamped(top_answer(root))
    new = claims_csv(tmp_path / "feb.csv", FIRST, month="2023-02", tag="f")
    killed = cli("ingest", str(new), "--store", str(root), env=_env(point))
    assert killed.returncode == -signal.SIGKILL
    now = unstamped(top_answer(root))
    rows = snapshot(Store(root)).rows
    assert (now == before) != (point == "ingest:committed")
    rerun = cli("ingest", str(new), "--store", str(root), env=_env())
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(Store(root)).rows == (rows if point == "ingest:committed" else rows + 77)
    assert unstamped(top_answer(root))["total"] == before["total"] + 77


@pytest.mark.slow
def test_replace_and_compaction_killed_at_random_moments(
    scenario: dict[str, Any], tmp_path: Path
) -> None:
    """SIGKILL at random delays (during reading, writing, the commit or after it)."""
    rng = random.Random(8)
    store = tmp_path / "store"
    shutil.copytree(scenario["root"], store)
    allowed = [scenario["before"], scenario["after"]]
    for _ in range(6):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CLI,
                "ingest",
                str(scenario["restated"]),
                "--replace",
                "--store",
                str(store),
            ],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 4.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert unstamped(top_answer(store)) in allowed
        assert check_store(store).ok
    assert _replace(store, scenario["restated"], None).returncode == 0
    assert unstamped(top_answer(store)) == scenario["after"]
    assert snapshot(Store(store)).rows == scenario["after_rows"]
    # Compaction killed at random moments: content never changes.
    for seed in range(4):
        ingest_paths([claims_csv(tmp_path / f"more{seed}.csv", {"97110": 11}, tag=f"m{seed}")],
                     Store(store))  # fmt: skip
    settled = unstamped(top_answer(store))
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", _CLI, "compact", "--store", str(store)], env=_env()
        )
        time.sleep(rng.uniform(1.0, 3.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert unstamped(top_answer(store)) == settled
        assert check_store(store).ok
    assert cli("compact", "--store", str(store)).returncode == 0
    assert unstamped(top_answer(store)) == settled


_CLI = "import sys; from claimscope.cli import main; sys.argv[0] = 'claimscope'; main()"


def _limit_file_size() -> None:
    """In the child: a disk that is full after 20 KB (writes fail with EFBIG, no signal)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_full_disk_leaves_the_previous_version_and_the_next_ingest_works(
    tmp_path: Path,
) -> None:
    root, _ = _base(tmp_path)
    before, version = unstamped(top_answer(root)), snapshot(Store(root)).version
    big = claims_csv(tmp_path / "big.csv", {f"97{110 + i}": 1500 for i in range(12)}, tag="b")
    full = cli("ingest", str(big), "--store", str(root), env=_env(), preexec_fn=_limit_file_size)
    assert full.returncode != 0 and "File too large" in full.stdout + full.stderr
    assert snapshot(Store(root)).version == version
    assert unstamped(top_answer(root)) == before and check_store(root).ok
    assert cli("ingest", str(big), "--store", str(root), env=_env()).returncode == 0
    assert snapshot(Store(root)).rows == snapshot(Store(root), version).rows + 18_000


def test_a_commit_that_fails_leaves_nothing_and_the_next_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = _base(tmp_path)
    before, version = unstamped(top_answer(root)), snapshot(Store(root)).version
    new = claims_csv(tmp_path / "feb.csv", FIRST, month="2023-02", tag="f")
    on_disk = sorted((root / "claims").rglob("*.parquet"))

    def no_space(*_: object, **__: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batches, "commit", no_space)
    with pytest.raises(StoreError, match=r"cannot commit to the store at .*No space left"):
        ingest_paths([new], Store(root))
    assert snapshot(Store(root)).version == version and unstamped(top_answer(root)) == before
    assert sorted((root / "claims").rglob("*.parquet")) == on_disk  # its files were removed
    monkeypatch.undo()
    assert ingest_paths([new], Store(root)).loaded == 77
    assert unstamped(top_answer(root))["total"] == before["total"] + 77


_READER = """
import json, sys, time
from pathlib import Path
from tests.store_helpers import top_answer
store, out, stop = Path(sys.argv[1]), open(sys.argv[2], "w"), Path(sys.argv[3])
while not stop.exists():
    try:
        out.write(json.dumps(top_answer(store)) + "\\n")
    except Exception as exc:
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\\n")
    out.flush()
"""


@pytest.mark.slow
def test_a_reader_beside_ingest_replace_and_compaction_sees_only_committed_versions(
    scenario: dict[str, Any], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(scenario["root"], store)
    answers_file, stop = tmp_path / "answers.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(store), str(answers_file), str(stop)],
        cwd=PROJECT_ROOT,
    )
    committed: dict[int, dict[str, Any]] = {}

    def record() -> None:
        committed[snapshot(Store(store)).version] = unstamped(top_answer(store))

    record()
    time.sleep(3)
    for step in range(3):
        counts = {"97110": 11 + step, "97140": 12}
        new = claims_csv(tmp_path / f"f{step}.csv", counts, tag=f"s{step}")
        ingest_paths([new], Store(store))
        record()
        ingest_paths([scenario["restated"]], Store(store), replace=True)
        record()
        compact_store(Store(store))
        record()
        time.sleep(1)
    stop.touch()
    assert reader.wait(timeout=60) == 0
    seen = [json.loads(line) for line in answers_file.read_text().splitlines()]
    assert [s for s in seen if "error" in s] == []
    for answer in seen:
        assert unstamped(answer) == committed[answer["data"]["store_version"]]
    assert len({a["data"]["store_version"] for a in seen}) >= 3
