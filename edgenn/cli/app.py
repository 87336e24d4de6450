"""The ``edgenn`` command: a thin typer layer over ``edgenn.api``.

Each command builds its arguments, calls exactly one API function, renders the typed result, and maps
``EdgennError`` subclasses to exit codes (0 ok, 1 budget broken, 2 invalid input, 3 external tool missing) with a
one-line message and no traceback. Under ``--json`` the same outcome is one JSON document on stdout (``jsonout``).

This module builds the app and is the entry point (``main``): the app object, its root options and what commands
share are in ``common``; the pipeline verbs register on it with decorators in ``commands``, and the tools around
the pipeline through each ``*_cmd`` module's ``register(app)``, called below.
"""

from __future__ import annotations

import os
import signal

from edgenn.cli import commands  # noqa: F401  its @app.command decorators register the pipeline verbs
from edgenn.cli import doctor_cmd, report_cmd, scan_cmd, synth_cmd
from edgenn.cli.common import app

for _tool in (report_cmd, synth_cmd, scan_cmd, doctor_cmd):  # `edgenn --help` lists them after the pipeline
    _tool.register(app)


def _terminate_as_interrupt(signum, frame) -> None:
    """SIGTERM (CI timeouts, ``kill``) runs the same cleanup as Ctrl-C instead of dying on the spot.

    Python's default SIGTERM action ends the process without unwinding, so staging directories and half-written
    files would stay. Raised as KeyboardInterrupt, it unwinds through ``atomic_dir`` and ``handles_errors``. Further
    SIGTERMs are ignored so that the cleanup itself is not cut short; when edgenn leads its process group (started
    from a shell), the signal is passed on to its children (g++, data-generation workers).
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGTERM)
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)

    app(prog_name="edgenn")
