"""Write and compile an hls4ml HLS project whose precisions come from ``precision.derive_precisions``.

Contract: ``export_hls(model, out_dir, settings)`` converts a Keras/QKeras chain with every layer's precision set
explicitly (nothing left to hls4ml's ``auto``/defaults), writes the project into ``out_dir`` (a staging directory the
caller owns), writes ``precision.json`` beside it, and compiles the C simulation library with g++. The returned
``HlsProject`` holds the live hls4ml ``ModelGraph`` for ``predict``/``trace``; it is not serialised.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from edgenn.config.parts import KNOWN_PART_PREFIXES, PART_FIX, is_known_part  # noqa: F401  re-exported
from edgenn.errors import ExternalToolError, InvalidInputError, UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.layer_overrides import override_precisions
from edgenn.exporters.precision import ModelPrecision, derive_precisions
from edgenn.io import atomic_write_json

PROJECT_NAME = "myproject"
PRECISION_FILE = "precision.json"
# hls4ml reserves the layer name 'input' (model/layers.py raises on it); edgenn's QAT models name their input so.
HLS_RESERVED_NAMES = {"input": "input_features"}


def hls_name(name: str) -> str:
    """The name hls4ml is given for a model input: hls4ml declares the input array under its layer's name in the
    generated C++, so a reserved name is replaced and one that is no C++ identifier (a Sequential's
    'fc-1_input', 'jets.pt') gets underscores for the other characters."""
    if name in HLS_RESERVED_NAMES:
        return HLS_RESERVED_NAMES[name]
    import re

    out = re.sub(r"\W", "_", name)
    return f"_{out}" if out[:1].isdigit() else out

STRATEGIES = ("Latency", "Resource", "distributed_arithmetic")


@dataclass(frozen=True)
class HlsSettings:
    """Target of an HLS export. ``clock_period_ns`` is the synthesis target, never a measured timing.

    The values are checked once, where they enter: the fpga targets receive a validated ``config.recipe.FpgaSpec``
    (``runners.export_settings.resolve_settings``; the scan its recipe's) and take it with ``from_spec``; this record
    does not check them again."""

    part: str = "xcvu13p-flga2577-2-e"
    clock_period_ns: float = 5.0
    io_type: Literal["io_parallel", "io_stream"] = "io_parallel"
    strategy: Literal["Latency", "Resource", "distributed_arithmetic"] = "Latency"
    reuse_factor: int = 1
    backend: Literal["Vitis", "Vivado"] = "Vitis"
    ii_target: int | None = None          # cycles between inputs edgenn meets by choosing PF/RF (throughput.py)
    input_rate_mhz: float | None = None   # or the input rate, converted with the clock
    # explicit per-layer reuse_factor / parallelization_factor / strategy / precision (exporters.layer_overrides)
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec) -> HlsSettings:
        """The settings of a validated ``FpgaSpec`` whose strategy is chosen (``auto`` is resolved by the fpga
        target first); per-layer entries keep only the keys they set. Refuses an ``input_rate_mhz`` faster than
        the clock here, before any conversion."""
        if spec.strategy not in STRATEGIES:
            raise InvalidInputError(f"export.fpga.strategy {spec.strategy}: only the fpga target chooses a strategy "
                                    "(edgenn export).", fix=f"use one of {', '.join(STRATEGIES)} here.")
        settings = cls(spec.part, spec.clock_period_ns, spec.io_type, spec.strategy, spec.reuse_factor,
                       spec.backend, spec.ii_target, spec.input_rate_mhz,
                       {name: entry.model_dump(exclude_none=True) for name, entry in spec.layers.items()})
        settings.ii_target_cycles  # noqa: B018  refuses a rate faster than the clock here, not after conversion
        return settings

    @property
    def ii_target_cycles(self) -> int | None:
        from edgenn.exporters.throughput import ii_target_cycles

        return ii_target_cycles(self.ii_target, self.input_rate_mhz, self.clock_period_ns)

    def to_dict(self) -> dict[str, Any]:
        out = {"part": self.part, "clock_period_ns": self.clock_period_ns, "io_type": self.io_type,
               "strategy": self.strategy, "reuse_factor": self.reuse_factor, "backend": self.backend}
        if self.ii_target_cycles is not None:
            out["ii_target"] = self.ii_target_cycles
        if self.layers:
            out["layers"] = {name: dict(entry) for name, entry in sorted(self.layers.items())}
        return out


@dataclass(frozen=True)
class HlsProject:
    """A written and compiled hls4ml project. ``hls_model`` is the live hls4ml ModelGraph (not serialised)."""

    out_dir: Path
    project_name: str
    settings: HlsSettings
    precision: ModelPrecision
    input_type: FixedPoint
    convert_seconds: float
    compile_seconds: float
    traced_layers: tuple[str, ...]
    hls_model: Any = field(default=None, repr=False, compare=False)
    adjusted: tuple[str, ...] = ()  # settings hls4ml replaced on its own (adjusted_by_hls4ml), for the report notes

    @property
    def precision_path(self) -> Path:
        return self.out_dir / PRECISION_FILE

    def to_dict(self) -> dict[str, Any]:
        # relative to the export directory: the absolute path is a staging directory that is renamed afterwards
        return {"out_dir": self.out_dir.name, "project_name": self.project_name, "settings": self.settings.to_dict(),
                "input_type": self.input_type.to_hls(), "convert_seconds": self.convert_seconds,
                "compile_seconds": self.compile_seconds, "precision_file": PRECISION_FILE}


def check_compiler() -> None:
    """hls4ml's C simulation is built with g++; fail before any work if it is missing."""
    if shutil.which("g++") is None:
        raise ExternalToolError("g++ not found on PATH (hls4ml compiles the C simulation with it).",
                                fix="apt-get install g++")


def forward_printed_warnings(text: str, library: str) -> None:
    """Re-issue the ``WARNING:`` lines a library printed (hls4ml prints them) as Python warnings.

    The conversion's stdout is swallowed (hls4ml prints every layer it visits), which also swallowed its warnings,
    e.g. that it replaced an invalid reuse factor. As warnings they take the one route every library warning takes:
    hidden by default, shown with ``-v``, and turned into an edgenn line by the CLI when the user can act on them.
    """
    import warnings

    for line in text.splitlines():
        if line.lstrip().upper().startswith("WARNING"):
            warnings.warn(f"{library}: {line.strip()}", UserWarning, stacklevel=2)


def adjusted_by_hls4ml(hls_model: Any, config: dict[str, Any]) -> tuple[str, ...]:
    """One note per layer whose reuse factor hls4ml replaced (it picks the nearest valid one when the asked one does
    not divide the layer's multiplications, and only prints a warning): the project then is not what was asked."""
    notes = []
    for layer in hls_model.get_layers():
        asked = config["LayerName"].get(layer.name, {}).get("ReuseFactor")
        used = layer.get_attr("reuse_factor", None)
        if asked is not None and used is not None and int(used) != int(asked):
            notes.append(f"layer '{layer.name}': hls4ml used reuse factor {used}, not the {asked} asked for (not a "
                         "valid factor for this layer)")
    return tuple(notes)


def build_hls_config(model: Any, precision: ModelPrecision, settings: HlsSettings) -> dict[str, Any]:
    """The full hls4ml config: hls4ml's per-layer skeleton with every precision replaced by edgenn's."""
    import hls4ml

    with contextlib.redirect_stdout(io.StringIO()):  # hls4ml prints each layer it visits
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=settings.backend)
    config["Model"]["Strategy"] = settings.strategy
    config["Model"]["ReuseFactor"] = settings.reuse_factor
    config["Model"]["TraceOutput"] = False
    derived = precision.to_hls_config()["LayerName"]
    derived = {hls_name(name) if name == precision.input_name else name: entry for name, entry in derived.items()}
    layer_cfg = config["LayerName"]
    for name, entry in derived.items():
        if name not in layer_cfg:
            if name.endswith("_linear"):
                continue  # the split-off activation exists only for some layer types
            raise UnsupportedModelError(f"layer '{name}' has a derived precision but hls4ml did not parse it.")
        layer_cfg[name]["Precision"] = dict(entry["Precision"])
        for key, value in entry.items():
            if key != "Precision":
                layer_cfg[name][key] = value
    still_auto = [n for n, c in layer_cfg.items() if "auto" in str(c.get("Precision", {}).values())]
    if still_auto:
        raise UnsupportedModelError(f"no precision derived for hls4ml layer(s) {', '.join(still_auto)}.")
    for entry in layer_cfg.values():
        entry["Trace"] = True  # trace code is behind #ifndef __SYNTHESIS__: absent from the synthesised design
        entry["ReuseFactor"] = settings.reuse_factor
        if "Strategy" in entry:
            entry["Strategy"] = settings.strategy
    apply_layer_settings(model, layer_cfg, settings)
    return config


