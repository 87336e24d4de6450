"""Cheap hardware estimates for scan trials: no C compilation, no vendor tool.

``design_estimate`` converts the trained QKeras model with hls4ml (convert only: no ``write``/``compile``, so no g++
run) using the exact precisions of ``edgenn.exporters.derive_precisions``, and feeds the ModelGraph to the analytic
estimator: the same figures ``edgenn export`` reports, in a fraction of the time (convert ~1 s, compile ~30 s).

``prior_design`` builds a ``DesignSpec`` for a dense-family recipe before any training, from widths, bits and the
target sparsity alone. It is not a bound (trained weights decide how many constants need a multiplier), so the scan
prunes on it only with a slack factor (``ScanSpace.pretrain_slack``) and records it beside the real estimate.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.config.recipe import FpgaSpec, Recipe
from edgenn.estimates import DesignSpec, LayerSpec, ResourceReport, design_from_hls_model, estimate
from edgenn.architectures.registry import family_params


def design_estimate(model: Any, fpga: FpgaSpec, x_calibration: np.ndarray | None) -> tuple[ResourceReport, bool]:
    """(analytic resource report, bit-exact-by-construction flag) of ``model`` exported with ``fpga`` settings."""
    import hls4ml

    from edgenn.errors import UnsupportedModelError
    from edgenn.exporters.hls import PROJECT_NAME, HlsSettings, build_hls_config, hls_compatible
    from edgenn.exporters.precision import derive_precisions

    from edgenn.compression.hgq_model import is_proxy_model

    if is_proxy_model(model):  # learned precision: hls4ml's bit_exact flow types the proxy, exact by construction
        return _hgq_estimate(model, fpga), True
    settings = HlsSettings.from_spec(fpga)
    precision = derive_precisions(model, x_calibration=x_calibration)
    model = hls_compatible(model)
    config = build_hls_config(model, precision, settings)
    with tempfile.TemporaryDirectory(prefix="edgenn-scan-hls-") as tmp:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # hls4ml prints every layer it visits
                hls_model = hls4ml.converters.convert_from_keras_model(
                    model, output_dir=tmp, project_name=PROJECT_NAME, backend=settings.backend, hls_config=config,
                    io_type=settings.io_type, part=settings.part, clock_period=settings.clock_period_ns,
                    bit_exact=False)
        except Exception as exc:  # hls4ml raises bare Exception/KeyError for what it cannot convert
            raise UnsupportedModelError(f"hls4ml could not convert model '{model.name}': {exc}") from exc
        report = estimate(design_from_hls_model(hls_model))
    return report, precision.bit_exact


def _hgq_estimate(proxy: Any, fpga: FpgaSpec) -> ResourceReport:
    """da4ml's figures for the distributed_arithmetic strategy, the analytic model's (a lower bound) otherwise."""
    from edgenn.exporters.hgq_hls import convert_hgq_hls
    from edgenn.exporters.hls import HlsSettings

    settings = HlsSettings.from_spec(fpga.model_copy(update={"strategy": "Latency"}) if fpga.strategy == "auto" else fpga)
    with tempfile.TemporaryDirectory(prefix="edgenn-scan-hgq-") as tmp:
        hls_model, _ = convert_hgq_hls(proxy, Path(tmp), settings)
        if settings.strategy == "distributed_arithmetic":
            from edgenn.estimates.da4ml_cost import estimate_da

            return estimate_da(hls_model)
        return estimate(design_from_hls_model(hls_model))


def _num_features(recipe: Recipe) -> int:
    return 16 if recipe.data.features == "hlf16" else len(recipe.data.features)


def prior_design(recipe: Recipe) -> DesignSpec | None:
    """Pre-training design of a recipe with QAT whose family has a prior (``PRIORS``); None otherwise (no prior, no
    early pruning)."""
    qat = recipe.compress.qat if recipe.compress else None
    prior = PRIORS.get(recipe.model.family)
    return prior(recipe) if prior is not None and qat is not None else None


def dense_prior(recipe: Recipe) -> DesignSpec:
    """The dense family's design from its widths: accumulators get the worst-case width w + x + ceil(log2 n_in) and
    every kept weight its full declared width, as the estimator does when it has no weight values."""
    from edgenn.architectures.quantizers import layer_quant

    qat = recipe.compress.qat
    hidden = list(family_params(recipe).hidden)
    sparsity = recipe.compress.prune.final_sparsity if recipe.compress.prune else 0.0
    fpga = recipe.export.fpga
    n_in, width = _num_features(recipe), qat.input.bits
    layers = [LayerSpec("input", "input", n_in, n_in, result_width=width)]
    sizes = hidden + [len(recipe.data.classes)]
    names = [f"dense_{i}" for i in range(len(hidden))] + ["logits"]
    for name, n_out in zip(names, sizes):
        w, _, a = layer_quant(qat, name)
        accum = w.bits + width + math.ceil(math.log2(max(n_in, 2)))
        kept = int(round((1.0 - sparsity) * n_in * n_out))
        layers.append(LayerSpec(name, "dense", n_in, n_out, weight_width=w.bits, input_width=width,
                                accum_width=accum, result_width=accum, num_nonzero_weights=kept,
                                reuse_factor=fpga.reuse_factor, strategy=fpga.strategy))
        if name != "logits":
            layers.append(LayerSpec(f"relu_{name.split('_')[1]}", "relu", n_out, n_out, input_width=accum,
                                    result_width=a.bits))
            width = a.bits
        else:
            layers.append(LayerSpec("softmax", "softmax", n_out, n_out, input_width=accum, result_width=18,
                                    accum_width=18))
        n_in = n_out
    return DesignSpec(tuple(layers), clock_period_ns=fpga.clock_period_ns, part=fpga.part, io_type=fpga.io_type)


# family name -> its pre-training design; a family without one is scanned without early pruning
PRIORS = {"dense": dense_prior}


def figures_of(report: ResourceReport) -> dict[str, dict]:
    """Total figures as {name: {value, unit, method}} (the format of export reports)."""
    return {name: {"value": float(f.value), "unit": f.unit, "method": f.method, **({"bound": f.bound} if f.bound else {})}
            for name, f in report.total.figures().items()}
