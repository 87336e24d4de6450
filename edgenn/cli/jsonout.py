"""``--json``: one JSON document per command on stdout, the same envelope for every command.

Envelope (docs/cli-json/<command>.schema.json describes each command's document):
``edgenn_version``, ``command``, ``status`` (ok | failed | error | interrupted), ``exit_code``, ``paths`` (what the
command wrote), ``figures`` (name -> {value, unit, method, ...}), ``errors`` (type, message, fix), then the
command's own keys. While the command runs, stdout is pointed at stderr so that tables and any library print land
there and stdout holds the document alone.

A command line click cannot parse (unknown option, missing argument, bad value, unknown command) still gets a
document, written by ``common.PipelineOrder`` with ``usage_error_document``: the command's own when it is known, else
``command: "edgenn"`` (docs/cli-json/edgenn.schema.json). ``--help`` and ``--version`` stay plain text: they are
for people, and a script has ``edgenn doctor --json`` for versions.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path
from typing import Any, Iterator, TextIO

_NAMES = {"data_generate": "data generate", "report_vendor": "report-vendor"}


def command_name(fn) -> str:
    return _NAMES.get(fn.__name__, fn.__name__.replace("_", "-"))


@contextlib.contextmanager
def stdout_to_stderr(active: bool) -> Iterator[TextIO]:
    """Yield the real stdout; while active, everything else printed to stdout goes to stderr."""
    real = sys.stdout
    if not active:
        yield real
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield real


def _version() -> str:
    from edgenn._version import __version__

    return __version__


def _envelope(command: str, status: str, exit_code: int) -> dict[str, Any]:
    return {"edgenn_version": _version(), "command": command, "status": status, "exit_code": exit_code,
            "paths": {}, "figures": {}, "errors": []}


def document(command: str, payload: dict[str, Any], exit_code: int) -> dict[str, Any]:
    from edgenn.cli.quiet import said

    doc = _envelope(command, "ok" if exit_code == 0 else "failed", exit_code)
    doc.update(payload)
    if said():  # the library warnings turned into edgenn lines go to stderr; a script reads them here
        doc["warnings"] = said()
    return doc


def error_document(command: str, exc) -> dict[str, Any]:
    doc = _envelope(command, "error", exc.exit_code)
    problems = getattr(exc, "problems", None) or [exc.message]
    doc["errors"] = [{"type": type(exc).__name__, "message": p, "fix": exc.fix} for p in problems]
    return doc


def usage_error_document(command: str, exc) -> dict[str, Any]:
    """A command line click could not parse (unknown option, missing argument, bad value, unknown command)."""
    doc = _envelope(command, "error", exc.exit_code)
    where = command if command != "edgenn" else ""
    doc["errors"] = [{"type": type(exc).__name__, "message": exc.format_message(),
                      "fix": f"see `edgenn {where} --help`.".replace("  ", " ")}]
    return doc


def interrupted_document(command: str) -> dict[str, Any]:
    doc = _envelope(command, "interrupted", 130)
    doc["errors"] = [{"type": "KeyboardInterrupt", "message": "interrupted; no partial output was left behind.",
                      "fix": "re-run the same command to finish the job."}]
    return doc


def _plain(value):
    """JSON has no NaN/inf or paths: NaN and inf become null, paths become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _plain(value.item())
    return value


def emit(stream: TextIO, doc: dict[str, Any]) -> None:
    stream.write(json.dumps(_plain(doc), indent=2, allow_nan=False) + "\n")
    stream.flush()


def figures(report: dict) -> dict[str, dict]:
    """The figures of a report.json, each kept with its unit and method (and note, when present)."""
    out = {}
    for name, fig in (report or {}).get("figures", {}).items():
        if isinstance(fig, dict) and "value" in fig:
            out[name] = {k: fig[k] for k in ("value", "unit", "method", "note") if k in fig}
    return out
