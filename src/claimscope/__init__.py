"""claimscope: procedure-utilization insight from healthcare claims.

The public Python API, for notebooks and scripts (the CLI and the JSON API use the same).
One call per analysis, results as DataFrames (see :mod:`claimscope.notebook`)::

    import claimscope
    ranking = claimscope.top("claimscope-store", codes="pmr", period="2023-01..2023-09")
    ranking.to_pandas()          # or .to_arrow(), .to_dict(); Jupyter shows it with a caption

The lower-level entry points (``run_top(Path(...), TopQuery(build_filters(...)))``) remain.

Names are imported on first use, so ``import claimscope`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "top": "claimscope.notebook",
    "trend": "claimscope.notebook",
    "explore": "claimscope.notebook",
    "compare": "claimscope.notebook",
    "Analysis": "claimscope.notebook",
    "Store": "claimscope.store.layout",
    "ingest_paths": "claimscope.ingest.pipeline",
    "IngestOptions": "claimscope.ingest.report",
    "build_filters": "claimscope.analysis.query",
    "Filters": "claimscope.analysis.query",
    "QueryError": "claimscope.analysis.query",
    "PrivacyPolicy": "claimscope.analysis.query",
    "TopQuery": "claimscope.analysis.query",
    "TrendQuery": "claimscope.analysis.trend",
    "run_top": "claimscope.analysis.run",
    "run_trend": "claimscope.analysis.run",
    "run_explore": "claimscope.analysis.run",
    "run_attribution": "claimscope.analysis.run",
    "resolve_cohorts": "claimscope.insight.run",
    "run_compare": "claimscope.insight.run",
    "explain_trend": "claimscope.insight.run",
    "parse_code_spec": "claimscope.terminology.codesets",
    "code_name": "claimscope.terminology.names",
    "generate_claims": "claimscope.synth",
    "write_synthetic": "claimscope.synth",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'claimscope' has no attribute {name!r}")
