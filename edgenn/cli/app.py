"""The ``edgenn`` command: a thin typer layer over ``edgenn.api``.

Each command builds its arguments, calls exactly one API function, renders the typed result, and maps
``EdgennError`` subclasses to exit codes (0 ok, 1 budget broken, 2 invalid input, 3 external tool missing) with a
one-line message and no traceback.
"""

from __future__ import annotations

import functools
import os
import signal
from dataclasses import dataclass

import typer
from rich.console import Console

from edgenn.errors import EdgennError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="edgenn: physics data -> compact model -> bit-exact FPGA firmware, with budgets for CI.")
data_app = typer.Typer(no_args_is_help=True, help="Make or inspect datasets.")
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True)


@dataclass(frozen=True)
class CliSettings:
    progress: bool = True


def settings(ctx: typer.Context) -> CliSettings:
    return ctx.obj if isinstance(ctx.obj, CliSettings) else CliSettings()


@app.callback()
def _root(ctx: typer.Context,
          no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars (for logs).")) -> None:
    ctx.obj = CliSettings(progress=not no_progress)


def handles_errors(fn):
    """Turn user-caused failures into one clear message and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except EdgennError as exc:
            for line in str(exc).splitlines():
                err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[bold red]interrupted:[/] no partial output was left behind; re-run the same command "
                              "to finish the job.")
            raise typer.Exit(130) from None

    return wrapper


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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    from edgenn.cli import commands  # noqa: F401  registers the commands on ``app``

    app(prog_name="edgenn")
