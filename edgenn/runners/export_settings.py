"""hls4ml settings of one export, merged once: recipe ``export.fpga`` < ``--hls-config FILE`` < command-line flags.

An ``--hls-config`` file has the schema of a recipe's ``export.fpga`` section (``config.recipe.FpgaSpec``, validated
by ``config.load``): per-layer ``layers: {<layer>: {reuse_factor, parallelization_factor, strategy, precision}}`` and,
optionally, the global keys. Only the keys the file sets replace the recipe's; its per-layer entries are merged layer
by layer. Every per-layer name must be a layer of the model the user gave (after Sequential/nested models are
flattened); an unknown one is refused before any conversion, listing the model's layer names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgenn.errors import InvalidInputError


def merge_hls_config(fpga: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """``fpga`` (an ``export.fpga`` dict) with the settings of the file at ``path`` on top."""
    if path is None:
        return fpga
    from edgenn.config.load import load_hls_config

    given = load_hls_config(Path(path)).model_dump(exclude_unset=True)
    layers = {name: dict(entry) for name, entry in fpga.get("layers", {}).items()}
    for name, entry in given.pop("layers", {}).items():
        layers[name] = {**layers.get(name, {}), **{k: v for k, v in entry.items() if v is not None}}
    return {**fpga, **given, "layers": layers}


def check_layer_names(model: Any, layers: dict[str, Any], *, where: str = "export.fpga.layers") -> None:
    """Refuse per-layer settings for a layer the model does not have, naming the layers it has."""
    names = [layer.name for layer in model.layers]
    unknown = sorted(set(layers) - set(names))
    if unknown:
        raise InvalidInputError(f"{where} names unknown layer(s) {unknown}; model '{model.name}' has layers "
                                f"{names}.", fix="use these layer names (model.summary() prints them).")
