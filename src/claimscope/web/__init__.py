"""The web explorer: static pages that call the JSON API (no logic of their own)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["STATIC_DIR"]
