"""The in-memory trigger-event dataset (``EventData``) and its HDF5 file format.

Contract: an ``EventData`` holds per-event trigger objects (N, 19, 3) float32 in the ADC2021 order (MET, 4 e, 4 mu,
10 jets; columns pT [GeV], eta, phi; zero rows for absent objects), the process index of each event (N,) int64 into
``process_names``, the names of the Standard Model processes (``background_names``, the rest are signals) and a
per-event weight (N,) float64 in pb (cross-section x preselection efficiency / events kept, so that the weights of a
process sum to its accepted cross-section). It checks itself at construction: shapes, finiteness, index ranges.

The background used for training is the SM *mixture*: each process in proportion to its accepted cross-section
(``background_mixture``), drawn without replacement and therefore limited by the process with the fewest events
relative to its share.

File layout (``save_events``/``load_events``): datasets ``objects`` (N, 19, 3) float32, ``process`` (N,) int8,
``weights`` (N,) float64 and, from streams with calorimeter-region images, ``regions`` (N, 18, 14) float32, all
gzip-compressed; root attributes ``format`` = "edgenn.events", ``schema_version``,
``process_names``, ``background_names``, ``object_features`` (JSON lists) and ``meta`` (JSON).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import edgenn.filenames as filenames
from edgenn.datasets.calo_regions import REGION_SHAPE
from edgenn.datasets.events_pythia import NUM_OBJECTS, OBJECT_FEATURES
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import atomic_path

FORMAT_NAME = "edgenn.events"
SCHEMA_VERSION = 1
DATASET_FILE = filenames.EVENTS
NUM_INPUTS = NUM_OBJECTS * len(OBJECT_FEATURES)

_MAKE_COMMAND = "edgenn data generate events --out <dir>"


# A background process with fewer rows than this does not set the size of a mixture (``background_mixture``).
MIN_MIXTURE_EVENTS = 20


@dataclasses.dataclass(frozen=True, eq=False)
class EventData:
    """Trigger-level events of several processes; validated at construction (see module docstring)."""

    objects: np.ndarray
    process: np.ndarray
    process_names: tuple[str, ...]
    background_names: tuple[str, ...]
    weights: np.ndarray
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    # (N, 18, 14) float32 calorimeter-region ET (``calo_regions``), written by streams that declare it; else None
    regions: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.regions is not None:
            set_(self, "regions", np.ascontiguousarray(self.regions, dtype=np.float32))
        set_(self, "objects", np.ascontiguousarray(self.objects, dtype=np.float32))
        set_(self, "process", np.ascontiguousarray(self.process, dtype=np.int64))
        set_(self, "weights", np.ascontiguousarray(self.weights, dtype=np.float64))
        set_(self, "process_names", tuple(str(v) for v in self.process_names))
        set_(self, "background_names", tuple(str(v) for v in self.background_names))
        set_(self, "meta", dict(self.meta))
        _validate(self)

    @property
    def num_events(self) -> int:
        return int(self.process.shape[0])

    @property
    def signal_names(self) -> tuple[str, ...]:
        return tuple(p for p in self.process_names if p not in self.background_names)

    def features(self) -> np.ndarray:
        """(N, 57) float32: the objects flattened row by row (MET pT, eta, phi, e1 pT, ...), as ADC2021 models take."""
        return self.objects.reshape(self.num_events, -1)

    def region_images(self) -> np.ndarray:
        """(N, 18, 14, 1) float32 region ET images (GeV), channels last as Conv2D takes them.

        Raises InvalidInputError when the dataset was written by a stream without region images."""
        if self.regions is None:
            stream = self.meta.get("stream", "an older edgenn")
            raise InvalidInputError(
                f"{self._where()}: no calorimeter-region images in this dataset (stream {stream!r} does not write "
                "them).", fix="generate events with a stream that does: `edgenn data generate events --stream "
                              "zero_bias --pileup-mu 20 --out <dir>`.")
        return self.regions[..., None]

    def indices(self, name: str) -> np.ndarray:
        """Row indices of one process; an unknown name is an error listing the known ones."""
        if name not in self.process_names:
            raise InvalidInputError(f"{self._where()}: unknown process {name!r}; this dataset has "
                                    f"{', '.join(self.process_names)}.", fix="use one of those names.")
        return np.flatnonzero(self.process == self.process_names.index(name))

    def is_background(self) -> np.ndarray:
        codes = [self.process_names.index(b) for b in self.background_names]
        return np.isin(self.process, codes)

    def accepted_cross_sections_pb(self) -> dict[str, float]:
        """sigma x efficiency per process (pb): the sum of its events' weights."""
        return {p: float(self.weights[self.process == k].sum()) for k, p in enumerate(self.process_names)}

    def mixture_fractions(self) -> dict[str, float]:
        xs = self.accepted_cross_sections_pb()
        total = sum(xs[b] for b in self.background_names)
        if total <= 0:
            raise InvalidInputError(f"{self._where()}: no background process has a positive accepted cross-section.",
                                    fix="generate more background events (raise --events-per-process).")
        return {b: xs[b] / total for b in self.background_names}

    def background_mixture(self, rng: np.random.Generator, rows: np.ndarray | None = None) -> np.ndarray:
        """Indices (sorted) of a background sample whose process shares follow ``mixture_fractions``.

        ``rows`` restricts the draw to those row indices (e.g. one split). Each process contributes
        round(M * fraction) events, M being the largest size every process can supply without replacement. A process
        with fewer than ``MIN_MIXTURE_EVENTS`` rows does not limit M: a weighted QCD slice with one or two events
        passing a 1e-5 filter would otherwise shrink the whole mixture to a handful of events (or to none in a split
        it has no event in). Such a process contributes the rows it has, so it is under-represented; its true share
        is in the weights (``weights``), which a weighted evaluation uses.
        """
        fractions = self.mixture_fractions()
        pool = np.arange(self.num_events) if rows is None else np.asarray(rows)
        per_process = {b: pool[self.process[pool] == self.process_names.index(b)] for b in self.background_names}
        limits = [len(per_process[b]) / f for b, f in fractions.items()
                  if f > 0 and len(per_process[b]) >= MIN_MIXTURE_EVENTS]
        if not limits:  # every process is sparse: the plain rule, so that the mixture is still in proportion
            limits = [len(per_process[b]) / f for b, f in fractions.items() if f > 0]
        size = min(limits) if limits else 0.0
        chosen = []
        for b, f in fractions.items():
            n = min(len(per_process[b]), int(round(size * f)))
            if n:
                chosen.append(rng.choice(per_process[b], size=n, replace=False))
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)

    def subset(self, indices: np.ndarray | Sequence[int]) -> EventData:
        idx = np.asarray(indices)
        return dataclasses.replace(self, objects=self.objects[idx], process=self.process[idx],
                                   weights=self.weights[idx], meta=dict(self.meta),
                                   regions=None if self.regions is None else self.regions[idx])

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.process, minlength=len(self.process_names))
        return {p: int(c) for p, c in zip(self.process_names, n)}

    def _where(self) -> str:
        return str(self.meta.get("source", "EventData"))


