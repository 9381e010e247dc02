"""The Typer application, shared options and the one place errors become messages.

Users see a one-line error and exit status 2, never a traceback, unless they pass --debug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from claimscope import __version__
from claimscope.analysis.query import QueryError
from claimscope.cli.errors import (
    ClickException,
    Context,
    cli_message,
    err_console,
    print_error,
    print_usage_error,
)
from claimscope.extras import missing_extra
from claimscope.ingest.base import IngestError
from claimscope.store.layout import (
    DEFAULT_STORE_DIR,
    STORE_ENV,
    StoreError,
    default_store_root,
)
from claimscope.store.secret import SecretError


class _Group(TyperGroup):
    """Typer's group, with option errors as one ``error:`` line instead of a Rich box, and
    help that names values (``AS_OF``) where an option gives no metavar, never ``<str>``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        _name_values(self)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as exc:
            if not standalone_mode:
                raise
            print_usage_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            err_console.print("aborted")
            sys.exit(1)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


def _no_type(ctx: Any = None) -> None:
    return None


def _name_values(group: TyperGroup) -> None:
    """Give every option without a metavar one from its name; flags take no value to name."""
    commands = [group, *group.commands.values()]
    for command in commands:
        help_option = command.get_help_option(Context(command))  # built once, then cached
        for param in [*command.params, *([help_option] if help_option else [])]:
            if param.param_type_name == "option" and param.metavar is None:
                param.metavar = "" if getattr(param, "is_flag", False) else param.name.upper()
            elif param.param_type_name == "argument":
                # Its name column already says CODE or PATH...; Typer would add "<str>".
                setattr(param, "display_type_rich", _no_type)  # noqa: B010


app = typer.Typer(
    name="claimscope",
    help="Procedure-utilization insight from healthcare claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Group,
)
console = Console(soft_wrap=True)  # messages never broken inside a path; tables still fit

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


def _print_version(value: bool) -> None:
    if value:
        console.out(f"claimscope {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _global(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """claimscope: which procedure codes dominate a family of care, and for whom."""
    State.debug = debug


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store directory (env {STORE_ENV}, default ./{DEFAULT_STORE_DIR}).",
        show_default=False,
        metavar="DIR",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read this store version (number) or the version current at this date/time.",
        metavar="VERSION|TIME",
    ),
]
EngineOption = Annotated[
    str,
    typer.Option("--engine", help="Query engine: duckdb (embedded) or pyspark.", metavar="ENGINE"),
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
        print_error(cli_message(exc))
        raise typer.Exit(2) from None
    except ImportError as exc:
        hint = missing_extra(exc)
        if State.debug or hint is None:
            raise
        print_error(hint)
        raise typer.Exit(2) from None
    except Exception as exc:
        # Not the user's doing (a damaged file in the store, an engine failure): still one
        # line, with the way to see more.
        if State.debug:
            raise
        print_error(
            f"{type(exc).__name__}: {exc} (run `claimscope --debug ...` for the traceback)",
            label="internal error",
        )
        raise typer.Exit(1) from None


def fail(message: str) -> Any:
    """Stop with a user-facing error message."""
    print_error(message)
    raise typer.Exit(2)


def main() -> None:
    """Console-script entry point."""
    from claimscope.cli import commands, loading, vocab  # noqa: F401  (registers the commands)

    try:
        app()
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
