"""Optional dependencies and the package extra that installs each.

An engine or feature whose library is missing should say what to install, in the words a
user types (``pip install 'claimscope[spark]'``), not surface the import error of a library
several layers down.
"""

from __future__ import annotations

from typing import Final

# Top-level module -> (what needs it, the extra of pyproject.toml that installs it).
OPTIONAL_MODULES: Final = {
    "pyspark": ("the pyspark engine", "spark"),
    "py4j": ("the pyspark engine", "spark"),
}


def missing_extra(exc: ImportError) -> str | None:
    """A one-line instruction when ``exc`` is an optional dependency missing; else None."""
    names = {(exc.name or "").split(".")[0], *str(exc).replace("'", " ").split()}
    for module, (feature, extra) in OPTIONAL_MODULES.items():
        if module in names or any(n.startswith(f"{module}.") for n in names):
            return (
                f"{feature} needs the optional dependency {module!r}, which is not installed: "
                f"pip install 'claimscope[{extra}]'"
            )
    return None
