"""JSON API adapter (FastAPI) over the core analyses."""

from claimscope.api.app import create_app

__all__ = ["create_app"]
