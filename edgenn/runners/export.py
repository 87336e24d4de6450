"""The export stage: a model (edgenn run or user file) -> firmware/<name>/<target>/ with report.json and report.md.

It combines three stages' pieces (exporters, estimates, verification), so it lives here and not in ``exporters``:
a stage never imports a later one. This module resolves what is exported (model, validation data, lineage) and
dispatches to the registered targets (``edgenn.runners.targets``: ``export_fpga``, ``export_onnx``, ``rtl``, ...).

Validation data: for an edgenn run, the held-out test split of the run's dataset with the run's own standardiser (the
same inputs its metrics were computed on); for a user model, the ``x``/``y`` arrays of the ``--data`` file, used as
given. Everything is written to a staging directory and renamed into place once ``manifest.json`` exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import edgenn.filenames as filenames
from edgenn.architectures.registry import standardizer_of
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.records import ExportReport
from edgenn.tasks.recipe_check import check_recipe

REPORT_MD = filenames.REPORT_MD
# Why the autoencoder's score is not computed in firmware (issue 4): the decoder doubles the network, and the error
# adds 57 subtractions, 57 squares and a 57-input sum for one number; a distilled student regresses the same score
# with a network a fraction of the encoder's size.
QONNX_TARGETS = ("fpga", "onnx")  # the targets with a QONNX route (runners/export_qonnx.py)
MIN_BITEXACT_SAMPLES = 10_000  # the brief's bar for a bit-exactness claim
# Default cap on the --data rows a user model is validated on: every row up to it (the C simulation runs ~1,000
# rows/s for a jet tagger on one core, so 100k rows stay within minutes); --validation-samples sets another cap.
USER_VALIDATION_CAP = 100_000
HOST_SCORE_NOTE = ("autoencoder: the anomaly score (mean squared reconstruction error over the 57 inputs) is "
                   "computed on the host from the network's reconstruction: in firmware it would need the whole "
                   "decoder plus 57 subtract/square/add stages for one number. The firmware route for this score is "
                   "the distilled ae_student (models/ae_student.yml).")


@dataclass(frozen=True)
class ExportRequest:
    source: Path
    target: str = "fpga"
    out: Path | None = None
    data: Path | None = None
    fpga_overrides: dict[str, Any] = field(default_factory=dict)  # flags, on top of the recipe (export_settings)
    validation_samples: int | None = None
    trust_model: bool = False
    softmax: str | None = None  # drop | argmax | table; None: the recipe's export.softmax, else the default
    hls_config: Path | None = None  # --hls-config: an export.fpga section on top of the recipe's (export_settings)
    ptq: bool = False  # --ptq: quantize a float user model after training; that model becomes the reference
    ptq_bits: int | None = None  # --ptq-bits: quantizer width (default exporters.ptq.DEFAULT_BITS)
    budget: Path | None = None  # --budget: the lines strategy auto must meet (default firmware/budgets/<name>.yml)


@dataclass(frozen=True)
class ExportResult:
    target: str
    directory: Path
    record: ExportReport

    @property
    def report(self) -> dict:
        """report.json as written (the record's JSON form)."""
        return self.record.to_dict()


@dataclass(frozen=True)
class ExportSource:
    """What is being exported, resolved once: the model, validation arrays and the lineage's metrics."""

    name: str
    model: Any
    x: np.ndarray
    y: np.ndarray | None
    class_names: tuple[str, ...] | None
    fpga: dict[str, Any]
    validation_samples: int
    lineage: dict[str, str]
    reference_metrics: dict[str, Any]
    recipe: dict | None
    x_calibration: np.ndarray | None = None  # training inputs: only their range is used (float models)
    notes: tuple[str, ...] = ()
    anomaly: AnomalyEval | None = None  # set for anomaly families: the output is a score, not class probabilities
    softmax: str = "drop"  # what the firmware does with a softmax head (exporters.softmax_policy)
    float_outputs: np.ndarray | None = None  # --ptq: the float model's outputs on x, for the cost of quantizing
    budget: Path | None = None  # the budget strategy auto chooses by (runners/strategy_auto.py)
    # the recipe's sections of one target's own settings beside export.fpga (export.rtl), by target name
    target_sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def settings_section(self, target: str) -> dict[str, Any]:
        """What the recipe (and ``--hls-config``) give ``target``: export.fpga, then the target's own section."""
        return {**self.fpga, **self.target_sections.get(target, {})}

    @property
    def task(self) -> str:
        """The task the export is judged by (a registered task's name): the anomaly family's, else classification."""
        return self.anomaly.task if self.anomaly is not None else "classify"


@dataclass(frozen=True)
class AnomalyEval:
    """How to judge an anomaly score: the first ``num_test`` rows of ``ExportSource.x`` are held-out events."""

    family: str
    num_test: int
    process: np.ndarray  # process code per test row
    process_names: tuple[str, ...]
    background: np.ndarray  # boolean mask over the test rows: the SM background mixture
    signals: tuple[str, ...]
    fpr: float
    teacher: np.ndarray | None = None  # students: the teacher's log reconstruction error of the test rows
    score: str = "output"  # the family's score (Family.score): its output, or the host's reconstruction error
    task: str = "anomaly"  # the family's task


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise MissingArtifactError(f"{path}: validation data file not found.", fix="pass --data with an existing .npz.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "x" not in npz:
                raise InvalidInputError(f"{path}: no array named 'x' (found {sorted(npz.files)}).",
                                        fix="save it with np.savez(path, x=inputs, y=labels).")
            x = np.asarray(npz["x"], dtype=np.float32)
            y = np.asarray(npz["y"]).astype(np.int64) if "y" in npz else None
    except (ValueError, OSError) as exc:
        raise InvalidInputError(f"{path}: not a readable .npz file ({exc}).",
                                fix="save it with np.savez(path, x=inputs, y=labels).") from None
    if len(x) == 0:
        raise InvalidInputError(f"{path}: 'x' is empty.", fix="provide at least one validation sample.")
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x.reshape(len(x), -1))).any(axis=1).sum())
        raise InvalidInputError(f"{path}: {bad} row(s) of 'x' contain NaN or Inf.", fix="remove or repair them.")
    if y is not None and len(y) != len(x):
        raise InvalidInputError(f"{path}: 'x' has {len(x)} rows but 'y' has {len(y)}.", fix="give one label per row.")
    return x, y


