"""Latency of an hls4ml io_stream design: a chain of dataflow processes connected by FIFOs.

Every process reads its input stream one element at a time (a pixel's channels, or one vector): a convolution or
pooling reads the image pixel by pixel, a Dense reads the flattened feature map element by element before it
computes, an activation handles one element per cycle. So a process over ``N`` input elements takes
``(N - 1) * p + d`` cycles, ``p`` the cycles between two elements it reads and ``d`` the cycles one element takes
through it. The layer models give ``p`` and ``d`` per element (a convolution's per-pixel multiplier schedule, a
Dense's kernel latency); this module counts the elements, which follow the graph (the input's, a convolution,
pooling or upsampling sets its output pixels, a Dense collapses them to one, other layers keep them).

The design's latency, as csynth reports it for these dataflow regions: the slowest process, plus one element's
passage through every process after it. That is the schedule's shape, not a simulation of the FIFOs.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgenn.estimates.resources import DesignSpec, Estimate

# layers an hls4ml io_stream design runs as dataflow processes of their own; input and reshape are not processes
_NOT_PROCESSES = ("input", "reshape")
# processes whose output stream has another number of pixels than their input (their spec's ``out_pixels``)
_RESHAPES_PIXELS = ("conv2d", "pool2d", "upsample")


@dataclass(frozen=True)
class ProcessTiming:
    name: str
    elements: int     # input stream elements the process reads
    interval: int     # cycles between two elements (p)
    depth: int        # cycles one element takes through the process (d)

    @property
    def latency(self) -> int:
        return (self.elements - 1) * self.interval + self.depth


def stream_elements(design: DesignSpec) -> dict[str, int]:
    """Input stream elements of every layer of an io_stream design (module docstring)."""
    out: dict[str, int] = {}
    elements = 1
    for layer in design.layers:
        if layer.kind == "input":
            per_element = max(1, layer.stream_bits // max(1, layer.result_width))
            elements = max(1, layer.n_out // per_element)
            continue
        out[layer.name] = elements
        if layer.kind in _RESHAPES_PIXELS:
            elements = int(getattr(layer, "out_pixels", elements))
        elif layer.kind == "dense":
            elements = 1
    return out


def process_timing(layer, est: Estimate, elements: int) -> ProcessTiming:
    """(elements, interval, depth) of one process from its layer estimate. A convolution or pooling estimate is
    already the whole image (II = pixels x per-pixel interval); a Dense estimate is its kernel, which runs once
    after the reads; element-wise layers are estimated for one element."""
    lat, ii = int(est.latency_cycles.value), max(1, int(est.ii_cycles.value))
    if layer.kind in _RESHAPES_PIXELS:
        interval = max(1, ii // max(1, elements))
        return ProcessTiming(layer.name, elements, interval, max(1, lat - ii + interval))
    if layer.kind == "dense":
        return ProcessTiming(layer.name, elements, 1, lat + 1) if elements > 1 else \
            ProcessTiming(layer.name, 1, 1, max(1, lat))
    return ProcessTiming(layer.name, elements, ii, max(1, lat))


def process_timings(design: DesignSpec, estimates: tuple[Estimate, ...]) -> list[ProcessTiming]:
    elements = stream_elements(design)
    return [process_timing(layer, est, elements.get(layer.name, 1))
            for layer, est in zip(design.layers, estimates) if layer.kind not in _NOT_PROCESSES]


def dataflow_latency_cycles(design: DesignSpec, estimates: tuple[Estimate, ...]) -> int:
    """The slowest process's latency plus one element's depth through every process after it (module docstring)."""
    timings = process_timings(design, estimates)
    if not timings:
        return 0
    return max(t.latency + sum(after.depth for after in timings[i + 1:]) for i, t in enumerate(timings))
