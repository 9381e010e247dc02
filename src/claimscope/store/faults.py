"""Named points where fault tests stop a writer dead (SIGKILL), to prove no state between
two commits is ever visible or harmful.

Tests set ``CLAIMSCOPE_KILL_AT=<point>`` in a child process's environment; when the child
reaches that point it kills itself with SIGKILL (no clean-up, no ``finally``), exactly as a
crash or ``kill -9`` would. Unset (always, outside tests), a point costs one dict look-up.
"""

from __future__ import annotations

import os
import signal
from typing import Final

KILL_ENV: Final = "CLAIMSCOPE_KILL_AT"


def fault_point(name: str) -> None:
    """Die here if the test environment asks for it."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