def resolve_source(request: ExportRequest) -> ExportSource:
    src = request.source
    from edgenn.input_kinds import QONNX, RUN, model_source_kind

    kind = model_source_kind(src)
    if kind == QONNX:
        return _qonnx_source(request)
    if kind != RUN:  # a Keras file or SavedModel (other kinds are refused by name in there)
        from edgenn.flatten import flatten_model
        from edgenn.modelio import load_model

        if request.data is None:
            raise InvalidInputError(f"{src}: a user model needs validation data to check the export against.",
                                    fix="pass --data val.npz (arrays x, and optionally y).")
        model = flatten_model(load_model(src, trust_model=request.trust_model))  # Sequential / nested -> flat
        x, y = _user_arrays(model, request.data)
        from edgenn.architectures.extra_inputs import num_rows, take_rows

        total = num_rows(x)
        cap = request.validation_samples or USER_VALIDATION_CAP
        used = min(total, cap)
        origin = "--validation-samples" if request.validation_samples else "the default cap"
        rows = (f"validation inputs: all {used} rows of {request.data}" if used == total else
                f"validation inputs: the first {used} of the {total} rows of {request.data} ({origin} {cap})")
        if isinstance(x, list):
            rows += f" (one array per input: {', '.join(_data_input_keys(model, request.data))})"
        lineage = {"model": str(src), "data": str(request.data), "validation_rows": f"{used} of {total}"}
        if request.ptq:
            return _ptq_source(src.stem, model, take_rows(x, used), None if y is None else y[:used], lineage, rows,
                               request.ptq_bits)
        notes = [rows]
        if not any(type(layer).__module__.startswith("qkeras") for layer in model.layers):
            notes.append("float model: exported with profiled fixed-point types and compared, not checked bit for "
                         "bit; pass --ptq for an explicit post-training quantization checked exactly")
        # the input type's origin (an input quantizer or the --data range) is said by the precision notes
        return ExportSource(src.stem, model, x, y, None, {}, used, lineage, {}, None, x_calibration=x,
                            notes=tuple(notes))

    from edgenn.artifacts import ModelArtifact, resolve_model_dir
    from edgenn.training.stage import prepared_data

    artifact = ModelArtifact.load(resolve_model_dir(src))
    check_recipe(artifact.recipe, source=str(artifact.directory / filenames.RECIPE))
    reference = {}
    float_dir = artifact.directory.parent / "train"
    if (float_dir / filenames.METRICS).is_file():
        from edgenn.io import read_json

        reference["float"] = read_json(float_dir / filenames.METRICS)
    reference[artifact.stage] = artifact.metrics
    if artifact.recipe.data.kind == "events":
        return _event_source(artifact, request, reference)
    data = prepared_data(artifact.recipe, standardizer=standardizer_of(artifact), split=artifact.split())
    return ExportSource(artifact.recipe.name, artifact.load_model(), data.test.x, data.test.y, data.class_names,
                        artifact.recipe.export.fpga.model_dump(),
                        request.validation_samples or artifact.recipe.export.validation_samples,
                        {"model_dir": str(artifact.directory)}, reference,
                        artifact.recipe.model_dump(mode="json"), x_calibration=data.train.x,
                        target_sections=target_sections(artifact.recipe))


