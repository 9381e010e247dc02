"""Record keys for stores written before they existed: ``claimscope upgrade`` derives them
exactly as ingest does, so a store brought up to date answers ``--perturb`` queries exactly
as the same files ingested fresh."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.pseudonymise import Pseudonymiser
from claimscope.schema import CLAIM_LINE
from claimscope.store.batches import remove_action
from claimscope.store.compact import compact_store
from claimscope.store.faults import KILL_ENV
from claimscope.store.history import summary
from claimscope.store.keys import KeyDeriver
from claimscope.store.layout import Store
from claimscope.store.ledger import Ledger
from claimscope.store.maintenance import check_store
from claimscope.store.table import commit, commits, read_lines, snapshot
from claimscope.store.writer import add_action
from tests.store_helpers import claims_csv, cli, invoke, unstamped

JANUARY = {"97110": 30, "97140": 20, "97530": 15, "97112": 12}
FEBRUARY = {"97110": 25, "97140": 22, "97530": 9, "97035": 14}
LATE = {"97110": 11, "97140": 13}  # January again, ingested after keys existed


def _inputs(tmp: Path) -> list[Path]:
    (tmp / "in").mkdir(exist_ok=True)
    return [
        claims_csv(tmp / "in" / "jan.csv", JANUARY),
        claims_csv(tmp / "in" / "feb.csv", FEBRUARY, month="2023-02", tag="f"),
        claims_csv(tmp / "in" / "late.csv", LATE, tag="x"),
    ]


def _answers(root: Path, *extra: str) -> dict[str, Any]:
    """``top`` and ``trend`` with ``--perturb`` as JSON, without the version they read."""
    out = {}
    for command in ("top", "trend"):
        result = invoke(command, "--store", str(root), "--format", "json", "--perturb", *extra)
        assert result.returncode == 0, result.stdout
        out[command] = _unversioned(json.loads(result.stdout))
    return out


def _unversioned(result: dict[str, Any]) -> dict[str, Any]:
    """A result without the store version it names (its data block and its description)."""
    out = unstamped(result)
    facts = dict(out["description"]["facts"])
    assert facts.pop("Store").startswith("version ")
    return {**out, "description": {**out["description"], "facts": facts}}


def _keys(root: Path) -> list[tuple[str, int, int]]:
    lines = read_lines(Store(root)).to_pydict()
    return sorted(zip(lines["source_file"], lines["source_row"], lines["record_key"], strict=True))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The three files ingested into a new store, January's two files compacted."""
    tmp = tmp_path_factory.mktemp("keys")
    inputs = _inputs(tmp)
    store = Store.open(tmp / "fresh")
    ingest_paths(inputs, store)
    assert compact_store(store).files_before == 2  # January's two files
    answers = _answers(store.root)
    assert answers["top"]["perturbation"]["applied"] is True
    return {"tmp": tmp, "inputs": inputs, "root": store.root, "answers": answers}


