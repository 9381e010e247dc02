"""claimscope: procedure-utilization insight from healthcare claims."""

__version__ = "0.1.0"
__all__ = ["__version__"]
