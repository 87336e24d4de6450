"""Read corpus/synthesis/*.json and rebuild each design as the hls4ml 1.3 ModelGraph it was synthesised from.

Three entry layouts exist:
- ``keras`` (public projects that commit the hls4ml project with its ``keras_model.h5``): the Keras model JSON and
  every layer's trained weights as recorded in that file, and the project's ``HLSConfig``; one report.
- ``layers`` (projects that commit their trained weights): Dense/ReLU/softmax layers with per-layer types, reuse
  factor, strategy and the weight values; one report (``tool``, ``tool_version``, ``reported``).
- ``model`` (hls4ml's CI baselines): a Keras layer list, one default precision, the strategy, and ``weights``:
  ``none`` or ``random`` (the CI tests set no seed, so the design is rebuilt with each listed seed); several
  ``reports``, one per tool version that synthesised the same design.

A design is one (model, precision, settings) combination; its reports are the tool versions. Nothing here reaches
the network: the corpus files hold the facts, with their source and licence.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np


def load_corpus(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(directory).glob("*.json"))]


def reports_of(entry: dict) -> list[dict]:
    """Every report of a design as {tool, tool_version, backend, reported}."""
    if "reports" in entry:
        return entry["reports"]
    backend = "Vitis" if entry["tool"] == "Vitis HLS" else "Vivado"
    return [{"tool": entry["tool"], "tool_version": entry["tool_version"], "backend": backend,
             "report": entry["source"].get("report", ""), "reported": entry["reported"]}]


def seeds_of(entry: dict) -> list[int | None]:
    weights = entry.get("weights") or {}
    return list(weights.get("seeds", [0])) if weights.get("kind") == "random" else [None]


def _convert(model, cfg, entry: dict, backend: str, out_dir: str):
    import hls4ml

    with contextlib.redirect_stdout(io.StringIO()):  # hls4ml prints every layer it visits
        return hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=out_dir, backend=backend, io_type=entry["io_type"],
            part=entry["part"].replace("-clg", "clg"), clock_period=entry["clock_period_ns"])


def build_hls_model(entry: dict, backend: str, out_dir: str, seed: int | None = None):
    if "keras" in entry:
        return _build_from_keras(entry, backend, out_dir)
    if "model" in entry:
        return _build_from_model(entry, backend, out_dir, seed)
    return _build_from_layers(entry, backend, out_dir)


def _build_from_keras(entry: dict, backend: str, out_dir: str):
    """The project's own Keras model (architecture and trained weights as recorded) with its hls4ml configuration."""
    import copy

    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    custom: dict = {}
    _add_supported_quantized_objects(custom)
    model = tf.keras.models.model_from_json(json.dumps(entry["keras"]["model_json"]), custom_objects=custom)
    for name, arrays in entry["keras"]["weights"].items():
        model.get_layer(name).set_weights(
            [np.asarray(a["values"], dtype=np.float32).reshape(a["shape"]) for a in arrays])
    cfg = _with_rebuild_settings(_current_config(copy.deepcopy(entry["hls_config"])), entry)
    return _convert(model, cfg, entry, backend, out_dir)


def _current_config(cfg: dict) -> dict:
    """The recorded HLSConfig in hls4ml 1.3's vocabulary: older projects wrote ``ConvImplementation: Pointwise``,
    which 1.3 chooses by itself for a width-1 kernel and refuses as a value."""
    for layer in (cfg.get("LayerName") or {}).values():
        if isinstance(layer, dict) and layer.get("ConvImplementation") == "Pointwise":
            del layer["ConvImplementation"]
    return cfg