def apply_layer_settings(model: Any, layer_cfg: dict[str, dict], settings: HlsSettings) -> None:
    """Precedence: explicit per-layer settings > what ii_target chooses > the global strategy/reuse factor."""
    from edgenn.exporters.throughput import apply_plan, plan_ii

    unknown = sorted(set(settings.layers) - set(layer_cfg))
    if unknown:
        raise InvalidInputError(f"export.fpga.layers names unknown layer(s) {unknown}.",
                                fix=f"use layer names of this model: {sorted(layer_cfg)}.")
    target = settings.ii_target_cycles
    if target is not None:
        apply_plan(layer_cfg, plan_ii(model, target, reuse_factor=settings.reuse_factor, io_type=settings.io_type,
                                      explicit=settings.layers))
    for name, entry in settings.layers.items():
        if "reuse_factor" in entry:
            layer_cfg[name]["ReuseFactor"] = int(entry["reuse_factor"])
        if "parallelization_factor" in entry:
            layer_cfg[name]["ParallelizationFactor"] = int(entry["parallelization_factor"])
        if "strategy" in entry:
            layer_cfg[name]["Strategy"] = entry["strategy"]


def export_hls(model: Any, out_dir: Path, settings: HlsSettings, *, precision: ModelPrecision | None = None,
               x_calibration: np.ndarray | None = None, compile: bool = True) -> HlsProject:
    """Convert, write and (unless ``compile=False``) compile ``model`` into ``out_dir``.

    Args:
        model: QKeras/Keras chain (see ``derive_precisions``).
        out_dir: directory to write into (created; the caller renames it into place).
        settings: part, clock period (ns), io type, strategy, reuse factor, backend.
        precision: precisions to use; derived from the model when None.
        x_calibration: standardised inputs, needed only if the model has no input quantizer or has float layers.

    Raises:
        ExternalToolError: g++ missing, or the C simulation failed to compile.
        UnsupportedModelError: a layer cannot be converted (named in the message).
    """
    if compile:
        check_compiler()
    if precision is None:
        precision = derive_precisions(model, x_calibration=x_calibration)
    precision = override_precisions(precision, settings.layers)  # per-layer types the user set win
    import hls4ml

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = hls_compatible(model)
    config = build_hls_config(model, precision, settings)
    stamp = content_stamp(model, config, precision, settings)  # before hls4ml adds live objects to config
    start = time.perf_counter()
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), _without_binary_fusion():
            hls_model = hls4ml.converters.convert_from_keras_model(
                model, output_dir=str(out_dir), project_name=PROJECT_NAME, backend=settings.backend,
                hls_config=config, io_type=settings.io_type, part=settings.part,
                clock_period=settings.clock_period_ns, bit_exact=False,
            )
    except UnsupportedModelError:
        raise
    except Exception as exc:  # hls4ml raises bare Exception/KeyError for unknown layers
        raise UnsupportedModelError(f"hls4ml could not convert model '{model.name}': {exc}") from exc
    finally:
        forward_printed_warnings(printed.getvalue(), "hls4ml")
    convert_seconds = time.perf_counter() - start
    _check_types_applied(hls_model, precision)

    start = time.perf_counter()
    # Compiling with trace support lets validate_csim compare every layer without a second g++ run.
    hls_model.config.trace_output = True
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            write_reproducible(hls_model, out_dir, stamp)
            if compile:
                hls_model._compile()  # what ModelGraph.compile() does after write()
    except Exception as exc:
        raise ExternalToolError(f"g++ failed to compile the C simulation in {out_dir}: {exc}",
                                fix="see the compiler output in the project directory.") from exc
    compile_seconds = time.perf_counter() - start
    atomic_write_json(out_dir / PRECISION_FILE, {**precision.to_dict(), "settings": settings.to_dict()})
    traced = tuple(layer.name for layer in hls_model.get_layers() if layer.get_attr("trace", False))
    return HlsProject(out_dir, PROJECT_NAME, settings, precision, precision.input, convert_seconds,
                      compile_seconds, traced, hls_model, adjusted_by_hls4ml(hls_model, config))


