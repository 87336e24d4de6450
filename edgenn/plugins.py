"""Registries of entries that register themselves: ``Registry`` and the package scan that fills one.

An entry (a model family, a compression pass, a precision rule, an export target, ...) registers itself with a
decorator in its own module. A registry that listed its entries' modules would import modules that import it back (a
cycle) and would need an edit per entry, so each registry is a ``Registry`` over its own package, which calls
``import_package_modules`` on first lookup instead: a new entry is one new module. Nothing runs at package import, a
module that fails to import raises (an entry is never silently lost), a name registered twice raises, and an unknown
name is an error listing the known ones and the closest match.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from edgenn.errors import InvalidInputError


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


T = TypeVar("T")


class Registry(Mapping[str, T]):
    """Entries by name, added by a decorator in each entry's own module and loaded on first lookup.

    ``package`` and ``directory`` are the registry's own package (its modules are imported once, sorted, with
    ``skip``/``select`` as in ``import_package_modules``); ``entry_points`` names an entry-point group whose plugins
    load after the built-ins (one that fails to load is an error naming it). Adding a name twice raises
    ``ValueError(duplicate.format(name=...))`` unless ``same(old, new)`` says it is the same entry (a module imported
    again). Reading the registry (``[]``, ``in``, iteration, ``len``) loads it first.
    """

    def __init__(self, package: str, directory: Path, *, duplicate: str, skip: tuple[str, ...] = (),
                 select: Callable[[str], bool] | None = None, entry_points: str | None = None,
                 same: Callable[[T, T], bool] | None = None) -> None:
        self.package, self.directory, self.duplicate = package, Path(directory), duplicate
        self.skip, self.select, self.entry_points, self.same = skip, select, entry_points, same
        self._entries: dict[str, T] = {}
        self._state = "new"  # -> "loading" (a lookup during the scan sees what is registered so far) -> "loaded"

    def add(self, name: str, entry: T) -> T:
        old = self._entries.get(name)
        if old is not None and not (self.same is not None and self.same(old, entry)):
            raise ValueError(self.duplicate.format(name=name))
        self._entries[name] = entry
        return entry

    def load(self) -> None:
        if self._state != "new":
            return
        self._state = "loading"
        try:
            import_package_modules(self.package, self.directory, skip=self.skip, select=self.select)
            if self.entry_points:
                load_entry_points(self.entry_points)
        except BaseException:
            self._state = "new"  # the error is raised again on the next lookup, never a silently short registry
            raise
        self._state = "loaded"

    def __getitem__(self, name: str) -> T:
        self.load()
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self.load()
        return len(self._entries)

    def copy(self) -> Registry[T]:
        """A loaded copy, for a test that registers entries of its own and must not leak them."""
        self.load()
        twin = Registry(self.package, self.directory, duplicate=self.duplicate, skip=self.skip, select=self.select,
                        entry_points=self.entry_points, same=self.same)
        twin._entries, twin._state = dict(self._entries), "loaded"
        return twin

    def unknown(self, name: str, what: str, plural: str) -> InvalidInputError:
        """The error for a name nothing registered, e.g. ``unknown model family 'dens'; known families: ... Did you
        mean 'dense'?``."""
        import difflib

        known = sorted(self)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return InvalidInputError(f"unknown {what} {name!r}; known {plural}: {', '.join(known)}.{hint}")


def load_entry_points(group: str) -> None:
    """Load every third-party plugin of the entry-point ``group``; a plugin that fails to load is an error."""
    from importlib.metadata import entry_points

    for ep in entry_points(group=group):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not be silently ignored
            raise InvalidInputError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                                    fix="fix or uninstall the plugin package.") from exc
