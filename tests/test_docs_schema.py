"""The schema page documents exactly the columns the code defines."""

from claimscope.schema import CLAIM_LINE, COLUMN_NAMES, column_docs_markdown
from tests.conftest import PROJECT_ROOT


def test_schema_page_matches_the_code() -> None:
    page = (PROJECT_ROOT / "docs" / "schema.md").read_text()
    assert column_docs_markdown() in page


def test_canonical_schema_keeps_compact_keys() -> None:
    assert str(CLAIM_LINE.field("patient_key").type) == "int64"
    assert "patient_id" not in COLUMN_NAMES
    assert COLUMN_NAMES[:3] == ("source", "source_format", "record_kind")