def _old_layout_copy(fresh: dict[str, Any], root: Path) -> int:
    """The fresh store's lines as the pre-Delta code kept them: per source and month, one
    file per batch without a record_key column, a ledger.jsonl, the same secret."""
    source = Store(fresh["root"])
    lines = read_lines(source)
    old_schema = pa.schema([f for f in CLAIM_LINE if f.name != "record_key"])
    for batch in sorted(set(lines["batch_id"].to_pylist())):
        rows = lines.filter(pa.compute.equal(lines["batch_id"], batch)).select(old_schema.names)
        for month in sorted(set(rows["service_month"].to_pylist())):
            part = rows.filter(pa.compute.equal(rows["service_month"], month))
            label = part["source"][0].as_py()
            folder = root / "lines" / label / month.strftime("%Y-%m")
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(part.cast(old_schema), folder / f"part-{batch}-0.parquet")
    entries = [e.to_dict() for e in Ledger(source).entries()]
    (root / "ledger.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    shutil.copy2(source.secret_path, root / "secret.key")
    return lines.num_rows


def test_an_upgraded_old_layout_store_answers_as_if_ingested_fresh(
    fresh: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "old"
    rows = _old_layout_copy(fresh, root)
    assert rows == sum(JANUARY.values()) + sum(FEBRUARY.values()) + sum(LATE.values()) == 171
    out = invoke("upgrade", "--store", str(root), "--format", "json")
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout) == {
        "batches": 3, "rows_before": rows, "rows_after": rows, "version": 1, "keys": rows,
    }  # fmt: skip
    assert _keys(root) == _keys(fresh["root"])  # every line's key, exactly as ingest gave it
    assert _answers(root) == fresh["answers"]
    assert check_store(root).ok and snapshot(Store(root)).rows == rows


def _keyless_delta_store(fresh: dict[str, Any], root: Path, monkeypatch: Any) -> None:
    """The same history written by a claimscope from before record keys: January and February
    ingested without keys (January's file lacking the column, February's all null), then the
    late file with keys, compacted with January's into one file of keyed and keyless lines."""
    no_keys = lambda self, name, rows: pa.nulls(len(rows), pa.int64())  # noqa: E731
    store = Store.open(root)
    shutil.copy2(Store(fresh["root"]).secret_path, store.secret_path)
    inputs = fresh["inputs"]
    with monkeypatch.context() as patched:
        patched.setattr(Pseudonymiser, "record_keys", no_keys)
        ingest_paths(inputs[:1], store)
        _drop_key_column(store)  # as written before the column existed
        ingest_paths(inputs[1:2], store)
    ingest_paths(inputs[2:], store)
    assert compact_store(store).files_before == 2  # one January file: lines with and without


def _drop_key_column(store: Store) -> None:
    """Every data file written again without the record_key column, in one commit."""
    actions: list[Any] = []
    for data_file in snapshot(store).files:
        target = data_file.path.with_name(data_file.path.stem[:-1] + "9.parquet")
        pq.write_table(pq.read_table(data_file.path).drop(["record_key"]), target)
        actions += [remove_action(data_file), add_action(store, target)]
    commit(store, actions, {"operation": "test: files from before record keys"})


def test_a_delta_store_with_keyless_lines_gets_them_in_one_commit(
    fresh: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "keyless"
    _keyless_delta_store(fresh, root, monkeypatch)
    before = snapshot(Store(root))
    keyless = sum(JANUARY.values()) + sum(FEBRUARY.values())
    assert read_lines(Store(root))["record_key"].null_count == keyless == before.rows - 24
    refused = invoke("top", "--store", str(root), "--format", "json", "--perturb")
    assert refused.returncode == 2  # some lines keyed, some not: no partial cell keys
    assert f"run `claimscope upgrade --store {root}`" in " ".join(refused.stdout.split())
    exact = invoke("top", "--store", str(root), "--format", "json")
    fresh_exact = invoke("top", "--store", str(fresh["root"]), "--format", "json")
    assert _unversioned(json.loads(exact.stdout)) == _unversioned(json.loads(fresh_exact.stdout))

    out = invoke("upgrade", "--store", str(root), "--format", "json")
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout) == {
        "batches": 0, "rows_before": before.rows, "rows_after": before.rows,
        "version": before.version + 1, "keys": keyless,
    }  # fmt: skip
    last = commits(Store(root))[-1]
    assert summary(last) == f"record keys derived for {keyless:,} lines (2 files rewritten)"
    assert _keys(root) == _keys(fresh["root"])
    assert _answers(root) == fresh["answers"]
    assert check_store(root).ok and snapshot(Store(root)).rows == before.rows
    assert invoke("upgrade", "--store", str(root)).returncode == 2  # nothing left to do

    # The version before the fill keeps its keyless lines: refused, saying which versions work.
    old = invoke("top", "--store", str(root), "--perturb", "--as-of", str(before.version))
    assert old.returncode == 2
    assert f"version {before.version} of store {root}" in " ".join(old.stdout.split())
    assert _answers(root, "--as-of", str(before.version + 1)) == fresh["answers"]


def test_a_rewritten_batch_file_is_still_replaced_whole(
    fresh: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The late file's rows live in a file of its own, rewritten by the fill (its lines had
    no keys here): a later --replace still takes exactly that batch's rows out."""
    root = tmp_path / "keyless"
    store = Store.open(root)
    with monkeypatch.context() as patched:
        patched.setattr(Pseudonymiser, "record_keys", lambda s, n, r: pa.nulls(len(r), pa.int64()))
        ingest_paths(fresh["inputs"], store)
    assert invoke("upgrade", "--store", str(root)).returncode == 0
    names = sorted(f.relative.rsplit("/", 1)[-1] for f in snapshot(store).files)
    assert all(n.startswith("keyed-") for n in names) and len(names) == 3
    late = claims_csv(tmp_path / "late.csv", {"97110": 12}, tag="x")  # restated, same name
    ingest_paths([late], store, replace=True)
    total = sum(JANUARY.values()) + sum(FEBRUARY.values()) + 12
    assert snapshot(store).rows == total
    assert read_lines(store)["record_key"].null_count == 0


def test_lines_without_file_or_row_get_distinct_keys() -> None:
    """Another writer's lines may lack ``source_file`` or ``source_row``: they are keyed as a
    file named after their batch, rows without a number numbered past any real row."""
    deriver = KeyDeriver(b"k" * 32)
    table = pa.table(
        {
            "source": ["s", "s", "s", "s"],
            "batch_id": ["b1", "b1", "b1", "b2"],
            "source_file": [None, None, "a.csv", None],
            "source_row": [1, None, None, None],
            "record_key": pa.array([None, None, None, 7], pa.int64()),
        }
    )
    keys = deriver.fill(table)["record_key"].to_pylist()
    assert keys[3] == 7 and deriver.derived == 3  # a key already there is never changed
    assert len(set(keys)) == 4 and all(0 <= k < 2**32 for k in keys)
    again = KeyDeriver(b"k" * 32).fill(table)["record_key"].to_pylist()
    assert again == keys  # the same store secret derives the same keys
    assert KeyDeriver(b"x" * 32).fill(table)["record_key"].to_pylist()[:3] != keys[:3]


def _killed(root: Path, point: str) -> None:
    """``claimscope upgrade`` in a real process, killed with SIGKILL at ``point``."""
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV} | {KILL_ENV: point}
    killed = cli("upgrade", "--store", str(root), env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def _finish(root: Path, fresh: dict[str, Any], rows: int) -> None:
    """Rerun the upgrade: the store ends exactly as the files ingested fresh."""
    rerun = invoke("upgrade", "--store", str(root), "--format", "json")
    assert rerun.returncode in (0, 2), rerun.stdout  # 2: the killed run had finished its work
    assert _answers(root) == fresh["answers"] and _keys(root) == _keys(fresh["root"])
    assert check_store(root).ok and snapshot(Store(root)).rows == rows


def _stray(root: Path) -> list[Path]:
    referenced = {f.path for f in snapshot(Store(root)).files}
    return [p for p in (root / "claims").rglob("*.parquet") if p not in referenced]


def _fill_killed_at(
    point: str, fresh: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "keyless"
    _keyless_delta_store(fresh, root, monkeypatch)
    before = snapshot(Store(root))
    _killed(root, point)
    now = snapshot(Store(root))
    assert now.version == before.version + (point == "keys:committed")
    assert check_store(root).ok and now.rows == before.rows
    if point == "keys:files-written":  # nothing committed: the old version, files unreferenced
        assert len([p for p in _stray(root) if p.name.startswith("keyed-")]) == 2
        assert invoke("top", "--store", str(root), "--perturb").returncode == 2
    else:
        assert _answers(root) == fresh["answers"]
    _finish(root, fresh, before.rows)


def test_a_fill_killed_before_its_commit_leaves_the_old_version(
    fresh: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_killed_at("keys:files-written", fresh, tmp_path, monkeypatch)


@pytest.mark.slow
def test_a_fill_killed_after_its_commit_is_complete(
    fresh: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_killed_at("keys:committed", fresh, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["upgrade:files-written", "upgrade:committed"])
def test_an_old_layout_upgrade_killed_at_every_named_point(
    point: str, fresh: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "old"
    rows = _old_layout_copy(fresh, root)
    _killed(root, point)
    assert Store(root).has_old_layout()  # removed only after the commit, by this run or next
    if point == "upgrade:files-written":
        assert not snapshot(Store(root)).files  # the table exists, still empty
    else:
        assert _answers(root) == fresh["answers"]
    _finish(root, fresh, rows)
    assert not Store(root).has_old_layout()