# hls4ml's merge_batch_norm_quantized_tanh fuses a BatchNorm and the binary/ternary activation after it into one
# layer. For binary it outputs uint<1> standing for -1/+1, which only hls4ml's own XNOR product reads correctly:
# edgenn hands the next layer its quantized weights as numbers (qkeras_inference), so the fused node would feed it 0
# for -1 (and retype the layers after it). The ternary output, int<2>, holds the real values -1/0/+1 and stays
# fused (hls4ml's standalone ternary_tanh thresholds at +-1, not at QKeras's threshold). hls4ml's SkipOptimizers
# setting does not reach its flows (graph.py: "this is now effectively broken"), so the binary match is switched off
# for the conversion only.
BINARY_FUSION_PASS = "vivado:merge_batch_norm_quantized_tanh"


@contextlib.contextmanager
def _without_binary_fusion():
    from hls4ml.model.optimizer import get_optimizer

    fusion = get_optimizer(BINARY_FUSION_PASS)
    matches = type(fusion).match
    # an instance attribute shadowing the class's match, removed afterwards
    fusion.match = lambda node: matches(fusion, node) and "binary" not in str(node.get_attr("activation", ""))
    try:
        yield
    finally:
        del fusion.match


def hls_compatible(model: Any) -> Any:
    """The model itself, or a weight-sharing-free clone whose input is renamed away from hls4ml's reserved names."""
    for layer in model.layers[1:]:
        if layer.name in HLS_RESERVED_NAMES:
            raise UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): the name is reserved by "
                                        "hls4ml.", fix="rename the layer.")
        if hls_name(layer.name) != layer.name:  # hls4ml writes C++ types named after the layer (fc-1_accum_t)
            raise UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): the name is no C++ "
                                        "identifier, and hls4ml names the layer's C++ types after it.",
                                        fix=f"rename the layer to letters, digits and underscores (e.g. "
                                            f"'{hls_name(layer.name)}') and save the model again.")
    input_name = model.layers[0].name
    if hls_name(input_name) == input_name:
        return model
    import tensorflow as tf

    new_input = tf.keras.Input(shape=model.input_shape[1:], name=hls_name(input_name),
                               dtype=model.inputs[0].dtype)
    clone = tf.keras.models.clone_model(model, input_tensors=new_input)
    clone.set_weights(model.get_weights())
    return clone


