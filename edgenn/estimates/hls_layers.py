"""Registry of the readers that turn one converted hls4ml layer into the estimator's `LayerSpec`.

A reader registers itself in the module that knows the layer, with the hls4ml class names it reads::

    @register_hls_layer("Pooling1D", "GlobalPooling1D")
    def read_pool1d(layer, context: HlsLayerContext) -> LayerSpec: ...

``when(layer, context)`` narrows a match (an io type, an attribute). A reader registered without class names matches
on ``when`` alone (activations, whose hls4ml class depends on how the user wrote them) and is tried only when no
reader of the layer's class matched. Within each of the two tiers at most one reader may match a layer, so the order
in which modules register never decides a result; a layer that no reader matches is counted as kind ``other``.
The readers are kept by one ``edgenn.plugins.Registry`` (one entry per decorator: the reader and the classes it
names), which imports the modules of this package on first lookup: a new reader is one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgenn.plugins import Registry


@dataclass(frozen=True)
class HlsLayerContext:
    """What the design walk knows about a layer when it is read. Widths are total bits of the fixed-point type."""

    in_width: int              # the first input's width (the previous layer's output width if inputs are unknown)
    in_widths: tuple[int, ...]  # every input's width, in input order (multi-input layers)
    out_width: int
    n_out: int                 # elements of the output
    n_par: int                 # elements computed in parallel: a pixel's channels in io_stream, else n_out
    io_type: str               # "io_parallel" or "io_stream"
    activation: str            # the layer's ``activation`` attribute, lower case ("" if none)
    kind_name: str             # the layer's ``class_name`` attribute (the Keras class hls4ml converted)


Reader = Callable[[Any, HlsLayerContext], Any]  # (hls4ml layer, context) -> LayerSpec
Condition = Callable[[Any, HlsLayerContext], bool]


@dataclass(frozen=True)
class HlsLayerReader:
    name: str                  # the reader function's qualified name, for messages
    classes: tuple[str, ...]   # hls4ml class names; empty: matched on ``when`` alone
    when: Condition | None
    read: Reader

    def matches(self, layer: Any, context: HlsLayerContext) -> bool:
        return self.when is None or bool(self.when(layer, context))

    @property
    def key(self) -> str:
        """The registry name of this (reader, classes) pair: one function may register for two pairs."""
        return f"{self.name}({', '.join(self.classes) or 'when'})"


_READERS: Registry[HlsLayerReader] = Registry(
    __package__, Path(__file__).parent, skip=("hls_layers",),
    duplicate="hls4ml layer reader {name} is registered twice",
    same=lambda old, new: old.name == new.name and old.classes == new.classes)


def register_hls_layer(*classes: str, when: Condition | None = None):
    """Register the decorated ``read(layer, context) -> LayerSpec`` for the hls4ml ``classes`` (see module docstring);
    decorators stack, so one reader can serve two (class, condition) pairs."""

    def decorator(read: Reader) -> Reader:
        entry = HlsLayerReader(f"{read.__module__}.{read.__qualname__}", tuple(classes), when, read)
        if not classes and when is None:
            raise ValueError(f"hls4ml layer reader {entry.name} names no class and no condition: it would match "
                             "every layer")
        _READERS.add(entry.key, entry)
        return read

    return decorator


def hls_layer_reader(layer: Any, context: HlsLayerContext) -> Reader | None:
    """The one reader that matches ``layer`` (its class tier first, then the attribute tier), or None."""
    entries = list(_READERS.values())
    by_class = [entry for entry in entries if layer.class_name in entry.classes]
    by_attributes = [entry for entry in entries if not entry.classes]
    for tier in (by_class, by_attributes):
        found = [entry for entry in tier if entry.matches(layer, context)]
        if len(found) > 1:
            raise ValueError(f"hls4ml layer {layer.name!r} ({layer.class_name}) matches "
                             f"{', '.join(e.name for e in found)}: their conditions must exclude each other")
        if found:
            return found[0].read
    return None


def hls_layer_readers() -> list[HlsLayerReader]:
    """Every registered reader once, class readers first."""
    entries = list(_READERS.values())
    return [entry for entry in entries if entry.classes] + [entry for entry in entries if not entry.classes]
