"""Command-line adapter: parse options, call one core function, format the result."""

from claimscope.cli import commands as _commands  # noqa: F401  (registers the commands)
from claimscope.cli import loading as _loading  # noqa: F401
from claimscope.cli import report_command as _report  # noqa: F401
from claimscope.cli import store_commands as _store_commands  # noqa: F401
from claimscope.cli import vocab as _vocab  # noqa: F401
from claimscope.cli.app import app, main

__all__ = ["app", "main"]
