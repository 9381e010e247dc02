"""claimscope: procedure-utilization insight from healthcare claims.

The public Python API, for notebooks and scripts (the CLI and the JSON API use the same)::

    from claimscope import TopQuery, build_filters, run_top
    result = run_top(Path("claimscope-store"), TopQuery(build_filters("pmr", period_from="2023")))
    result.to_dict()

Names are imported on first use, so ``import claimscope`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Store": "claimscope.store.layout",
    "ingest_paths": "claimscope.ingest.pipeline",
    "IngestOptions": "claimscope.ingest.report",
    "build_filters": "claimscope.analysis.query",
    "Filters": "claimscope.analysis.query",
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