def target_sections(recipe) -> dict[str, dict[str, Any]]:
    """The settings the recipe gives one target alone (``export.rtl``), the keys it sets: they go on top of
    ``export.fpga``'s for that target."""
    return {"rtl": recipe.export.rtl.model_dump(exclude_none=True)}


def _qonnx_source(request: ExportRequest) -> ExportSource:
    """A QONNX graph (``exporters.qonnx_hls`` exports it) with the ``--data`` rows, channels first as exported."""
    from edgenn.qonnx.source import load_qonnx

    model = load_qonnx(request.source)
    if request.ptq:
        raise InvalidInputError(f"{request.source}: --ptq quantizes float Keras models; a QONNX graph is quantized "
                                "already (its Quant nodes define the firmware types).", fix="drop --ptq.")
    if request.data is None:
        raise InvalidInputError(f"{request.source}: a QONNX model needs validation data to check the export against.",
                                fix="pass --data val.npz (arrays x, shaped as the graph input, and optionally y).")
    x, y = _load_npz(request.data)
    if tuple(x.shape[1:]) != model.input_shape:
        raise InvalidInputError(f"{request.data}: 'x' rows have shape {tuple(x.shape[1:])}, the QONNX graph input "
                                f"'{model.input_name}' expects {model.input_shape} (channels first, as exported).",
                                fix="pass inputs laid out as the graph takes them.")
    used = min(len(x), request.validation_samples or USER_VALIDATION_CAP)
    return ExportSource(model.name, model, x, y, None, {}, used,
                        {"model": str(request.source), "data": str(request.data),
                         "validation_rows": f"{used} of {len(x)}"}, {}, None,
                        notes=(f"validation inputs: {used} of the {len(x)} rows of {request.data}",
                               "QONNX model: the firmware input type is the input Quant node's; the host casts the "
                               "inputs to it, exactly as that node does"))


