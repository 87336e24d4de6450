"""The in-memory jet dataset (``JetData``), its HDF5 file format, and jet images built on load.

Contract: a ``JetData`` holds per-jet high-level features (N, F) float32, the top constituents (N, C, P) float32
(zero-padded, C = 50 for edgenn's own data), labels (N,) int64 indexing ``class_names``, and a ``meta`` dict. It checks
its own consistency at construction, so every holder of one can trust shapes, names and finiteness.

File layout (``save_jets``/``load_jets``): datasets ``features`` (N, F) float32, ``constituents`` (N, C, P) float32,
``labels`` (N,) int8, all gzip-compressed and chunked along N; root attributes ``format`` = "edgenn.jets",
``schema_version``, ``feature_names``, ``constituent_names``, ``class_names`` (JSON lists) and ``meta`` (a JSON
string). Images are not stored: they cost ~0.07 ms per jet to rebuild and would be ~90 % of the bytes.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import atomic_path

FORMAT_NAME = "edgenn.jets"
SCHEMA_VERSION = 1

CLASS_NAMES: tuple[str, ...] = ("q", "g", "W", "Z", "t")

HLF16: tuple[str, ...] = (
    "j_zlogz",
    "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt",
    "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt", "j_m2_b2_mmdt",
    "j_n2_b1_mmdt", "j_n2_b2_mmdt",
    "j_mass_mmdt", "j_multiplicity",
)
EXTRA_FEATURES: tuple[str, ...] = (
    "j_pt", "j_eta", "j_mass", "j_tau1_b1", "j_tau2_b1", "j_tau3_b1", "j_tau21_b1", "j_tau32_b1",
)
FEATURE_NAMES: tuple[str, ...] = HLF16 + EXTRA_FEATURES

CONSTITUENT_NAMES: tuple[str, ...] = ("rel_pt", "deta", "dphi", "log_pt", "log_e", "rel_e", "delta_r")
NUM_CONSTITUENTS = 50

_MAKE_COMMAND = "edgenn data generate jets --out <dir>"


@dataclasses.dataclass(frozen=True, eq=False)
class JetData:
    """Jets with features, constituents and labels; validated at construction.

    ``meta["source"]`` (if present) names the file the arrays came from and is used in error messages.
    """

    features: np.ndarray
    feature_names: tuple[str, ...]
    constituents: np.ndarray
    constituent_names: tuple[str, ...]
    labels: np.ndarray
    class_names: tuple[str, ...]
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise dtypes once here so that every consumer sees the documented types.
        set_ = object.__setattr__
        set_(self, "features", np.ascontiguousarray(self.features, dtype=np.float32))
        set_(self, "constituents", np.ascontiguousarray(self.constituents, dtype=np.float32))
        set_(self, "labels", np.ascontiguousarray(self.labels, dtype=np.int64))
        for name in ("feature_names", "constituent_names", "class_names"):
            set_(self, name, tuple(str(v) for v in getattr(self, name)))
        set_(self, "meta", dict(self.meta))
        _validate(self)

    @property
    def num_jets(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def select_features(self, names: Sequence[str]) -> np.ndarray:
        """Columns of ``features`` in the order of ``names`` (float32, shape (N, len(names)))."""
        if isinstance(names, str):
            names = (names,)
        index = {n: i for i, n in enumerate(self.feature_names)}
        unknown = [n for n in names if n not in index]
        if unknown:
            hints = []
            for n in unknown:
                close = difflib.get_close_matches(n, self.feature_names, n=1)
                hints.append(f"{n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise InvalidInputError(
                f"{self._where()}: unknown feature name(s) {', '.join(hints)}.",
                fix=f"choose from {', '.join(self.feature_names)}.",
            )
        return self.features[:, [index[n] for n in names]]

    def images(self, size: int = 32, extent: float = 0.8) -> np.ndarray:
        """Jet images (N, size, size) float32: pixel = sum of pT/pT_jet over constituents in that (Δη, Δφ) cell.

        Axis 1 is Δη, axis 2 is Δφ, both covering [-extent, extent); constituents outside are dropped.
        """
        return jet_images(self.constituents, self.constituent_names, size=size, extent=extent)

    def subset(self, indices: np.ndarray | Sequence[int]) -> JetData:
        idx = np.asarray(indices)
        return dataclasses.replace(
            self,
            features=self.features[idx],
            constituents=self.constituents[idx],
            labels=self.labels[idx],
            meta=dict(self.meta),
        )

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=self.num_classes)
        return {c: int(n) for c, n in zip(self.class_names, counts)}

    def _where(self) -> str:
        return str(self.meta.get("source", "JetData"))


def _validate(data: JetData) -> None:
    where = data._where()
    f, c, y = data.features, data.constituents, data.labels
    problems = []
    if f.ndim != 2:
        problems.append(f"features must be 2-D (N, F), got shape {f.shape}")
    elif f.shape[1] != len(data.feature_names):
        problems.append(f"features has {f.shape[1]} columns but {len(data.feature_names)} feature_names")
    if c.ndim != 3:
        problems.append(f"constituents must be 3-D (N, C, P), got shape {c.shape}")
    elif c.shape[2] != len(data.constituent_names):
        problems.append(f"constituents has {c.shape[2]} per-particle columns but "
                        f"{len(data.constituent_names)} constituent_names")
    if y.ndim != 1:
        problems.append(f"labels must be 1-D (N,), got shape {y.shape}")
    if not problems and not (f.shape[0] == c.shape[0] == y.shape[0]):
        problems.append(f"row counts differ: features {f.shape[0]}, constituents {c.shape[0]}, labels {y.shape[0]}")
    if len(set(data.feature_names)) != len(data.feature_names):
        problems.append("feature_names contains duplicates")
    if not data.class_names:
        problems.append("class_names is empty")
    if problems:
        raise InvalidInputError(f"{where}: " + "; ".join(problems) + ".",
                                fix=f"regenerate the file with `{_MAKE_COMMAND}`.")
    bad_f = int(np.count_nonzero(~np.isfinite(f).all(axis=1)))
    if bad_f:
        raise InvalidInputError(f"{where}: features: {bad_f} of {f.shape[0]} rows contain NaN or Inf.",
                                fix="drop or repair those jets before building a JetData.")
    # all(axis=(1, 2)), not reshape(N, -1): the latter fails for a file with zero jets
    bad_c = int(np.count_nonzero(~np.isfinite(c).all(axis=(1, 2))))
    if bad_c:
        raise InvalidInputError(f"{where}: constituents: {bad_c} of {c.shape[0]} jets contain NaN or Inf.",
                                fix="drop or repair those jets before building a JetData.")
    if y.size and (y.min() < 0 or y.max() >= len(data.class_names)):
        bad_y = int(np.count_nonzero((y < 0) | (y >= len(data.class_names))))
        raise InvalidInputError(
            f"{where}: labels: {bad_y} rows outside [0, {len(data.class_names)}) for classes {data.class_names}.",
            fix="labels must index class_names.")


def jet_images(constituents: np.ndarray, constituent_names: Sequence[str], *, size: int = 32,
               extent: float = 0.8) -> np.ndarray:
    """(N, size, size) float32 images from rel_pt/deta/dphi constituent columns (see ``JetData.images``)."""
    if size < 1 or not extent > 0:
        raise InvalidInputError(f"jet images: size must be >= 1 and extent > 0 (got size={size}, extent={extent}).",
                                fix="use e.g. size=32, extent=0.8.")
    names = list(constituent_names)
    missing = [n for n in ("rel_pt", "deta", "dphi") if n not in names]
    if missing:
        raise InvalidInputError(f"jet images need constituent columns {missing}, have {names}.",
                                fix="load data with rel_pt, deta and dphi per-particle columns.")
    pt = constituents[..., names.index("rel_pt")]
    ieta = np.floor((constituents[..., names.index("deta")] + extent) * (size / (2 * extent))).astype(np.int64)
    iphi = np.floor((constituents[..., names.index("dphi")] + extent) * (size / (2 * extent))).astype(np.int64)
    # Padding rows have rel_pt == 0 and must not land in the central pixel.
    keep = (pt > 0) & (ieta >= 0) & (ieta < size) & (iphi >= 0) & (iphi < size)
    jet = np.broadcast_to(np.arange(pt.shape[0])[:, None], pt.shape)
    flat = (jet[keep] * size + ieta[keep]) * size + iphi[keep]
    # float32 accumulation: the output alone is 4 KB per jet at 32x32, so no float64 intermediate (twice that).
    out = np.zeros(pt.shape[0] * size * size, dtype=np.float32)
    np.add.at(out, flat, pt[keep].astype(np.float32))
    return out.reshape(pt.shape[0], size, size)


def save_jets(path: Path, data: JetData) -> Path:
    """Write ``data`` to an HDF5 file atomically (temporary sibling, fsync, rename). Returns the path."""
    import h5py

    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            n = data.num_jets
            chunk = max(1, min(n, 1024))
            opts = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
            h5.create_dataset("features", data=data.features, chunks=(chunk, data.features.shape[1]), **opts)
            h5.create_dataset("constituents", data=data.constituents,
                              chunks=(chunk, *data.constituents.shape[1:]), **opts)
            # int8 holds up to 127 classes; checked so that a wider label set fails here, not silently on load.
            if data.num_classes > 127:
                raise InvalidInputError(f"{path}: {data.num_classes} classes do not fit the int8 label column.")
            h5.create_dataset("labels", data=data.labels.astype(np.int8), chunks=(chunk,), **opts)
            h5.attrs["format"] = FORMAT_NAME
            h5.attrs["schema_version"] = SCHEMA_VERSION
            h5.attrs["feature_names"] = json.dumps(list(data.feature_names))
            h5.attrs["constituent_names"] = json.dumps(list(data.constituent_names))
            h5.attrs["class_names"] = json.dumps(list(data.class_names))
            meta = {k: v for k, v in data.meta.items() if k != "source"}
            h5.attrs["meta"] = json.dumps(meta, sort_keys=True, default=_json_default)
    return path


def load_jets(path: Path) -> JetData:
    """Read a file written by ``save_jets`` (or a dataset directory containing ``jets.h5``)."""
    import h5py

    from edgenn.records.dataset import dataset_file

    path = Path(path)
    if path.is_dir():
        path = dataset_file(path, "jets")
    if not path.is_file():
        raise MissingArtifactError(f"{path}: jet dataset not found.", fix=f"create it with `{_MAKE_COMMAND}`.")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidInputError(f"{path}: not an HDF5 file ({exc}).",
                                fix=f"pass a file written by `{_MAKE_COMMAND}`.") from exc
    with h5:
        missing = [k for k in ("features", "constituents", "labels") if k not in h5]
        attrs_missing = [k for k in ("feature_names", "constituent_names", "class_names", "meta") if k not in h5.attrs]
        if h5.attrs.get("format") != FORMAT_NAME or missing or attrs_missing:
            raise InvalidInputError(
                f"{path}: not an edgenn jet file (format={h5.attrs.get('format')!r}, missing datasets {missing}, "
                f"missing attributes {attrs_missing}).",
                fix=f"pass a file written by `{_MAKE_COMMAND}`, or read public hls4ml files with read_hls4ml_jets.")
        version = int(h5.attrs.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise InvalidInputError(f"{path}: schema_version {version} is newer than this edgenn reads "
                                    f"({SCHEMA_VERSION}).", fix="upgrade edgenn.")
        try:
            names = {k: tuple(json.loads(h5.attrs[k])) for k in ("feature_names", "constituent_names", "class_names")}
            meta = json.loads(h5.attrs["meta"])
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{path}: corrupt name/meta attributes ({exc}).",
                                    fix=f"regenerate it with `{_MAKE_COMMAND}`.") from exc
        features = h5["features"][()]
        constituents = h5["constituents"][()]
        labels = h5["labels"][()]
    meta["source"] = str(path)
    return JetData(features=features, constituents=constituents, labels=labels, meta=meta, **names)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, (np.ndarray, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
