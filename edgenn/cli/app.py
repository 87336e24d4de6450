"""The ``edgenn`` command: a thin typer layer over ``edgenn.api``, built here in one place.

Each command builds its arguments, calls exactly one API function, renders the typed result, and maps
``EdgennError`` subclasses to exit codes (0 ok, 1 budget broken, 2 invalid input, 3 external tool missing) with a
one-line message and no traceback. Under ``--json`` the same outcome is one JSON document on stdout (``jsonout``).

Every verb is one module under ``verbs/`` defining its command function and a ``Verb`` record; importing it
registers nothing. ``build_app`` adds them in pipeline order, then the tools around the pipeline, which is the
order ``edgenn --help`` lists them in. ``main`` is the console-script entry point.
"""

from __future__ import annotations

import os
import signal

import typer

from edgenn.cli.common import CliSettings, ordered_group, progress_wanted
from edgenn.cli.verbs import (
    check,
    compare,
    compress,
    data,
    doctor,
    export,
    report,
    report_vendor,
    scan,
    synth,
    train,
)


def _print_version(value: bool) -> None:
    if value:
        from edgenn._version import __version__

        typer.echo(f"edgenn {__version__}")
        raise typer.Exit(0)


def _root(ctx: typer.Context,
          no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars (also off when CI=true "
                                                                       "or stderr is not a terminal)."),
          verbose: bool = typer.Option(False, "-v", "--verbose", help="Show TensorFlow/Keras logging and library "
                                                                       "warnings (hidden by default)."),
          version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print edgenn's version and exit.")) -> None:
    from edgenn.cli import quiet

    quiet.configure(verbose)  # before any command imports TensorFlow
    ctx.obj = CliSettings(progress=progress_wanted(no_progress), verbose=verbose)


def build_app() -> typer.Typer:
    """The whole ``edgenn`` app: root options, the ``data`` group, then every verb in pipeline order."""
    pipeline = (train.VERB, compress.VERB, export.VERB, check.VERB)
    tools = (report.VERB, synth.VERB, report_vendor.VERB, scan.VERB, compare.VERB, doctor.VERB)
    root = typer.Typer(cls=ordered_group(("data", *(v.name for v in pipeline + tools))), add_completion=False,
                       no_args_is_help=True, pretty_exceptions_show_locals=False,
                       help="edgenn: physics data -> compact model -> bit-exact FPGA firmware, with budgets for CI.",
                       epilog="Example: edgenn data generate jets --out data/jets --fast && edgenn train "
                              "models/jet_mlp.yml\n\nExample (CI): edgenn check firmware/jet_mlp/fpga --budget "
                              "firmware/budgets/jet_mlp.yml --json > check.json")
    root.callback()(_root)
    root.add_typer(data.build_group(), name="data", rich_help_panel="Pipeline")
    for verb in pipeline:
        verb.add_to(root)
    for verb in tools:
        verb.add_to(root)
    return root


app = build_app()  # importable as edgenn.cli.app.app (tests, typer.testing.CliRunner)


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
