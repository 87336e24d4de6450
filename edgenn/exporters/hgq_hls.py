"""hls4ml export of an HGQ proxy model (learned_precision): hls4ml's own bit_exact flow, not edgenn's derived types.

The proxy's ``FixedPointQuantizer`` layers carry per-element bits; hls4ml 1.3 turns its ``bit_exact`` pass on when
it sees them and derives every type by interval arithmetic from them, so edgenn sets no per-layer precision here
(``precision.derive_precisions`` knows QKeras quantizers, not these). The float softmax on top of the proxy stays on
the host, as HGQ's softmax table is never bit-exact: the firmware ends at the logits, which are compared bit for bit
with the proxy's on the same float inputs (the proxy's input quantizer is inside the firmware too).
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import numpy as np

from edgenn.errors import ExternalToolError, UnsupportedModelError
from edgenn.exporters.csim import CsimResult
from edgenn.exporters.fixed_point import FixedPoint
from edgenn.exporters.hls import PROJECT_NAME, HlsProject, HlsSettings, check_compiler
from edgenn.exporters.precision import LayerPrecision, ModelPrecision

REFERENCE_LABEL = "HGQ proxy model (FixedPointQuantizer layers at the traced ranges)"


def export_hgq_hls(proxy, out_dir: Path, settings: HlsSettings) -> HlsProject:
    """Convert and compile the proxy (without its host softmax) into ``out_dir``."""
    check_compiler()
    hls_model, convert_seconds = convert_hgq_hls(proxy, out_dir, settings)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            hls_model.compile()
    except Exception as exc:
        raise ExternalToolError(f"g++ failed to compile the C simulation in {out_dir}: {exc}",
                                fix="see the compiler output in the project directory.") from exc
    compile_seconds = time.perf_counter() - start
    precision = _precision_of(hls_model)
    return HlsProject(Path(out_dir), PROJECT_NAME, settings, precision, precision.input, round(convert_seconds, 3),
                      round(compile_seconds, 3), (), hls_model)


def convert_hgq_hls(proxy, out_dir: Path, settings: HlsSettings):
    """hls4ml's model of the proxy (no compile): enough for the cost estimates. Returns (hls_model, seconds)."""
    import hls4ml

    from edgenn.compression.hgq_model import proxy_logits_model

    if settings.io_type != "io_parallel":
        raise UnsupportedModelError("hls.io_type: hls4ml converts HGQ's per-element activation bits only with "
                                    "io_parallel.", fix="set export.fpga.io_type: io_parallel.")
    model = proxy_logits_model(proxy)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            hls_model = hls4ml.converters.convert_from_keras_model(
                model, output_dir=str(out_dir), project_name=PROJECT_NAME, backend=settings.backend,
                io_type=settings.io_type, part=settings.part, clock_period=settings.clock_period_ns,
                hls_config={"Model": {"Strategy": settings.strategy, "ReuseFactor": settings.reuse_factor,
                                      "Precision": "fixed<16,6>"}})  # a default only: bit_exact sets every type
    except Exception as exc:  # hls4ml raises bare exceptions for what it cannot parse
        raise UnsupportedModelError(f"hls4ml could not convert the HGQ proxy '{model.name}': {exc}") from exc
    return hls_model, time.perf_counter() - start


def _fixed(precision) -> FixedPoint:
    width, integer = int(getattr(precision, "width", 32)), int(getattr(precision, "integer", 16))
    return FixedPoint(max(width, 1), integer, bool(getattr(precision, "signed", True)))


def _precision_of(hls_model) -> ModelPrecision:
    """What hls4ml's bit_exact flow chose, in edgenn's record format: input and logits types, and the host softmax."""
    layers = list(hls_model.get_layers())
    first, last = layers[0], layers[-1]
    inp = _fixed(first.get_output_variable().type.precision)
    logits = LayerPrecision("logits", "Dense", _fixed(last.get_output_variable().type.precision),
                            notes=("type chosen by hls4ml's bit_exact flow from the proxy's quantizers",))
    softmax = LayerPrecision("softmax", "Activation", FixedPoint(24, 1, False), exact=False,
                             notes=("float softmax on the host: not part of the firmware",))
    return ModelPrecision(first.name, inp, "quantizer:input_quant", (logits, softmax), "logits", "softmax", True,
                          ("HGQ proxy: per-element types from hls4ml's bit_exact flow",))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def simulate_hgq(project: HlsProject, proxy, x: np.ndarray) -> CsimResult:
    """C-simulation logits against the proxy's, on the same float inputs; the softmax is the same numpy function."""
    from edgenn.compression.hgq_model import proxy_logits_model

    x64 = np.ascontiguousarray(np.asarray(x, np.float64))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        firmware = np.asarray(project.hls_model.predict(x64), np.float64).reshape(len(x64), -1)
    csim_seconds = time.perf_counter() - start
    start = time.perf_counter()
    reference = np.asarray(proxy_logits_model(proxy).predict(x64.astype(np.float32), batch_size=4096, verbose=0),
                           np.float64).reshape(len(x64), -1)
    ref = {"logits": reference, "softmax": _softmax(reference)}
    fw = {"logits": firmware, "softmax": _softmax(firmware)}
    return CsimResult(x64, ("logits", "softmax"), ref, fw, "logits", "softmax", True, round(csim_seconds, 3),
                      round(time.perf_counter() - start, 3), project.precision.notes, REFERENCE_LABEL, None)
