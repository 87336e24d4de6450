"""Export a Keras model to ONNX with tf2onnx and prove that onnxruntime computes what Keras computes.

Contract: ``export_onnx(model, out_path, x_check=...)`` converts a tf.keras (Keras 2) model with
``tf2onnx.convert.from_keras``, refuses graphs that still hold TensorFlow ops without an ONNX mapping (naming the
Keras layer), stamps ``metadata`` into the file's ``metadata_props``, writes it atomically, runs onnxruntime on
``x_check`` and compares with ``model(x_check, training=False)``, then benchmarks batch-1 latency. The file is
written even when the comparison fails: ``OnnxReport.passed`` carries the verdict and the caller decides.

QKeras models need no special route. QKeras layers call their quantizers inside ``call()``, so tracing the model
records the quantization as ordinary float ops (Mul, Round, Min/Max, Relu); the weight quantizers act on constants
and tf2onnx folds them, leaving the already-quantized weights as initializers. The resulting float graph computes
the same fake-quantized values as Keras (measured bit-identical logits; see tests/exporters/test_onnx_export.py),
so no fallback through ``model_save_quantized_weights`` is needed. ``is_quantized_graph`` is True for such models.

The file's bytes are reproducible (same model, same bytes, same content hash in any process): the names tf2onnx
picks nondeterministically (symbolic dimensions, merged constants) are rewritten; see _make_names_reproducible.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, UnsupportedModelError
from edgenn.io import atomic_write_bytes

# tf2onnx 1.17 documents opsets 14-18 as tested and 9-13 as working; below 9 common Keras ops have no mapping.
MIN_OPSET = 9
MAX_OPSET = 18
_NUM_WARMUP_RUNS = 10
# A batch-1 Keras call costs tens of milliseconds (model.predict 88 ms in stop 24's idle make demo), so 200 timed runs
# of each Keras engine were half of an ONNX export (profile of a small jet_mlp run: 95 of 183 s, loaded machine) for
# a median that 20 runs already give;
# an engine stops after _LATENCY_BUDGET_S of timed runs once it has _MIN_TIMED_RUNS (onnxruntime, ~30 µs a run, still
# makes all of them).
_MIN_TIMED_RUNS = 20
_LATENCY_BUDGET_S = 2.0


@dataclass(frozen=True)
class OnnxReport:
    """What an ONNX export produced and how closely onnxruntime reproduced Keras.

    Latencies are (median, p90) in microseconds for one sample (batch 1), measured after warm-up.
    ``max_abs_diff`` is over every output element of every ``x_check`` sample.
    """

    opset: int
    num_samples: int
    max_abs_diff: float
    argmax_agreement: float
    tolerance: float
    passed: bool
    is_quantized_graph: bool
    ort_latency_us_batch1: tuple[float, float]
    keras_latency_us_batch1: tuple[float, float]
    keras_call_latency_us_batch1: tuple[float, float]
    seconds_convert: float
    onnx_sha256: str

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise ValueError(f"OnnxReport.num_samples must be >= 1 (got {self.num_samples})")
        if not 0.0 <= self.argmax_agreement <= 1.0:
            raise ValueError(f"OnnxReport.argmax_agreement must be in [0, 1] (got {self.argmax_agreement})")
        if self.passed != (self.max_abs_diff <= self.tolerance):
            raise ValueError("OnnxReport.passed must equal max_abs_diff <= tolerance")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


def export_onnx(
    model: Any,
    out_path: Path,
    *,
    x_check: np.ndarray,
    opset: int = 13,
    tolerance: float = 1e-5,
    benchmark_runs: int = 200,
    metadata: dict[str, str] | None = None,
) -> OnnxReport:
    """Convert ``model`` to ONNX at ``out_path``, verify it on ``x_check`` and benchmark batch-1 latency.

    Args:
        model: a built tf.keras model (float or QKeras): one or several data inputs, one or several outputs.
        out_path: where the ``.onnx`` file goes; written atomically, parent directories created.
        x_check: float samples shaped like the model input with a leading batch axis, at least one sample (a list
            of one array per input for a model with several data inputs); every output is compared.
        opset: ONNX opset, MIN_OPSET..MAX_OPSET.
        tolerance: largest accepted |onnxruntime - Keras| over all outputs; sets ``OnnxReport.passed``.
        benchmark_runs: timed runs per engine after warm-up (>= 1), at most: an engine stops once it has run
            ``_MIN_TIMED_RUNS`` times and ``_LATENCY_BUDGET_S`` seconds have passed (a batch-1 ``model.predict``
            costs tens of milliseconds; onnxruntime makes all of them).
        metadata: string pairs stored as ONNX ``metadata_props`` (edgenn stores the recipe hash and version).

    Raises:
        InvalidInputError: bad ``x_check``, opset, tolerance, run count or metadata.
        UnsupportedModelError: a layer whose ops tf2onnx cannot map (named).

    Example:
        >>> report = export_onnx(model, Path("out/model.onnx"), x_check=x_test[:1000])
        >>> report.passed, report.max_abs_diff
    """
    _check_arguments(opset, tolerance, benchmark_runs, metadata)
    _check_inputs(model)
    x_check = _check_samples(model, x_check)

    start = time.perf_counter()
    proto = _convert(model, opset)
    seconds_convert = time.perf_counter() - start
    _refuse_unmapped_ops(proto, model, opset)
    _make_names_reproducible(proto)
    _set_metadata(proto, metadata or {})

    import onnx

    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    atomic_write_bytes(Path(out_path), data)

    from edgenn.architectures.extra_inputs import feed, num_rows, take_rows

    session = _ort_session(data)
    feeds = _ort_feeds(model, session, x_check)
    # every output of a multi-output model is compared (ONNX graph outputs keep the Keras output order)
    y_ort = session.run(None, feeds)
    y_keras = model(feed(model, x_check), training=False)
    y_keras = [np.asarray(y) for y in (y_keras if isinstance(y_keras, (list, tuple)) else [y_keras])]
    max_abs_diff = max(float(np.max(np.abs(o.astype(np.float64) - k.astype(np.float64))))
                       for o, k in zip(y_ort, y_keras))
    argmax_agreement = float(np.mean(np.concatenate([_argmax_last(o) == _argmax_last(k)
                                                     for o, k in zip(y_ort, y_keras)])))

    one = take_rows(x_check, 1)
    x_one, feeds_one = feed(model, one), _ort_feeds(model, session, one)
    ort_latency = _latency_us(lambda: session.run(None, feeds_one), benchmark_runs)
    keras_latency = _latency_us(lambda: model.predict(x_one, verbose=0), benchmark_runs)
    keras_call_latency = _latency_us(lambda: model(x_one, training=False), benchmark_runs)

    return OnnxReport(
        opset=opset,
        num_samples=num_rows(x_check),
        max_abs_diff=max_abs_diff,
        argmax_agreement=argmax_agreement,
        tolerance=float(tolerance),
        passed=max_abs_diff <= tolerance,
        is_quantized_graph=has_qkeras_layers(model),
        ort_latency_us_batch1=ort_latency,
        keras_latency_us_batch1=keras_latency,
        keras_call_latency_us_batch1=keras_call_latency,
        seconds_convert=seconds_convert,
        onnx_sha256=hashlib.sha256(data).hexdigest(),
    )


def has_qkeras_layers(model: Any) -> bool:
    """True if any layer (nested models included) comes from QKeras, i.e. the traced graph carries quantizers."""
    import tensorflow as tf

    layers = [m for m in model.submodules if isinstance(m, tf.keras.layers.Layer)]
    return any(type(layer).__module__.startswith("qkeras") for layer in layers)


def _check_arguments(opset: int, tolerance: float, benchmark_runs: int, metadata: dict[str, str] | None) -> None:
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise InvalidInputError(f"opset: must be an integer in [{MIN_OPSET}, {MAX_OPSET}] (got {opset!r}).",
                                fix="use 13 (the default) unless a runtime needs another opset.")
    if not tolerance >= 0.0:  # also catches NaN
        raise InvalidInputError(f"tolerance: must be >= 0 (got {tolerance!r}).", fix="use e.g. 1e-5.")
    if not isinstance(benchmark_runs, int) or benchmark_runs < 1:
        raise InvalidInputError(f"benchmark_runs: must be an integer >= 1 (got {benchmark_runs!r}).",
                                fix="use e.g. 200; fewer runs give noisier latencies.")
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInputError(f"metadata: keys and values must be strings (got {key!r}: {value!r}).",
                                    fix="convert values with str() before passing them.")


def _ort_feeds(model: Any, session: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """onnxruntime's input dict: ``x`` and the declared extra inputs computed from it, in the signature's order."""
    from edgenn.architectures.extra_inputs import feed

    arrays = feed(model, x)
    arrays = arrays if isinstance(arrays, list) else [arrays]
    return {inp.name: np.ascontiguousarray(a, np.float32) for inp, a in zip(session.get_inputs(), arrays)}


def _check_inputs(model: Any) -> None:
    """Several data inputs, or one data input plus declared extra inputs (computed from the data); any outputs."""
    from edgenn.architectures.extra_inputs import extra_input, primary_input

    names = list(model.input_names)
    if len(names) > 1 and any(extra_input(n) is not None for n in names):
        primary_input(model)  # raises, naming the inputs, unless all but one are declared extra inputs


def _check_samples(model: Any, x_check: Any) -> np.ndarray | list[np.ndarray]:
    """``x_check`` as float32: one array, or for a model with several data inputs a list of one per input."""
    from edgenn.architectures.extra_inputs import extra_input, primary_input

    if isinstance(x_check, (list, tuple)):
        names = list(model.input_names)
        if len(x_check) != len(names) or any(extra_input(n) is not None for n in names):
            raise InvalidInputError(f"x_check: {len(x_check)} arrays for the model's inputs {names}.",
                                    fix="pass one array per model input, in input order.")
        checked = [_check_array(model, name, a) for name, a in zip(names, x_check)]
        if len({len(a) for a in checked}) != 1:
            raise InvalidInputError("x_check: the input arrays have different row counts.",
                                    fix="give every input the same rows, one per sample.")
        return checked
    return _check_array(model, primary_input(model), x_check)


def _check_array(model: Any, input_name: str, x_check: Any) -> np.ndarray:
    expected = tuple(model.get_layer(input_name).output.shape[1:])
    if not isinstance(x_check, np.ndarray) or x_check.ndim != len(expected) + 1 or x_check.shape[0] < 1:
        got = getattr(x_check, "shape", type(x_check).__name__)
        raise InvalidInputError(f"x_check: must be a numpy array shaped (N >= 1, {', '.join(map(str, expected))}) "
                                f"(got {got}).", fix="pass a slice of the test set, e.g. x_test[:1000].")
    if any(e is not None and e != g for e, g in zip(expected, x_check.shape[1:])):
        raise InvalidInputError(f"x_check: sample shape {x_check.shape[1:]} does not match the model input "
                                f"{expected}.", fix="pass samples from the dataset the model was trained on.")
    if not np.issubdtype(x_check.dtype, np.floating) or not np.all(np.isfinite(x_check)):
        raise InvalidInputError("x_check: must hold finite floating-point values.",
                                fix="drop NaN/inf samples or cast integer features to float32.")
    # The exported graph takes float32; casting here keeps Keras and onnxruntime on identical inputs.
    return np.ascontiguousarray(x_check, dtype=np.float32)


@contextlib.contextmanager
def _quiet_tf2onnx() -> Iterator[None]:
    # tf2onnx logs "op is not supported" at ERROR level and carries on; _refuse_unmapped_ops turns that into one
    # clear error naming the layer, so the duplicate log lines only add noise. Restored afterwards.
    logger = logging.getLogger("tf2onnx")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _convert(model: Any, opset: int) -> Any:
    import tensorflow as tf
    import tf2onnx

    signature = tuple(tf.TensorSpec((None, *t.shape[1:]), tf.float32, name=name)
                      for t, name in zip(model.inputs, model.input_names))
    with _quiet_tf2onnx():
        try:
            proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
        except Exception as exc:  # tf2onnx raises bare ValueError/KeyError/... from inside its rewriters
            raise UnsupportedModelError(
                f"model {model.name!r}: tf2onnx could not convert it ({type(exc).__name__}: {exc}).",
                fix="replace the failing layer with standard Keras layers, or try another --opset.") from exc
    return proto


def _refuse_unmapped_ops(proto: Any, model: Any, opset: int) -> None:
    """tf2onnx.from_keras runs with continue_on_error, leaving unmapped TF ops in the graph under their TF name."""
    import onnx.defs

    layer_names = {m.name for m in model.submodules if hasattr(m, "name")}
    for node in proto.graph.node:
        if node.domain in ("", "ai.onnx") and not onnx.defs.has(node.op_type, opset, ""):
            layer = next((part for part in node.name.split("/") if part in layer_names), None)
            where = f"layer {layer!r}" if layer else f"node {node.name!r}"
            raise UnsupportedModelError(
                f"model {model.name!r}: {where} uses TensorFlow op {node.op_type!r}, which tf2onnx cannot express "
                f"in ONNX opset {opset}.",
                fix="rewrite that layer with ops ONNX supports (standard Keras layers always convert).")


def _make_names_reproducible(proto: Any) -> None:
    """Rename what tf2onnx names nondeterministically, so one model always serialises to the same bytes.

    Symbolic dimensions come from a process-wide counter. Identical constants (e.g. the clip bounds of several
    QActivations with one quantizer) are merged, and which original name survives varies from run to run even
    with a fixed PYTHONHASHSEED. Initializers are renamed ``const_<k>`` in order of first use by the
    (deterministically ordered) nodes.
    """
    graph = proto.graph
    dims: dict[str, str] = {}
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param.startswith("unk__"):
                dim.dim_param = dims.setdefault(dim.dim_param, f"unk__{len(dims)}")

    initializer_names = {tensor.name for tensor in graph.initializer}
    renamed: dict[str, str] = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in initializer_names:
                node.input[i] = renamed.setdefault(name, f"const_{len(renamed)}")
    for value in [*graph.output, *graph.value_info]:  # a constant graph output is an initializer no node uses
        if value.name in initializer_names:
            value.name = renamed.setdefault(value.name, f"const_{len(renamed)}")
    first_use = {new: k for k, new in enumerate(renamed.values())}
    # Copies, because clearing a repeated protobuf field may invalidate references to its elements.
    tensors = [type(t)() for t in graph.initializer]
    for copy, tensor in zip(tensors, graph.initializer):
        copy.CopyFrom(tensor)
        copy.name = renamed.get(tensor.name, tensor.name)
    tensors.sort(key=lambda t: first_use.get(t.name, len(first_use)))
    del graph.initializer[:]
    graph.initializer.extend(tensors)


def _set_metadata(proto: Any, metadata: dict[str, str]) -> None:
    import onnx.helper

    onnx.helper.set_model_props(proto, dict(sorted(metadata.items())))


def _ort_session(data: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread: a batch-1 MLP is far too small to gain from a thread pool, and the latency we want to report is
    # that of a single core, stable on a shared machine.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])


def _argmax_last(y: np.ndarray) -> np.ndarray:
    return np.argmax(y.reshape(-1, y.shape[-1]), axis=-1)


def _latency_us(run: Callable[[], Any], num_runs: int) -> tuple[float, float]:
    for _ in range(_NUM_WARMUP_RUNS):
        run()
    timings = []
    deadline = time.perf_counter() + _LATENCY_BUDGET_S
    for _ in range(num_runs):
        start = time.perf_counter_ns()
        run()
        timings.append((time.perf_counter_ns() - start) / 1e3)
        if len(timings) >= _MIN_TIMED_RUNS and time.perf_counter() > deadline:
            break
    return float(np.median(timings)), float(np.percentile(timings, 90))
