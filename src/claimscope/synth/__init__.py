"""Seeded synthetic all-payor therapy claims, calibrated to published utilization figures.

:func:`generate_claims` yields Arrow tables in the generic claim-line layout;
:func:`write_synthetic` writes them as Parquet or CSV part files. See docs/synthetic-data.md.
"""

from claimscope.synth.generator import generate_claims
from claimscope.synth.writer import SynthReport, published_shares, write_synthetic

__all__ = ["SynthReport", "generate_claims", "published_shares", "write_synthetic"]
