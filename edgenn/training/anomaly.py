"""The anomaly-detection task's data and training pieces (used by ``edgenn.tasks.anomaly``).

Data: the events of ``data.path`` are split per process (train/val/test, seeded); the model is fitted on the SM
*mixture* of the train and val rows (``EventData.background_mixture``: each process in proportion to sigma x
efficiency) and never sees a label or a signal. Evaluation uses the test rows: the background mixture and every
signal listed in ``data.signals`` (default: all signals in the dataset). Inputs are the 57 object features,
standardised per object type and feature (pooled over slots, absent objects kept at zero; pT scaled but not
centred) with statistics of the training background (saved as ``standardizer.json``); a family of input kind
``regions`` reads the dataset's calorimeter-region images instead, (N, 18, 14, 1), scaled by one RMS
(``region_standardizer``).

Losses: reconstruction = MSE over the objects present (``anomaly_mask``: zero-padded slots are masked, as in the
ADC2021 tutorial); VAE = the same masked MSE + beta * KL, with the reparametrisation noise fed as an input so the
model holds only standard Keras layers; student = MSE regression of log(teacher reconstruction error) on the training
events plus teacher-labelled noisy copies of them (``anomaly.student_augment``, ``distillation_inputs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.splits import SplitRecord
from edgenn.artifacts import ModelArtifact
from edgenn.config.recipe import Recipe
from edgenn.standardize import Standardizer
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.seeding import stage_seed

@dataclass(frozen=True)
class AnomalyData:
    x_train: np.ndarray  # background mixture, standardised
    x_val: np.ndarray
    x_test: np.ndarray  # test background mixture + signals
    test_process: np.ndarray
    test_background: np.ndarray  # boolean mask over x_test
    process_names: tuple[str, ...]
    background_names: tuple[str, ...]
    signals: tuple[str, ...]
    standardizer: Standardizer
    source: Path
    split: SplitRecord | None = None  # the event rows drawn (saved by the training stage as splits.npz)


def feature_names() -> tuple[str, ...]:
    from edgenn.datasets.events_pythia import NUM_ELECTRONS, NUM_JETS, NUM_MUONS, OBJECT_FEATURES

    objs = ["met"] + [f"e{i}" for i in range(NUM_ELECTRONS)] + [f"mu{i}" for i in range(NUM_MUONS)] + \
        [f"jet{i}" for i in range(NUM_JETS)]
    return tuple(f"{o}_{f}" for o in objs for f in OBJECT_FEATURES)


def check_inputs(x: np.ndarray, where: str) -> None:
    """Bad input gets one clear line: wrong feature count, NaN/Inf rows."""
    from edgenn.datasets.event_data import NUM_INPUTS

    if x.ndim != 2 or x.shape[1] != NUM_INPUTS:
        raise InvalidInputError(f"{where}: inputs have shape {x.shape}, anomaly models take (N, {NUM_INPUTS}) "
                                "(MET, 4 e, 4 mu, 10 jets x pT, eta, phi).",
                                fix="pass events in the ADC2021 layout (EventData.features()).")
    bad = int((~np.isfinite(x)).any(axis=1).sum())
    if bad:
        raise InvalidInputError(f"{where}: {bad} of {len(x)} rows contain NaN or Inf.",
                                fix="remove or repair those events.")


def prepare_events(recipe: Recipe, *, standardizer: Standardizer | None = None,
                   split: SplitRecord | None = None) -> AnomalyData:
    from edgenn.datasets.event_data import load_events
    from edgenn.training.inputs import stratified_split

    spec = recipe.data
    path = Path(spec.path)
    if not (path / filenames.EVENTS).is_file() and not path.is_file():
        raise MissingArtifactError(f"event dataset {path} not found.",
                                   fix=f"make it with `edgenn data generate events --out {path}`.")
    data = load_events(path)
    signals = tuple(spec.signals) if spec.signals is not None else data.signal_names
    unknown = [s for s in signals if s not in data.signal_names]
    if unknown:
        raise InvalidInputError(f"data.signals: unknown signal(s) {unknown}; {path} has "
                                f"{', '.join(data.signal_names) or 'no signals'}.", fix="use names from that list.")
    from edgenn.architectures.registry import get_family

    regions = get_family(recipe.model.family).input_kind == "regions"
    x_all = data.region_images() if regions else data.features()  # region images: an error naming the fix if absent
    if not regions:
        check_inputs(x_all, str(path))
    if split is None:
        split = stratified_split(data.process, spec.val_fraction, spec.test_fraction, stage_seed(recipe.seed, "split"))
    else:
        split.check_matches(data.process, str(path))
    i_tr, i_va, i_te = split.train, split.val, split.test
    mix_rng = np.random.default_rng(stage_seed(recipe.seed, "mixture"))
    tr, va, te_b = (data.background_mixture(mix_rng, rows) for rows in (i_tr, i_va, i_te))
    if min(len(tr), len(va), len(te_b)) < 2:
        raise InvalidInputError(f"{path}: too few background events for a train/val/test mixture "
                                f"({len(tr)}/{len(va)}/{len(te_b)}).", fix="generate more (--events-per-process).")
    sig_codes = [data.process_names.index(s) for s in signals]
    te_s = i_te[np.isin(data.process[i_te], sig_codes)]
    test = np.r_[te_b, te_s]
    if standardizer is None and regions:
        standardizer = region_standardizer(x_all[tr])
    elif standardizer is None:
        from edgenn.datasets.events_pythia import OBJECT_FEATURES, OBJECT_TYPES

        # pT is scaled but not centred, so "no object" (0) stays below every real object; measured on the 185k-event
        # sample, this raised the VAE's AUC on all four signals (H2->4l 0.49 -> 0.68) and the AE's on H2->4l
        standardizer = Standardizer.fit_objects(x_all[tr], feature_names(), OBJECT_TYPES,
                                                centre=tuple(f != "pt" for f in OBJECT_FEATURES))
    return AnomalyData(standardizer.apply(x_all[tr]), standardizer.apply(x_all[va]), standardizer.apply(x_all[test]),
                       data.process[test], np.r_[np.ones(len(te_b), bool), np.zeros(len(te_s), bool)],
                       data.process_names, data.background_names, signals, standardizer, path, split)


def region_standardizer(x_train: np.ndarray) -> Standardizer:
    """Region images divided by one scale, the RMS region ET of the training background, and not centred: an empty
    region stays exactly 0 and every region keeps the same energy scale (the CMS region sums share one ET LSB)."""
    from edgenn.datasets.calo_regions import REGION_FEATURE

    rms = float(np.sqrt(np.mean(np.square(x_train, dtype=np.float64)))) if x_train.size else 1.0
    return Standardizer((REGION_FEATURE,), np.zeros(1), np.array([rms if rms > 0 else 1.0]))


def reconstruction_error(model, x: np.ndarray) -> np.ndarray:
    """The autoencoder's anomaly score: squared error over the inputs present (absent objects masked; every region
    of a calorimeter image counts, ``anomaly_mask.reconstruction_error``)."""
    from edgenn.training.anomaly_mask import reconstruction_error as error

    return error(x, model.predict(x, batch_size=4096, verbose=0))


def log_error(errors: np.ndarray) -> np.ndarray:
    """log of a reconstruction error, floored so a perfect reconstruction stays finite: the student's target."""
    return np.log(np.maximum(errors, 1e-6))


