"""Helpers shared by test modules (import them; pytest's conftest modules are not importable by name)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def write_recipe(path: Path, dataset: Path, *, base: str = "jet_mlp", **overrides) -> Path:
    """A shipped jet recipe (``models/<base>.yml``), pointed at ``dataset`` and shortened for tests; ``overrides``
    replace top-level keys."""
    recipe = yaml.safe_load((ROOT / "models" / f"{base}.yml").read_text())
    recipe["data"]["path"] = str(dataset)
    recipe["data"]["val_fraction"] = 0.2
    recipe["data"]["test_fraction"] = 0.3
    recipe["train"].update(epochs=4, batch_size=64)
    recipe["compress"].update(epochs=3)
    recipe["export"]["validation_samples"] = 10000
    recipe.update(overrides)
    path.write_text(yaml.safe_dump(recipe))
    return path


def write_export_report(directory: Path, figures: dict, *, target: str = "fpga", name: str = "jet_mlp") -> Path:
    """``directory/report.json`` holding ``figures`` (report.json figure dicts), written through the export record
    as every target writes it, so `edgenn check` and `edgenn report` read it as a real export."""
    from edgenn.records import ExportReport
    from edgenn.records.figures import figures_from_dicts

    Path(directory).mkdir(parents=True, exist_ok=True)
    ExportReport(target, name, figures_from_dicts(figures, "figures")).save(directory)
    return Path(directory) / "report.json"


def quantized_family_model(family: str, params: dict, input_shape: tuple[int, ...], num_classes: int, qat,
                           seed: int = 0):
    """A family's QKeras build with random weights stored on their quantizer grids (as the QAT pass leaves them)."""
    import numpy as np

    from edgenn.architectures.registry import get_family

    fam = get_family(family)
    model = fam.build(fam.params_model(**params), input_shape, num_classes, qat)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.trainable and layer.get_weights():
            layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
            layer.kernel.assign(layer.kernel_quantizer_internal(layer.kernel))
            if layer.bias is not None:
                layer.bias.assign(layer.bias_quantizer_internal(layer.bias))
    return model