def _user_arrays(model, data: Path) -> tuple[np.ndarray | list[np.ndarray], np.ndarray | None]:
    """The ``--data`` arrays for a user model: ``x`` (and ``y``) for one data input; for several, one array per data
    input (``runners.user_data``: keys named after the inputs, or x0, x1, ... in input order), as a list in input
    order."""
    from edgenn.runners.user_data import data_inputs, load_input_arrays

    if len(data_inputs(model)) <= 1:
        x, y = _load_npz(data)
        from edgenn.architectures.extra_inputs import primary_input

        expected = tuple(model.get_layer(primary_input(model)).output.shape[1:])  # extra inputs come from x
        if None in expected:  # Input((None, 4)): firmware arrays have one fixed size, whatever --data holds
            from edgenn.errors import UnsupportedModelError

            raise UnsupportedModelError(f"model input '{primary_input(model)}' has shape {expected}, with no fixed "
                                        "size.", fix="give the Input a fixed shape (pad sequences to a maximum "
                                                     "length, e.g. Input((16, 4))) and save the model again.")
        if tuple(x.shape[1:]) != expected:
            raise InvalidInputError(f"{data}: 'x' rows have shape {tuple(x.shape[1:])}, the model expects "
                                    f"{expected}.", fix="pass inputs prepared exactly as the model takes them.")
        return x, y
    if len(data_inputs(model)) != len(model.input_names):
        from edgenn.errors import UnsupportedModelError

        raise UnsupportedModelError(f"model '{model.name}' mixes several data inputs with declared extra inputs "
                                    f"({model.input_names}).", fix="give the model one data input, or no extra inputs.")
    if not data.is_file():
        raise MissingArtifactError(f"{data}: validation data file not found.", fix="pass --data with an existing .npz.")
    arrays = load_input_arrays(data, model)
    with np.load(data, allow_pickle=False) as npz:
        y = np.asarray(npz["y"]).astype(np.int64) if "y" in npz else None
    x = [arrays[name] for name in model.input_names]
    if y is not None and len(y) != len(x[0]):
        raise InvalidInputError(f"{data}: the inputs have {len(x[0])} rows but 'y' has {len(y)}.",
                                fix="give one label per row.")
    return x, y


def _data_input_keys(model, data: Path) -> list[str]:
    with np.load(data, allow_pickle=False) as npz:
        names = list(model.input_names)
        return names if all(n in npz for n in names) else [f"x{i}={n}" for i, n in enumerate(names)]


def _ptq_source(name: str, model, x: np.ndarray, y, lineage: dict, rows: str, bits: int | None) -> ExportSource:
    """A float user model quantized by ``exporters.ptq``: the QKeras model is exported, the float one's outputs kept."""
    from edgenn.exporters.ptq import DEFAULT_BITS, quantize_float_model

    from edgenn.architectures.extra_inputs import num_rows

    qmodel, record = quantize_float_model(model, x, bits=bits or DEFAULT_BITS)
    predicted = model.predict(x, batch_size=4096, verbose=0)
    if isinstance(predicted, list):  # several outputs: the first is the headline, as in the firmware check
        predicted = predicted[0]
    float_outputs = np.asarray(predicted, np.float64).reshape(num_rows(x), -1)
    return ExportSource(name, qmodel, x, y, None, {}, num_rows(x), {**lineage, "ptq_bits": str(record.bits)}, {}, None,
                        x_calibration=x, notes=(rows, record.note()), float_outputs=float_outputs)