def student_target(errors: np.ndarray) -> np.ndarray:
    """``log_error`` as the (N, 1) float32 regression target of the student."""
    return log_error(errors).astype(np.float32)[:, None]


def distillation_inputs(x: np.ndarray, copies: float, seed: int) -> np.ndarray:
    """``x`` plus ``round(copies * len(x))`` noisy copies of its rows, for the teacher to label.

    Each copy adds Gaussian noise whose width (in standardised units) is drawn log-uniformly in [0.1, 5] per copy:
    small widths stay near the background, large ones reach the tails where signals sit. Absent objects get noise
    too, on purpose: an extra object in an empty slot is what many signals look like.
    """
    n = int(round(copies * len(x)))
    if n == 0:
        return x
    rng = np.random.default_rng(seed)
    rows = x[rng.integers(0, len(x), n)]
    width = np.exp(rng.uniform(np.log(0.1), np.log(5.0), (n,) + (1,) * (x.ndim - 1)))
    noisy = (rows + width * rng.standard_normal(rows.shape)).astype(np.float32)
    if x.ndim > 2:  # calorimeter regions: energy is never negative, and a real image has no negative region
        noisy = np.maximum(noisy, 0.0)
    return np.concatenate([x, noisy])


def scores(family, model, x: np.ndarray) -> np.ndarray:
    """The anomaly score ``family`` (a registered ``Family``) reports: higher = more anomalous."""
    if family.score == "reconstruction":
        return reconstruction_error(model, x)
    return np.asarray(model.predict(x, batch_size=4096, verbose=0)).reshape(-1)