def _check_types_applied(hls_model: Any, precision: ModelPrecision) -> None:
    """hls4ml's optimizers may rewrite types; fail loudly if a derived result type did not survive."""
    by_name = {layer.name: layer for layer in hls_model.get_layers()}
    for layer in precision.layers:
        node = by_name.get(layer.name)
        if node is None:
            continue  # removed as a no-op (e.g. identity cast)
        got = node.get_output_variable().type.precision
        want = layer.result
        if (got.width, got.integer, bool(got.signed)) != (want.width, want.integer, want.signed):
            raise UnsupportedModelError(
                f"layer '{layer.name}': hls4ml changed the result type to {got} (edgenn derived {want.to_hls()}).")


def content_stamp(model: Any, config: dict[str, Any], precision: ModelPrecision, settings: HlsSettings) -> str:
    """An 8-hex-digit ID of everything that shapes the generated C++ (weights, architecture, types, settings).

    hls4ml names the C-simulation library ``myproject-<stamp>.so`` so that several builds can be loaded into one
    process; its ``make_stamp`` pass draws the stamp from ``uuid4`` (hls4ml/model/optimizer/passes/stamp.py), so no two
    exports matched byte for byte. A content hash keeps the uniqueness that matters and makes the project reproducible.
    """
    import hashlib
    import json

    import hls4ml

    digest = hashlib.sha256()
    digest.update(json.dumps({"hls4ml": hls4ml.__version__, "config": config, "precision": precision.to_dict(),
                              "settings": settings.to_dict(), "model": model.to_json()},
                             sort_keys=True, default=str).encode())
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:8]


def write_reproducible(hls_model: Any, out_dir: Path, stamp: str) -> None:
    """Write the project as ``ModelGraph.write()`` does, minus what makes two identical exports differ.

    Three things did: the random stamp (replaced by ``stamp``), absolute staging paths in ``hls4ml_config.yml``
    (made relative to the project directory, which is renamed after the export) and the save time inside
    ``keras_model.keras`` (zip entry times and ``metadata.json``'s ``date_saved``). Build products (the ``.so``)
    still differ: g++ output is not reproducible byte for byte.
    """
    from hls4ml.model.flow import get_flow
    from hls4ml.model.optimizer import optimize_model

    hls_model.config.config["Stamp"] = stamp
    flow = get_flow(hls_model.config.backend.get_writer_flow())
    for required in flow.requires:
        hls_model.apply_flow(required, reapply="none")
    optimize_model(hls_model, [name for name in flow.optimizers if name != "make_stamp"])
    config_file = out_dir / "hls4ml_config.yml"
    if config_file.is_file():
        text = config_file.read_text()
        for prefix in sorted({str(out_dir.resolve()), str(out_dir)}, key=len, reverse=True):
            text = text.replace(prefix, ".")
        config_file.write_text(text)
    keras_file = out_dir / "keras_model.keras"
    if keras_file.is_file():
        _strip_zip_times(keras_file)


def _strip_zip_times(path: Path) -> None:
    """Rewrite a .keras zip with fixed entry times and without the ``date_saved`` metadata field."""
    import json
    import zipfile

    from edgenn.io import atomic_write_bytes

    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta, sort_keys=True).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            dst.writestr(entry, data)
    atomic_write_bytes(path, buffer.getvalue())
