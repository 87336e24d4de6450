"""Reader for the public ADC2021 anomaly-detection challenge files ("Anomaly Detection Challenge 2021", 40 MHz).

Layout (as read by the challenge's example code, mpp-hep/ADC2021-examplecode): dataset ``Particles`` of shape
(N, 19, 4) with per-object (pT, eta, phi, type); rows 0 = MET, 1-4 = electrons, 5-8 = muons, 9-18 = jets; type codes
1 = MET, 2 = electron, 3 = muon, 4 = jet, 0 = absent (zero padded). The example code drops the last column and feeds
the remaining (N, 19, 3) to its models, which is exactly ``EventData.objects``.

One file holds one process; the caller names it and says whether it is background (the challenge ships the SM
mixture as ``background_for_training.h5`` and each signal in its own file). Weights are not in the files: the SM
file is already a mixture, so every background event gets weight 1 / N (equal shares) and signals likewise.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from edgenn.datasets.event_data import EventData
from edgenn.datasets.events_pythia import NUM_OBJECTS, OBJECT_TYPES
from edgenn.errors import InvalidInputError, MissingArtifactError

PARTICLES_KEY = "Particles"


def read_adc2021_particles(path: Path, *, max_events: int | None = None) -> np.ndarray:
    """The (N, 19, 3) float32 (pT, eta, phi) objects of one ADC2021 file; validates layout, types and finiteness."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(f"{path}: ADC2021 file not found.", fix="check the path to the .h5 file.")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidInputError(f"{path}: not an HDF5 file ({exc}).", fix="pass an ADC2021 .h5 file.") from exc
    with h5:
        if PARTICLES_KEY not in h5:
            raise InvalidInputError(f"{path}: no dataset {PARTICLES_KEY!r} (found {sorted(h5.keys())}).",
                                    fix="pass an ADC2021 file (key 'Particles', shape (N, 19, 4)).")
        ds = h5[PARTICLES_KEY]
        if ds.ndim != 3 or ds.shape[1:] != (NUM_OBJECTS, 4):
            raise InvalidInputError(f"{path}: {PARTICLES_KEY} has shape {ds.shape}, expected (N, {NUM_OBJECTS}, 4) "
                                    "(MET, 4 e, 4 mu, 10 jets x pT, eta, phi, type).",
                                    fix="pass an ADC2021 file in the challenge layout.")
        raw = np.asarray(ds[: max_events] if max_events else ds[()], dtype=np.float32)
    bad = int((~np.isfinite(raw.reshape(len(raw), -1))).any(axis=1).sum())
    if bad:
        raise InvalidInputError(f"{path}: {bad} of {len(raw)} events contain NaN or Inf.",
                                fix="remove or repair those events.")
    types = raw[..., 3]
    expected = np.asarray(OBJECT_TYPES, dtype=np.float32)
    wrong = (types != 0) & (types != expected[None, :])
    if wrong.any():
        row = int(np.argwhere(wrong)[0][1])
        raise InvalidInputError(f"{path}: object row {row} has type {types[wrong][0]:g}, expected "
                                f"{expected[row]:g} or 0 (the rows are MET, 4 e, 4 mu, 10 jets).",
                                fix="pass a file in the ADC2021 object order.")
    return np.ascontiguousarray(raw[..., :3])


def read_adc2021(files: Mapping[str, Path], *, background: tuple[str, ...] = ("background",),
                 max_events: int | None = None) -> EventData:
    """Read several ADC2021 files, one per process name, into one ``EventData``.

    Example:
        >>> read_adc2021({"background": Path("background_for_training.h5"),
        ...               "ato4l": Path("Ato4l_lepFilter_13TeV.h5")})  # doctest: +SKIP
    """
    if not files:
        raise InvalidInputError("read_adc2021: no files given.", fix="pass {process_name: path, ...}.")
    missing = [b for b in background if b not in files]
    if missing:
        raise InvalidInputError(f"read_adc2021: background process(es) {missing} have no file; got "
                                f"{sorted(files)}.", fix="name the SM file 'background' or pass background=(...).")
    objects, process, weights = [], [], []
    for code, (name, path) in enumerate(files.items()):
        obj = read_adc2021_particles(Path(path), max_events=max_events)
        objects.append(obj)
        process.append(np.full(len(obj), code, dtype=np.int64))
        weights.append(np.full(len(obj), 1.0 / max(len(obj), 1)))
    return EventData(objects=np.concatenate(objects), process=np.concatenate(process),
                     weights=np.concatenate(weights), process_names=tuple(files), background_names=background,
                     meta={"source": ", ".join(str(p) for p in files.values()), "format": "adc2021"})
