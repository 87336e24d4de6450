"""From a dataset on disk to the arrays a model sees: class selection, a seeded stratified split, standardisation.

The standardiser (``edgenn.standardize``) is fitted on the training split only and saved with the model:
per feature for high-level features, per particle feature over real (non-padded) particles for constituents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.config.recipe import DataSpec
from edgenn.standardize import Standardizer
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.splits import SplitRecord


@dataclass(frozen=True)
class Split:
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class PreparedData:
    train: Split
    val: Split
    test: Split
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    standardizer: Standardizer | None
    source: Path
    split: SplitRecord | None = None  # the rows drawn (saved by the training stage as splits.npz)


def dataset_file(spec: DataSpec) -> Path | list[Path]:
    path = Path(spec.path)
    if spec.format == "hls4ml":
        files = sorted(path.glob("*.h5")) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise MissingArtifactError(f"{path}: no hls4ml jet HDF5 files found.",
                                       fix="point data.path at the .h5 file(s) of the public hls4ml jet dataset.")
        return files
    h5 = path if path.suffix in (".h5", ".hdf5") else path / filenames.JETS
    if path.is_dir():
        from edgenn.records.dataset import dataset_file

        h5 = dataset_file(path, "jets")  # through the dataset's record when it has one
    if not h5.is_file():
        raise MissingArtifactError(
            f"dataset {h5} not found.",
            fix=f"make it with `{spec.generate.command(path if h5 != path else path.parent)}` "
                "(data.generate in the recipe; or set data.path to an existing dataset).")
    return h5


def load_dataset(spec: DataSpec):
    from edgenn.datasets import load_jets, read_hls4ml_jets

    src = dataset_file(spec)
    return read_hls4ml_jets(src) if spec.format == "hls4ml" else load_jets(src)


def stratified_split(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> SplitRecord:
    return SplitRecord.draw(labels, val_fraction, test_fraction, seed)


def prepare(spec: DataSpec, input_kind: str, seed: int, *, standardizer: Standardizer | None = None,
            split: SplitRecord | None = None) -> PreparedData:
    """Load, select classes and inputs, split with ``seed`` (or take the rows of the model's saved ``split``),
    standardise (fitting on train unless one is given)."""
    from edgenn.datasets import HLF16

    data = load_dataset(spec)
    missing = [c for c in spec.classes if c not in data.class_names]
    if missing:
        raise InvalidInputError(f"{spec.path}: dataset has classes {list(data.class_names)}, recipe asks for {missing}.",
                                fix="generate them or remove them from data.classes.")
    keep_old = [data.class_names.index(c) for c in spec.classes]
    sel = np.isin(data.labels, keep_old)
    remap = {old: new for new, old in enumerate(keep_old)}
    labels = np.array([remap[v] for v in data.labels[sel]], dtype=np.int64)
    present = np.unique(labels)
    if len(present) < 2:
        raise InvalidInputError(f"{spec.path}: only one class ({spec.classes[int(present[0])] if len(present) else 'none'}) "
                                "has any rows; a classifier needs at least two.", fix="generate the other classes.")
    if input_kind == "features":
        names = HLF16 if spec.features == "hlf16" else tuple(spec.features)
        unknown = [n for n in names if n not in data.feature_names]
        if unknown:
            raise InvalidInputError(f"data.features: unknown feature(s) {unknown}; the dataset has "
                                    f"{', '.join(data.feature_names)}.", fix="use names from that list or 'hlf16'.")
        x = data.select_features(list(names))[sel]
    elif input_kind == "constituents":
        names = tuple(spec.constituent_features or data.constituent_names)
        unknown = [n for n in names if n not in data.constituent_names]
        if unknown:
            raise InvalidInputError(f"data.constituent_features: unknown feature(s) {unknown}; the dataset has "
                                    f"{', '.join(data.constituent_names)}.", fix="use names from that list.")
        cols = [data.constituent_names.index(n) for n in names]
        x = data.constituents[sel][:, : spec.num_constituents][..., cols]
    else:
        names = ("pixel",)
        x = data.images(size=spec.image_size, extent=spec.image_extent)[sel][..., None]
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x.reshape(len(x), -1))).any(axis=1).sum())
        raise InvalidInputError(f"{spec.path}: {bad} row(s) contain NaN or Inf.", fix="remove or repair those rows.")
    if split is None:
        split = stratified_split(labels, spec.val_fraction, spec.test_fraction, seed)
    else:
        split.check_matches(labels, str(spec.path))
    i_tr, i_va, i_te = split.train, split.val, split.test
    if min(len(i_tr), len(i_va), len(i_te)) == 0:
        raise InvalidInputError(f"{spec.path}: {len(labels)} rows are too few to split into train/val/test.",
                                fix="generate more jets (e.g. --jets-per-class 200).")
    x, standardizer = standardize(x.astype(np.float32), x_train_rows=i_tr, input_kind=input_kind,
                                  names=tuple(names), standardizer=standardizer)
    return PreparedData(Split(x[i_tr], labels[i_tr]), Split(x[i_va], labels[i_va]), Split(x[i_te], labels[i_te]),
                        tuple(spec.classes), tuple(names), standardizer, Path(spec.path), split)


def standardize(x: np.ndarray, *, x_train_rows: np.ndarray, input_kind: str, names: tuple[str, ...],
                standardizer: Standardizer | None) -> tuple[np.ndarray, Standardizer | None]:
    """Standardise ``x`` per feature with ``standardizer``, or one fitted on ``x[x_train_rows]``.

    Features: over all training rows. Constituents: over the real particles of the training jets, padding kept at
    exactly zero (``Standardizer.fit_real_particles``; log_pt spans ~0-7 while angles stay within +-0.8, and unscaled
    inputs slowed the graph families' training). Images are left as pT fractions in [0, 1] (already on one scale).
    """
    if input_kind == "images":
        return x, None
    if standardizer is None:
        fit = Standardizer.fit_real_particles if input_kind == "constituents" else Standardizer.fit
        standardizer = fit(x[x_train_rows], names)
    elif standardizer.zero_padded != (input_kind == "constituents") or tuple(standardizer.feature_names) != names:
        raise InvalidInputError(
            f"the model's standardizer.json is for {'constituents' if standardizer.zero_padded else 'features'} "
            f"{list(standardizer.feature_names)}, the recipe gives {input_kind} {list(names)}.",
            fix="use the standardizer.json saved with this model's run and the run's own recipe.")
    return standardizer.apply(x), standardizer