def _validate(data: EventData) -> None:
    where = data._where()
    o, p, w = data.objects, data.process, data.weights
    problems = []
    if o.ndim != 3 or o.shape[1:] != (NUM_OBJECTS, len(OBJECT_FEATURES)):
        problems.append(f"objects must have shape (N, {NUM_OBJECTS}, {len(OBJECT_FEATURES)}) "
                        f"(MET, 4 e, 4 mu, 10 jets x pT, eta, phi), got {o.shape}")
    if p.ndim != 1 or w.ndim != 1:
        problems.append(f"process and weights must be 1-D, got {p.shape} and {w.shape}")
    elif o.ndim and not (o.shape[0] == p.shape[0] == w.shape[0]):
        problems.append(f"row counts differ: objects {o.shape[0]}, process {p.shape[0]}, weights {w.shape[0]}")
    if not data.process_names:
        problems.append("process_names is empty")
    unknown = [b for b in data.background_names if b not in data.process_names]
    if unknown:
        problems.append(f"background_names {unknown} are not in process_names {list(data.process_names)}")
    r = data.regions
    if r is not None and (r.ndim != 3 or r.shape[1:] != REGION_SHAPE or (o.ndim and r.shape[0] != o.shape[0])):
        problems.append(f"regions must have shape (N, {REGION_SHAPE[0]}, {REGION_SHAPE[1]}) with N = {o.shape[0]} "
                        f"(phi x eta calorimeter regions), got {r.shape}")
    elif r is not None and not np.isfinite(r).all():
        problems.append("regions contain NaN or Inf")
    if problems:
        raise InvalidInputError(f"{where}: " + "; ".join(problems) + ".",
                                fix=f"regenerate the file with `{_MAKE_COMMAND}`.")
    bad = int(np.count_nonzero(~np.isfinite(o.reshape(o.shape[0], -1)).all(axis=1)))
    if bad:
        raise InvalidInputError(f"{where}: objects: {bad} of {o.shape[0]} events contain NaN or Inf.",
                                fix="drop or repair those events before building an EventData.")
    if p.size and (p.min() < 0 or p.max() >= len(data.process_names)):
        raise InvalidInputError(f"{where}: process indices outside [0, {len(data.process_names)}).",
                                fix="process must index process_names.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidInputError(f"{where}: weights must be finite and >= 0.", fix="regenerate the file.")


def save_events(path: Path, data: EventData) -> Path:
    """Write ``data`` to an HDF5 file atomically (temporary sibling, fsync, rename). Returns the path."""
    import h5py

    path = Path(path)
    if len(data.process_names) > 127:
        raise InvalidInputError(f"{path}: {len(data.process_names)} processes do not fit the int8 process column.")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        chunk = max(1, min(data.num_events, 4096))
        opts = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        h5.create_dataset("objects", data=data.objects, chunks=(chunk, *data.objects.shape[1:]), **opts)
        h5.create_dataset("process", data=data.process.astype(np.int8), chunks=(chunk,), **opts)
        h5.create_dataset("weights", data=data.weights, chunks=(chunk,), **opts)
        if data.regions is not None:
            h5.create_dataset("regions", data=data.regions, chunks=(chunk, *REGION_SHAPE), **opts)
        h5.attrs["format"] = FORMAT_NAME
        h5.attrs["schema_version"] = SCHEMA_VERSION
        h5.attrs["process_names"] = json.dumps(list(data.process_names))
        h5.attrs["background_names"] = json.dumps(list(data.background_names))
        h5.attrs["object_features"] = json.dumps(list(OBJECT_FEATURES))
        h5.attrs["meta"] = json.dumps({k: v for k, v in data.meta.items() if k != "source"}, sort_keys=True)
    return path


def load_events(path: Path) -> EventData:
    """Read a file written by ``save_events`` (or a dataset directory containing ``events.h5``)."""
    import h5py

    from edgenn.records.dataset import dataset_file

    path = Path(path)
    if path.is_dir():
        path = dataset_file(path, "events")
    if not path.is_file():
        raise MissingArtifactError(f"{path}: event dataset not found.", fix=f"create it with `{_MAKE_COMMAND}`.")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidInputError(f"{path}: not an HDF5 file ({exc}).",
                                fix=f"pass a file written by `{_MAKE_COMMAND}`.") from exc
    with h5:
        if h5.attrs.get("format") != FORMAT_NAME:
            hint = " (an ADC2021 file? read it with read_adc2021)" if "Particles" in h5 else ""
            raise InvalidInputError(f"{path}: not an edgenn event file (format={h5.attrs.get('format')!r}){hint}.",
                                    fix=f"pass a file written by `{_MAKE_COMMAND}`, or set data.format: adc2021.")
        version = int(h5.attrs.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise InvalidInputError(f"{path}: schema_version {version} is newer than this edgenn reads "
                                    f"({SCHEMA_VERSION}).", fix="upgrade edgenn.")
        try:
            names = {k: tuple(json.loads(h5.attrs[k])) for k in ("process_names", "background_names")}
            meta = json.loads(h5.attrs["meta"])
            objects, process, weights = h5["objects"][()], h5["process"][()], h5["weights"][()]
            regions = h5["regions"][()] if "regions" in h5 else None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"{path}: corrupt event file ({exc}).",
                                    fix=f"regenerate it with `{_MAKE_COMMAND}`.") from exc
    meta["source"] = str(path)
    return EventData(objects=objects, process=process, weights=weights, meta=meta, regions=regions, **names)
