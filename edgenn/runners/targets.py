"""The export-target registry: each target registers itself where it is defined with ``@export_target``.

The CLI's ``--target`` choices and the API's accepted values come from here, so adding a target is one module in
``edgenn/runners`` (found by the package scan below) and no edit elsewhere. A target declares its settings as a
frozen pydantic model (``settings=``; the fpga targets take the recipe's ``export.fpga`` schema, ``FpgaSpec``); the
export runner validates the recipe's section, ``--hls-config`` and the flags into one such object, once
(``runners.export_settings.resolve_settings``), and calls ``run(source, out, settings, *, progress)`` with the
resolved :class:`~edgenn.runners.export.ExportSource`. It returns an ``ExportResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict

from edgenn.errors import InvalidInputError
from edgenn.plugins import Registry


class NoSettings(BaseModel):
    """The settings of a target that has none (onnx): any key given to it is refused by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Target:
    name: str
    help: str
    run: Callable[..., Any]
    needs_compiler: bool  # checked before any work: a missing g++ should not cost a conversion first
    settings: type[BaseModel] = NoSettings  # what run() receives, validated once at the edge


# every module of edgenn.runners is imported once, so registrations run without a hand-kept list of modules; a
# module imported again registers the same function again, which is no duplicate
_TARGETS: Registry[Target] = Registry(__package__, Path(__file__).parent,
                                      duplicate="export target {name!r} registered twice",
                                      same=lambda a, b: a.run is b.run)


def export_target(name: str, *, help: str, needs_compiler: bool = False,
                  settings: type[BaseModel] = NoSettings) -> Callable:
    def register(run: Callable) -> Callable:
        _TARGETS.add(name, Target(name, help, run, needs_compiler, settings))
        return run

    return register


def registered_targets() -> dict[str, Target]:
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
