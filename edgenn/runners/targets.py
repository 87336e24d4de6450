"""The export-target registry: each target registers itself where it is defined with ``@export_target``.

The CLI's ``--target`` choices and the API's accepted values come from here, so adding a target is one module in
``edgenn/runners`` (found by the package scan below) and no edit elsewhere. A target is called as
``run(source, out, overrides, *, progress)`` with the resolved :class:`~edgenn.runners.export.ExportSource` and
returns an ``ExportResult``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

from edgenn.errors import InvalidInputError


@dataclass(frozen=True)
class Target:
    name: str
    help: str
    run: Callable[..., Any]
    needs_compiler: bool  # checked before any work: a missing g++ should not cost a conversion first


_TARGETS: dict[str, Target] = {}
_scanned = False


def export_target(name: str, *, help: str, needs_compiler: bool = False) -> Callable:
    def register(run: Callable) -> Callable:
        if name in _TARGETS and _TARGETS[name].run is not run:
            raise ValueError(f"export target {name!r} registered twice")
        _TARGETS[name] = Target(name, help, run, needs_compiler)
        return run

    return register


def _scan() -> None:
    # Import every module of edgenn.runners once, so registrations run without a hand-kept list of modules.
    global _scanned
    if _scanned:
        return
    import edgenn.runners as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    _scanned = True


def registered_targets() -> dict[str, Target]:
    _scan()
    return dict(sorted(_TARGETS.items()))


def target_names() -> tuple[str, ...]:
    return tuple(registered_targets())


def get_target(name: str) -> Target:
    targets = registered_targets()
    if name not in targets:
        raise InvalidInputError(f"unknown export target {name!r}.",
                                fix=f"use one of the registered targets: {', '.join(targets)}.")
    return targets[name]


def targets_help() -> str:
    return "; ".join(f"{t.name}: {t.help}" for t in registered_targets().values())
