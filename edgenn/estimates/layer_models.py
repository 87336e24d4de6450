"""Registry of the estimator's layer models: one function per ``LayerSpec.kind`` -> ``Estimate``.

A model registers itself with ``@register_layer_model(kind)`` where it is defined (``analytic``: dense, relu,
softmax, input, other; ``conv``: conv2d, pool2d, reshape; ``elementwise``: merge, batchnorm, cast; ``activations``: table, param_relu); the modules of
this package are imported on first lookup (``edgenn.plugins``), so a new layer model is one new module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

LayerModel = Callable  # (LayerSpec, clock_period_ns, ModelConstants) -> Estimate

_MODELS: dict[str, LayerModel] = {}
_loaded = False


def register_layer_model(kind: str):
    def decorator(fn: LayerModel) -> LayerModel:
        if kind in _MODELS:
            raise ValueError(f"estimator layer model {kind!r} is registered twice")
        _MODELS[kind] = fn
        return fn

    return decorator


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from edgenn.plugins import import_package_modules

        import_package_modules(__package__, Path(__file__).parent, skip=("layer_models",))


def layer_model(kind: str) -> LayerModel:
    """The model for ``kind`` (a ``LayerSpec.kind``); KeyError for a kind no module registers."""
    _load_builtins()
    return _MODELS[kind]


def layer_model_kinds() -> list[str]:
    _load_builtins()
    return sorted(_MODELS)
