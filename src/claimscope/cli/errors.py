"""How errors reach a person at the terminal: one ``error:`` line, never wrapped.

Core messages name parameters in backticks (`` `payer_type` ``, see
:mod:`claimscope.analysis.query`); here they become the command-line flags (``--payer-type``).
Messages are printed without soft wrapping so that a long path or value stays whole and can
be copied or matched, whatever the terminal width.
"""

from __future__ import annotations

import re
from typing import Final

from rich.console import Console

from claimscope.analysis.query import QueryError

try:  # Typer 0.2x carries its own copy of Click; older Typer uses the click package.
    from typer._click.core import Context
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.core import Context  # type: ignore[assignment]
    from click.exceptions import ClickException  # type: ignore[assignment]

__all__ = ["ClickException", "Context", "cli_message", "err_console", "flag", "print_error"]

# Core parameter names whose flag is not simply --name-with-dashes.
FLAG_NAMES: Final = {
    "place_of_service": "--pos",
    "line_status": "--status",
    "codes_limit": "--limit",
    "kind": "KIND",
}
_PARAMETER = re.compile(r"`([a-z][a-z_]*)`")

err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def flag(parameter: str) -> str:
    """``payer_type`` -> ``--payer-type``."""
    return FLAG_NAMES.get(parameter, "--" + parameter.replace("_", "-"))


def cli_message(exc: BaseException) -> str:
    """The user-facing text of ``exc`` with parameters written as command-line flags."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    message = str(message)
    if isinstance(exc, QueryError):
        if exc.parameter and "`" not in message:
            message = f"`{exc.parameter}`: {message}"
        if exc.vocabulary:
            message += f" (list them: claimscope vocab {exc.vocabulary})"
    return _PARAMETER.sub(lambda m: flag(m.group(1)), message)


def print_error(message: str, *, label: str = "error") -> None:
    """One line on stderr: ``error: message``; markup in ``message`` is not interpreted."""
    err_console.print(f"[bold red]{label}:[/] ", end="")
    err_console.print(message, markup=False)


def print_usage_error(exc: ClickException) -> None:
    """An option or argument error as one ``error:`` line plus where to find the usage."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        return  # Typer has printed the help already: no arguments is a request for it.
    print_error(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        err_console.print(ctx.get_usage(), markup=False)
        err_console.print(f"Try '{ctx.command_path} --help' for help.", markup=False)