def fit_plain(model, x, y, x_val, y_val, recipe: Recipe, progress: bool, loss="mse") -> dict:
    import tensorflow as tf

    from edgenn.training.callbacks import progress_callback

    spec = recipe.train
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=spec.learning_rate), loss=loss)
    callbacks = [progress_callback(spec.epochs, f"train {recipe.name}", progress)]
    if spec.early_stopping is not None:
        callbacks.append(tf.keras.callbacks.EarlyStopping(patience=spec.early_stopping.patience,
                                                          min_delta=spec.early_stopping.min_delta,
                                                          restore_best_weights=True))
    hist = model.fit(x, y, validation_data=(x_val, y_val), epochs=spec.epochs, batch_size=spec.batch_size,
                     shuffle=True, verbose=0, callbacks=callbacks)
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


def fit_vae(model, data: AnomalyData, recipe: Recipe, beta: float, latent: int, seed: int) -> dict:
    import tensorflow as tf

    from edgenn.training.anomaly_mask import masked_mse_tf

    spec = recipe.train
    opt = tf.keras.optimizers.Adam(learning_rate=spec.learning_rate)
    rng = np.random.default_rng(seed)

    def losses(x, eps, training):
        mu, log_var, recon = model([x, eps], training=training)
        rec = masked_mse_tf(x, recon)
        kl = -0.5 * tf.reduce_mean(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=1)
        return tf.reduce_mean(rec + beta * kl)

    history: dict[str, list[float]] = {"loss": [], "val_loss": []}
    best, best_weights, waited = np.inf, model.get_weights(), 0
    for _ in range(spec.epochs):
        order = rng.permutation(len(data.x_train))
        total = 0.0
        for start in range(0, len(order), spec.batch_size):
            xb = tf.constant(data.x_train[order[start:start + spec.batch_size]])
            eps = tf.constant(rng.standard_normal((xb.shape[0], latent)).astype(np.float32))
            with tf.GradientTape() as tape:
                loss = losses(xb, eps, True)
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            total += float(loss) * xb.shape[0]
        val = float(losses(tf.constant(data.x_val), tf.zeros((len(data.x_val), latent)), False))
        history["loss"].append(total / len(order))
        history["val_loss"].append(val)
        if val < best - (spec.early_stopping.min_delta if spec.early_stopping else 0):
            best, best_weights, waited = val, model.get_weights(), 0
        else:
            waited += 1
            if spec.early_stopping is not None and waited >= spec.early_stopping.patience:
                break
    model.set_weights(best_weights)
    return history


def load_teacher(recipe: Recipe, family):
    """The trained model named by ``anomaly.teacher`` (a run or its train directory), of ``family.teacher``."""
    from edgenn.artifacts import resolve_model_dir

    teacher = ModelArtifact.load(resolve_model_dir(Path(recipe.anomaly.teacher)))
    if teacher.recipe.model.family != family.teacher:
        raise InvalidInputError(f"anomaly.teacher: {teacher.directory} holds a {teacher.recipe.model.family!r} model, "
                                f"the {family.name!r} family distills a {family.teacher!r}.",
                                fix=f"point it at a {family.teacher} run.")
    return teacher
