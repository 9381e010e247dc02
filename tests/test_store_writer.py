"""The batch writer: one sorted data file per month partition, visible only once committed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store
from claimscope.store.writer import BatchWriter


def _lines(rows: list[tuple[date, str]]) -> pa.Table:
    """Canonical rows with the given service dates and codes (other columns minimal)."""
    n = len(rows)
    months = [d.replace(day=1) for d, _ in rows]
    data = {f.name: pa.nulls(n, f.type) for f in CLAIM_LINE}
    data.update(
        source=pa.array(["s"] * n),
        record_kind=pa.array(["line"] * n),
        service_from=pa.array([d for d, _ in rows], pa.date32()),
        service_month=pa.array(months, pa.date32()),
        hcpcs_code=pa.array([c for _, c in rows]),
        units=pa.array([1.0] * n),
        source_row=pa.array(range(1, n + 1), pa.int64()),
    )
    return pa.table(data, schema=CLAIM_LINE)


ROWS = [
    (date(2023, 2, 3), "97140"),
    (date(2023, 1, 9), "97530"),
    (date(2023, 2, 1), "97110"),
    (date(2023, 1, 2), "97110"),
    (date(2023, 1, 5), "G0283"),
    (date(2023, 2, 7), "97112"),
]


def test_finish_writes_one_sorted_file_per_month_partition(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    writer = BatchWriter(store, "s", "b1")
    writer.write(_lines(ROWS))
    actions = writer.finish()
    assert [a.path for a in actions] == [
        "service_month=2023-01-01/part-b1-0.parquet",
        "service_month=2023-02-01/part-b1-1.parquet",
    ]
    assert [a.partition_values for a in actions] == [
        {"service_month": "2023-01-01"},
        {"service_month": "2023-02-01"},
    ]
    stats = json.loads(actions[0].stats)
    assert stats["numRecords"] == 3
    assert (stats["minValues"]["hcpcs_code"], stats["maxValues"]["hcpcs_code"]) == (
        "97110",
        "G0283",
    )
    assert writer.months == {"2023-01", "2023-02"}
    january = pq.read_table(store.table_dir / actions[0].path)
    assert january.column("hcpcs_code").to_pylist() == ["97110", "97530", "G0283"]
    assert january.schema.field("hcpcs_code").type == pa.string()  # plain strings for readers
    assert "service_month" not in january.schema.names  # the partition value is in the log
    february = pq.read_table(store.table_dir / actions[1].path)
    assert february.column("hcpcs_code").to_pylist() == ["97110", "97112", "97140"]
    assert not store.has_table()  # nothing committed: no reader can see these files


def test_flushes_append_sorted_row_groups_to_the_same_month_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    writer = BatchWriter(store, "s", "b1", flush_rows=3)
    writer.write(_lines(ROWS[:3]))
    writer.write(_lines(ROWS[3:]))
    files = [store.table_dir / a.path for a in writer.finish()]
    assert len(files) == 2
    january = pq.ParquetFile(files[0])
    assert january.metadata.num_row_groups == 2
    groups = [january.read_row_group(i).column("hcpcs_code").to_pylist() for i in range(2)]
    assert groups == [["97530"], ["97110", "G0283"]]
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    assert total == len(ROWS)


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    writer = BatchWriter(store, "s", "b1", flush_rows=2)
    writer.write(_lines(ROWS))
    writer.abort()
    assert list(store.table_dir.rglob("*.parquet")) == []


def test_wrong_schema_is_refused(tmp_path: Path) -> None:
    writer = BatchWriter(Store.open(tmp_path), "s", "b1")
    with pytest.raises(ValueError, match="CLAIM_LINE"):
        writer.write(pa.table({"hcpcs_code": ["97110"]}))
    writer.abort()
