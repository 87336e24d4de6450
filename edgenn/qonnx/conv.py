"""ONNX Conv and pooling over channels-first tensors (N, C, spatial...), in float64, as ONNX defines them.

Explicit ``pads`` (begin..., end...), ``strides``, ``dilations`` and ``group`` are honoured; ``auto_pad`` other than
NOTSET / VALID is refused (Brevitas and torch write explicit pads). Each output is a sum of products over one
receptive field: exact when ``exactness.sum_is_exact`` holds, whatever order the sum is taken in.
"""

from __future__ import annotations

import itertools

import numpy as np

from edgenn.errors import UnsupportedModelError


def _geometry(node, attrs, spatial: int, kernel: tuple[int, ...]):
    auto_pad = attrs.get("auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad not in ("NOTSET", "VALID"):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): auto_pad {auto_pad} is not supported.",
                                    fix="export with explicit pads.")
    pads = list(attrs.get("pads", [0] * (2 * spatial))) if auto_pad == "NOTSET" else [0] * (2 * spatial)
    strides = list(attrs.get("strides", [1] * spatial))
    dilations = list(attrs.get("dilations", [1] * spatial))
    if len(kernel) != spatial:
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): kernel {kernel} for {spatial} spatial axes.")
    return pads, strides, dilations


def _windows(x: np.ndarray, kernel, pads, strides, dilations, fill: float):
    """Yield (kernel offset, strided view of the padded input for that offset) and the output spatial shape."""
    spatial = x.ndim - 2
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[i + spatial]) for i in range(spatial)]
    xp = np.pad(x, widths, constant_values=fill)
    out_shape = [(xp.shape[2 + i] - dilations[i] * (kernel[i] - 1) - 1) // strides[i] + 1 for i in range(spatial)]
    if min(out_shape) < 1:
        raise UnsupportedModelError(f"kernel {kernel} does not fit the input of spatial shape {x.shape[2:]}.")
    views = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = tuple(slice(offset[i] * dilations[i], offset[i] * dilations[i] + strides[i] * (out_shape[i] - 1) + 1,
                            strides[i]) for i in range(spatial))
        views.append((offset, xp[(slice(None), slice(None), *index)]))
    return views, out_shape


def convolve(node, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, attrs: dict) -> np.ndarray:
    """ONNX Conv: w has shape (M, C / group, k...)."""
    group = int(attrs.get("group", 1))
    spatial = x.ndim - 2
    kernel = tuple(w.shape[2:])
    pads, strides, dilations = _geometry(node, attrs, spatial, kernel)
    if x.shape[1] != w.shape[1] * group or w.shape[0] % group:
        raise UnsupportedModelError(f"node '{node.name}' (Conv): {x.shape[1]} input channels, weight {w.shape}, "
                                    f"group {group} do not match.")
    views, out_shape = _windows(x, kernel, pads, strides, dilations, 0.0)
    out = np.zeros((x.shape[0], w.shape[0], *out_shape))
    cin, cout = w.shape[1], w.shape[0] // group
    for g in range(group):
        wg = w[g * cout:(g + 1) * cout]
        for offset, view in views:
            patch = view[:, g * cin:(g + 1) * cin]  # (N, cin, out...)
            out[:, g * cout:(g + 1) * cout] += np.einsum("nc...,mc->nm...", patch, wg[(slice(None), slice(None),
                                                                                        *offset)])
    if b is not None:
        out += np.asarray(b, np.float64).reshape((1, -1) + (1,) * spatial)
    return out


def pool(node, x: np.ndarray, attrs: dict, kind: str) -> np.ndarray:
    """MaxPool (padding never wins) or AveragePool (count_include_pad=0 is refused when there is padding)."""
    kernel = tuple(int(k) for k in attrs["kernel_shape"])
    spatial = x.ndim - 2
    pads, strides, dilations = _geometry(node, attrs, spatial, kernel)
    if attrs.get("ceil_mode", 0):
        raise UnsupportedModelError(f"node '{node.name}' ({node.op_type}): ceil_mode is not supported.")
    if kind == "mean" and any(pads) and not attrs.get("count_include_pad", 0):
        raise UnsupportedModelError(f"node '{node.name}' (AveragePool): padded average without count_include_pad "
                                    "divides border windows by other counts.")
    views, _ = _windows(x, kernel, pads, strides, dilations, -np.inf if kind == "max" else 0.0)
    stack = np.stack([v for _, v in views])
    return stack.max(axis=0) if kind == "max" else stack.sum(axis=0) / len(views)
