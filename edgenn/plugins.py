"""Load the built-in entries of a registry: import every module of the package that holds them.

An entry (a model family, a compression pass, a precision rule, ...) registers itself with a decorator in its own
module. A registry that listed its entries' modules would import modules that import it back (a cycle) and would need
an edit per entry, so each registry calls ``import_package_modules`` on first lookup instead: a new entry is one new
module. Nothing runs at package import, and a module that fails to import raises, so an entry is never silently lost.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path


def import_package_modules(package: str, directory: Path, *, skip: tuple[str, ...] = (),
                           select: Callable[[str], bool] | None = None) -> list[str]:
    """Import ``package.<name>`` for every module and subpackage in ``directory`` (sorted, so registration order is
    the same on every machine), except the names in ``skip`` and, with ``select``, the names it refuses (for a
    registry whose entries share a package with other modules); returns the names imported."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(directory)])
                   if m.name not in skip and (select is None or select(m.name)))
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names