def _with_rebuild_settings(cfg: dict, entry: dict) -> dict:
    """Per-layer settings that make hls4ml 1.3 build the circuit the report's older hls4ml built, where 1.3 changed a
    default (``rebuild.layer_config``, each with its evidence in ``rebuild.why``): hls4ml 1.0 unrolled an io_parallel
    pointwise Conv1D over every position (1.3: ParallelizationFactor = positions), and older projects used the
    ``latency`` softmax (the report names ``softmax_latency``; 1.3 defaults to ``stable``)."""
    for name, settings in ((entry.get("rebuild") or {}).get("layer_config") or {}).items():
        cfg.setdefault("LayerName", {}).setdefault(name, {}).update(settings)
    return cfg


def _initializer(name: str):
    import tensorflow as tf

    match = re.fullmatch(r"RandomUniform\(([-\d.]+),\s*([-\d.]+)\)", name)
    if match:
        return tf.keras.initializers.RandomUniform(minval=float(match[1]), maxval=float(match[2]))
    return name


def _keras_layer(spec: dict):
    import tensorflow as tf

    L = tf.keras.layers
    cls = spec["class"]
    kwargs = {k: v for k, v in spec.items() if k != "class"}
    if "kernel_initializer" in kwargs:
        kwargs["kernel_initializer"] = _initializer(kwargs["kernel_initializer"])
    for key in ("kernel_size", "strides"):
        if isinstance(kwargs.get(key), list):
            kwargs[key] = tuple(kwargs[key])
    return getattr(L, cls)(**kwargs)


def _build_from_model(entry: dict, backend: str, out_dir: str, seed: int | None):
    import hls4ml
    import tensorflow as tf

    spec = entry["model"]
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential([tf.keras.layers.InputLayer(tuple(spec["input_shape"]))]
                                + [_keras_layer(layer) for layer in spec["layers"]])
    cfg = hls4ml.utils.config_from_keras_model(model, default_precision=spec["default_precision"])
    cfg["Model"]["Strategy"] = spec["strategy"]
    cfg["Model"]["ReuseFactor"] = spec["reuse_factor"]
    return _convert(model, cfg, entry, backend, out_dir)


def _build_from_layers(entry: dict, backend: str, out_dir: str):
    """Keras Dense/ReLU/softmax model with the recorded weights, converted with the recorded types."""
    import hls4ml
    import tensorflow as tf

    layers = entry["layers"]
    dense = [spec for spec in layers if spec["kind"] == "dense"]
    inp = tf.keras.layers.Input((dense[0]["n_in"],), name="inp")  # "input" is reserved by hls4ml
    x = inp
    for spec in layers[1:]:
        if spec["kind"] == "dense":
            x = tf.keras.layers.Dense(spec["n_out"], name=spec["name"])(x)
        elif spec["kind"] in ("relu", "softmax"):
            x = tf.keras.layers.Activation(spec["kind"], name=spec["name"])(x)
        else:
            raise ValueError(f"{entry['id']}: layer kind {spec['kind']!r} is not rebuilt by this benchmark")
    model = tf.keras.Model(inp, x)
    for spec in dense:
        w = np.asarray(spec["weights"], dtype=np.float64).reshape(spec["n_in"], spec["n_out"])
        model.get_layer(spec["name"]).set_weights([w, np.asarray(spec["biases"])])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend)
    cfg["LayerName"]["inp"]["Precision"]["result"] = layers[0]["result_type"]
    for spec in layers[1:]:
        lc = cfg["LayerName"][spec["name"]]
        if spec["kind"] == "dense":
            lc["Precision"].update(weight=spec["weight_type"], bias=spec["bias_type"], accum=spec["accum_type"],
                                   result=spec["result_type"])
            lc["ReuseFactor"] = spec["reuse_factor"]
            lc["Strategy"] = spec["strategy"]
        else:
            lc["Precision"] = {"result": spec["result_type"]} if spec["kind"] == "relu" else lc.get("Precision", {})
    cfg["Model"]["ReuseFactor"] = max(spec["reuse_factor"] for spec in dense)
    cfg["Model"]["Strategy"] = dense[0]["strategy"]
    return _convert(model, cfg, entry, backend, out_dir)