def _event_source(artifact, request: ExportRequest, reference: dict) -> ExportSource:
    """An anomaly run: held-out test events (background mixture + signals), topped up with random events.

    Up to ``validation_samples`` test events are used (all of them by default in the anomaly recipes: the firmware
    efficiency at FPR 1e-5 needs >= 1e5 background events). The test split of a small dataset has fewer than the
    10,000 rows a bit-exactness claim needs, so rows after the test events are then drawn uniformly per feature
    between the training minimum and maximum (seeded from the recipe) up to 10,000: they exercise the whole input
    range of the datapath, while AUC and efficiency use the real events only.
    """
    from edgenn.seeding import stage_seed
    from edgenn.training.anomaly import prepare_events

    recipe = artifact.recipe
    data = prepare_events(recipe, standardizer=artifact.standardizer(), split=artifact.split())
    n = request.validation_samples or recipe.export.validation_samples
    x_test, process, background = data.x_test, data.test_process, data.test_background
    if len(x_test) > n:  # the test rows are ordered background first: subsample, never truncate
        keep = np.sort(np.random.default_rng(stage_seed(recipe.seed, "export-subsample")).choice(
            len(x_test), n, replace=False))
        x_test, process, background = x_test[keep], process[keep], background[keep]
    x = x_test
    notes = []
    # random events only make up the 10,000 samples a bit-exactness claim needs; a larger validation_samples is a
    # cap on the real test events (all of them are needed to resolve a small FPR in firmware)
    top_up = min(n, MIN_BITEXACT_SAMPLES)
    if len(x) < top_up:
        rng = np.random.default_rng(stage_seed(recipe.seed, "export-random-events"))
        lo, hi = data.x_train.min(axis=0), data.x_train.max(axis=0)
        extra = rng.uniform(lo, hi, size=(top_up - len(x), *x.shape[1:])).astype(np.float32)
        notes.append(f"validation inputs: {len(x)} held-out test events + {len(extra)} random events uniform per "
                     "feature in the training range (AUC and efficiency from the test events only)")
        x = np.concatenate([x, extra])
    else:
        notes.append(f"validation inputs: {len(x)} held-out test events")
    from edgenn.architectures.registry import get_family

    family = get_family(recipe.model.family)
    teacher = None
    if family.teacher:
        from edgenn.training.anomaly import load_teacher, log_error, reconstruction_error

        teacher = log_error(reconstruction_error(load_teacher(recipe, family).load_model(), x_test))
    anomaly = AnomalyEval(family.name, len(x_test), process, data.process_names, background, data.signals,
                          recipe.anomaly.fpr if recipe.anomaly else 1e-5, teacher, family.score, family.task)
    return ExportSource(recipe.name, artifact.load_model(), x, None, None, recipe.export.fpga.model_dump(), len(x),
                        {"model_dir": str(artifact.directory)}, reference, recipe.model_dump(mode="json"),
                        x_calibration=data.x_train, notes=tuple(notes), anomaly=anomaly,
                        target_sections=target_sections(recipe))


def run_export(request: ExportRequest, *, progress: bool = True) -> ExportResult:
    from edgenn.runners.targets import get_target

    target = get_target(request.target)  # an unknown target fails before the model is loaded
    if target.needs_compiler:
        from edgenn.exporters.hls import check_compiler

        check_compiler()  # before any work: the C simulation cannot be built without it
    source = resolve_source(request)
    source = _with_softmax_policy(source, request)
    from dataclasses import replace

    from edgenn.qonnx.source import is_qonnx_model
    from edgenn.runners.export_settings import check_layer_names, hls_config_keys, merge_hls_config, resolve_settings

    source = replace(source, fpga=merge_hls_config(source.fpga, request.hls_config))
    # the one place the target's settings are validated: recipe export.fpga < --hls-config < the recipe's section of
    # the target itself (export.rtl) < flags
    settings = resolve_settings(target, source.settings_section(target.name), request.fpga_overrides,
                                given_by_file=hls_config_keys(request.hls_config))
    where = "--hls-config layers" if request.hls_config else "export.fpga.layers"
    if not is_qonnx_model(source.model):  # a QONNX graph's layer names are checked against hls4ml's ONNX parse
        check_layer_names(source.model, source.fpga.get("layers", {}), where=where)
    elif request.target not in QONNX_TARGETS:
        raise InvalidInputError(f"{request.source}: target {request.target} does not take QONNX models yet (it works "
                                "on Keras layers).", fix=f"use --target {' or --target '.join(QONNX_TARGETS)}.")
    out = request.out or Path("firmware") / source.name / request.target
    if request.budget is not None:
        source = replace(source, budget=request.budget)
    return target.run(source, out, settings, progress=progress)


def _with_softmax_policy(source: ExportSource, request: ExportRequest) -> ExportSource:
    from dataclasses import replace

    from edgenn.exporters.softmax_policy import DEFAULT_POLICY, check_policy

    recipe = ((source.recipe or {}).get("export") or {}).get("softmax")
    return replace(source, softmax=check_policy(request.softmax or recipe or DEFAULT_POLICY))
