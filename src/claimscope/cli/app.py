"""The Typer application, shared options and the one place errors become messages.

Users see a one-line error and exit status 2, never a traceback, unless they pass --debug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from claimscope.analysis.query import QueryError
from claimscope.ingest.base import IngestError
from claimscope.store.layout import (
    DEFAULT_STORE_DIR,
    STORE_ENV,
    StoreError,
    default_store_root,
)
from claimscope.store.secret import SecretError

app = typer.Typer(
    name="claimscope",
    help="Procedure-utilization insight from healthcare claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

USER_ERRORS: tuple[type[BaseException], ...] = (
    QueryError,
    StoreError,
    SecretError,
    IngestError,
    ValueError,
    KeyError,
    FileNotFoundError,
    PermissionError,
)


class State:
    debug: bool = False


@app.callback()
def _global(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """claimscope: which procedure codes dominate a family of care, and for whom."""
    State.debug = debug


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store directory (env {STORE_ENV}, default ./{DEFAULT_STORE_DIR}).",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read this store version (number) or the version current at this date/time.",
    ),
]
EngineOption = Annotated[
    str, typer.Option("--engine", help="Query engine: duckdb (embedded) or pyspark.")
]


def store_root(store: Path | None) -> Path:
    """The store directory from the option, else $CLAIMSCOPE_STORE, else the default."""
    return store or default_store_root()


T = TypeVar("T")


def run_safely(action: Callable[[], T]) -> T:
    """Run ``action``; turn user-facing errors into a clear message and exit status 2."""
    try:
        return action()
    except typer.Exit:
        raise
    except USER_ERRORS as exc:
        if State.debug:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        err_console.print(f"[bold red]error:[/] {message}", highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:
        # Not the user's doing (a damaged file in the store, an engine failure): still one
        # line, with the way to see more.
        if State.debug:
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(run `claimscope --debug ...` for the traceback)",
            highlight=False,
        )
        raise typer.Exit(1) from None


def fail(message: str) -> Any:
    """Stop with a user-facing error message."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def main() -> None:
    """Console-script entry point."""
    from claimscope.cli import commands, loading  # noqa: F401  (registers the commands)

    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
