"""What every verb module shares: the ``Verb`` record, the root group class, the consoles, the settings on the
context, the ``--json`` option and ``handles_errors``. ``app`` imports the verb modules and builds the app from
them; they import this module, never ``app``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import typer
from rich.console import Console
from typer.core import TyperGroup

from edgenn.errors import EdgennError

# typer 0.29 vendors its own click (typer._click), so click.UsageError is not what its parser raises; the vendored
# UsageError is found as the public typer.BadParameter's base class, which also holds for a typer on plain click.
UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
ClickException = next(c for c in UsageError.__mro__ if c.__name__ == "ClickException")


class PipelineOrder(TyperGroup):
    """The root command: lists commands in ``order`` (``ordered_group`` sets it), and answers usage errors under
    ``--json`` in JSON.

    click rejects a bad option, a missing argument or an unknown command while parsing, before any edgenn code runs,
    so ``handles_errors`` never sees them. A script that asked for ``--json`` must still get its one document on
    stdout: the error is written as one (status "error", exit code 2) and then shown by click as usual on stderr.
    """

    order: tuple[str, ...] = ()

    def list_commands(self, ctx) -> list[str]:
        order = {name: i for i, name in enumerate(self.order)}
        return sorted(self.commands, key=lambda name: order.get(name, len(order)))

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        args = hoist_global_flags(args)
        ctx.meta[_ARGV_KEY] = list(args)  # meta is shared with the sub-command contexts parsed later
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            _usage_error_as_json(exc, ctx.meta[_ARGV_KEY], self.commands)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as exc:  # from a sub-command's parsing, or an unknown command
            _usage_error_as_json(exc, ctx.meta.get(_ARGV_KEY, []), self.commands)
            raise


def ordered_group(order: tuple[str, ...]) -> type[PipelineOrder]:
    """The root group class listing commands in ``order``: typer lists sub-groups (``data``) after every command
    whatever the registration order, so the order is applied here."""
    return type("PipelineOrder", (PipelineOrder,), {"order": tuple(order)})


_ARGV_KEY = "edgenn.argv"
# The root's flags, accepted after the command too: `edgenn train r.yml --no-progress` is how people type it, and
# no command has an option of the same spelling (tests/cli/test_json_usage_errors.py checks that).
GLOBAL_FLAGS = ("--no-progress", "-v", "--verbose")


def hoist_global_flags(args: list[str]) -> list[str]:
    """Move the root's flags from after the command name to before it (up to a ``--``)."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in GLOBAL_FLAGS]
    return flags + [a for a in args[:end] if a not in GLOBAL_FLAGS] + args[end:]


def _usage_error_as_json(exc: Exception, argv: list[str], commands) -> None:
    if "--json" not in argv or getattr(exc, "_edgenn_json_done", False):
        return
    from edgenn.cli import jsonout

    exc._edgenn_json_done = True  # a nested group re-raises through the root's invoke: one document only
    words = [a for a in argv if not a.startswith("-")]
    name = words[0] if words and words[0] in commands else "edgenn"  # an unknown command has no schema of its own
    if name == "data":  # `data` itself has no document: only its sub-command does
        name = "data generate" if words[1:2] == ["generate"] else "edgenn"
    jsonout.emit(sys.stdout, jsonout.usage_error_document(name, exc))


console = Console()
err_console = Console(stderr=True)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document with the result on stdout "
                                                 "(tables go to stderr); schema in docs/cli-json/.")


@dataclass(frozen=True)
class CliSettings:
    progress: bool = True
    verbose: bool = False


def settings(ctx: typer.Context) -> CliSettings:
    return ctx.obj if isinstance(ctx.obj, CliSettings) else CliSettings()


def progress_wanted(no_progress: bool) -> bool:
    """Bars only for a person watching: not under --no-progress, not in CI (CI=true), not into a file or pipe."""
    if no_progress or os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return False
    return sys.stderr.isatty()


def handles_errors(fn):
    """Turn user-caused failures into one clear message and the documented exit code.

    A command returns None or a payload dict (``paths``, ``figures``, ``exit_code`` and its own keys); when it was
    called with ``json_out=True`` the payload is wrapped by ``jsonout.document`` and printed as the only stdout.
    """
    from edgenn.cli import jsonout

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = bool(kwargs.get("json_out"))
        name = jsonout.command_name(fn)
        with jsonout.stdout_to_stderr(as_json) as real_stdout:
            try:
                payload = fn(*args, **kwargs) or {}
            except EdgennError as exc:
                for line in str(exc).splitlines():
                    err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
                if as_json:
                    jsonout.emit(real_stdout, jsonout.error_document(name, exc))
                raise typer.Exit(exc.exit_code) from None
            except KeyboardInterrupt:
                err_console.print("[bold red]interrupted:[/] no partial output was left behind; re-run the "
                                  "same command to finish the job.")
                if as_json:
                    jsonout.emit(real_stdout, jsonout.interrupted_document(name))
                raise typer.Exit(130) from None
            code = int(payload.pop("exit_code", 0))
            if as_json:
                jsonout.emit(real_stdout, jsonout.document(name, payload, code))
        if code:
            raise typer.Exit(code)

    return wrapper


@dataclass(frozen=True)
class Verb:
    """One command of ``edgenn``: its function and how ``--help`` lists it. Defining one registers nothing;
    ``app.build_app`` adds each with ``add_to``, so the app is built in one place and in one order."""

    name: str
    function: Callable[..., dict]
    epilog: str
    panel: str | None = None
    context_settings: dict | None = None

    def add_to(self, group: typer.Typer) -> None:
        """Register on ``group``, errors mapped to exit codes (and ``--json`` documents) by ``handles_errors``."""
        group.command(self.name, rich_help_panel=self.panel, epilog=self.epilog,
                      context_settings=self.context_settings)(handles_errors(self.function))
