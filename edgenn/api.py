"""The public Python API: one function per CLI verb, taking the same arguments as the CLI flags.

Recipes and budgets may be passed as schema objects or as paths to YAML files; paths are validated here, once.
Heavy libraries are imported inside the stage modules, so ``import edgenn`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from edgenn.config.budget import Budget
from edgenn.config.recipe import Recipe


def _recipe(recipe: Recipe | str | Path) -> Recipe:
    """A recipe checked once: its schema (``config.load``) and what its family and task require."""
    from edgenn.config.load import load_recipe
    from edgenn.tasks.recipe_check import check_recipe

    if isinstance(recipe, Recipe):
        return check_recipe(recipe)
    return check_recipe(load_recipe(Path(recipe)), source=str(recipe))


def _budget(budget: Budget | str | Path) -> Budget:
    from edgenn.config.load import load_budget

    return budget if isinstance(budget, Budget) else load_budget(Path(budget))


def generate_data(kind: Literal["jets"] = "jets", *, out: str | Path = "data/jets", jets_per_class: int = 2000,
                  classes: list[str] | None = None, seed: int = 1, fast: bool = False, workers: int | None = None,
                  events_per_shard: int | None = None, cache_dir: str | Path | None = None,
                  progress: bool = True, ray_address: str | None = None, definition: str | None = None,
                  detector: bool = False) -> Path:
    """Generate a seeded, cached jet dataset with Pythia 8 + FastJet; returns the HDF5 path.

    ``ray_address`` runs the shards as Ray tasks ('local' starts a local cluster); the output does not change.
    ``definition`` names a ``jet_definitions`` entry (default ``hls4ml``; ``legacy`` is edgenn's first recipe).
    ``detector`` measures the constituents with ``datasets.detector_response`` (tracker + calorimeter towers).
    Example: ``edgenn.generate_data(out="data/jets", jets_per_class=500, fast=True)``.
    """
    from edgenn.config.load import validate
    from edgenn.datasets import JetGenConfig, generate_jets

    fields = {"jets_per_class": jets_per_class, "seed": seed, "fast": fast, "detector": detector}
    if classes is not None:
        fields["classes"] = classes
    if workers is not None:
        fields["workers"] = workers
    if events_per_shard is not None:
        fields["events_per_shard"] = events_per_shard
    if definition is not None:
        fields["definition"] = definition
    config = validate(JetGenConfig, fields, source="edgenn data generate jets")
    executor = None
    if ray_address:
        from edgenn.scan.executors import RayTaskExecutor

        executor = RayTaskExecutor(ray_address)
    return generate_jets(config, Path(out), progress=progress, cache_dir=Path(cache_dir) if cache_dir else None,
                         executor=executor)


def generate_events(*, out: str | Path = "data/events", events_per_process: int = 1000,
                    processes: list[str] | None = None, process_events: dict[str, int] | None = None,
                    seed: int = 1, fast: bool = False, workers: int | None = None,
                    events_per_shard: int | None = None, qcd_pt_hat_min: float | None = None,
                    lepton_pt_min: float | None = None, ht_min: float | None = None,
                    max_shards_per_process: int | None = None, cache_dir: str | Path | None = None,
                    progress: bool = True, stream: str | None = None, pileup_mu: float | None = None) -> Path:
    """Generate trigger-level SM + BSM events (ADC2021 layout) with Pythia 8; returns the ``events.h5`` path.

    Example: ``edgenn.generate_events(out="data/events", events_per_process=2000, fast=True)``;
    ``process_events={"wlnu": 200_000}`` overrides the target of single processes; ``stream`` names an
    ``event_streams`` entry (default ``adc2021``; ``ht_legacy`` is edgenn's first stream); ``pileup_mu`` overlays
    a Poisson number of minimum-bias interactions with that mean on every event (``datasets.pileup``; default none).
    """
    from edgenn.config.load import validate
    from edgenn.datasets.events_generate import EventGenConfig, generate_events as _generate

    given = dict(stream=stream, processes=processes, process_events=process_events, workers=workers,
                 events_per_shard=events_per_shard,
                 qcd_pt_hat_min=qcd_pt_hat_min, lepton_pt_min=lepton_pt_min, ht_min=ht_min,
                 max_shards_per_process=max_shards_per_process, pileup_mu=pileup_mu)
    fields = {"events_per_process": events_per_process, "seed": seed, "fast": fast,
              **{k: v for k, v in given.items() if v is not None}}
    config = validate(EventGenConfig, fields, source="edgenn data generate events")
    return _generate(config, Path(out), progress=progress, cache_dir=Path(cache_dir) if cache_dir else None)


def default_run_dir(recipe: Recipe) -> Path:
    return Path("runs") / recipe.name


def _with_report(result, directory: Path, report: bool):
    if report:
        from edgenn.reporting import write_report

        write_report(directory)
    return result


def train(recipe: Recipe | str | Path, *, out: str | Path | None = None, progress: bool = True, report: bool = True):
    """Train the recipe's float model; writes ``runs/<name>/train`` by default and returns a ``ModelArtifact``."""
    from edgenn.architectures.registry import get_family
    from edgenn.tasks.registry import task_of
    from edgenn.training.stage import run_training

    r = _recipe(recipe)
    result = run_training(r, Path(out) if out else default_run_dir(r) / "train", task=task_of(get_family(r.model.family)),
                          progress=progress)
    return _with_report(result, result.directory, report)


def fold_batchnorm(model: str | Path, *, data: str | Path, out: str | Path | None = None, epochs: int = 5,
                   trust_model: bool = False):
    """Fold every BatchNorm of a user's QKeras model into the QDense/QConv2D before it and fine-tune ``epochs`` on
    ``data`` (x, y), so its export is exact; returns (path of the folded .h5, ``FoldRecord``)."""
    from edgenn.compression.batchnorm_fold import fold_user_model

    return fold_user_model(Path(model), Path(data), Path(out) if out else None, epochs=epochs,
                           trust_model=trust_model)


def compress(run: str | Path, *, recipe: Recipe | str | Path | None = None, out: str | Path | None = None,
             progress: bool = True, report: bool = True):
    """Prune / quantize / distill a trained run (``runs/<name>`` or its ``train`` directory) as its recipe says."""
    from edgenn.architectures.registry import get_family
    from edgenn.artifacts import ModelArtifact, resolve_model_dir
    from edgenn.compression import run_compression
    from edgenn.errors import InvalidInputError
    from edgenn.tasks.registry import task_of

    from edgenn.input_kinds import require_run_dir

    run = Path(run)
    require_run_dir(run, "compress")
    trained = ModelArtifact.load(run / "train" if (run / "train").is_dir() else resolve_model_dir(run))
    r = _recipe(recipe if recipe is not None else trained.recipe)
    if r.compress is None:
        raise InvalidInputError(f"recipe {r.name!r} has no 'compress' section, so there is nothing to do.",
                                fix="add compress: {prune: ..., qat: ..., distill: ...} to the recipe.")
    target = Path(out) if out else trained.directory.parent / "compress"
    result = run_compression(r, trained, target, task=task_of(get_family(r.model.family)), progress=progress)
    return _with_report(result, result.directory, report)


def export(source: str | Path, *, target: str = "fpga", out: str | Path | None = None,
           data: str | Path | None = None, part: str | None = None, clock_period_ns: float | None = None,
           io_type: str | None = None, strategy: str | None = None, reuse_factor: int | None = None,
           backend: str | None = None, validation_samples: int | None = None, trust_model: bool = False,
           progress: bool = True, report: bool = True, ii_target: int | None = None,
           softmax: str | None = None, hls_config: str | Path | None = None, ptq: bool = False,
           ptq_bits: int | None = None, budget: str | Path | None = None, csim_check: bool | None = None,
           adder_levels_per_cycle: int | None = None):
    """Export a run (``runs/<name>``) or a user's Keras/QKeras ``.h5`` model (with ``data=``) to firmware or ONNX.

    FPGA settings default to the recipe's ``export.fpga`` section; ``hls_config`` (a YAML file with that section's
    schema: per-layer ``layers`` and global keys) goes on top of it, and flags given here override both.
    ``ptq``: quantize a float user model after training (``exporters.ptq``; ``ptq_bits`` wide quantizers, default 8)
    and check the firmware bit for bit against that fixed-point model; the float model's accuracy is reported beside.
    ``strategy="auto"`` (fpga target): the cheaper of Latency and distributed_arithmetic, by their estimates, that
    meets ``budget`` (default ``firmware/budgets/<name>.yml`` beside the output), said in the report's notes.
    ``csim_check=False`` (rtl target): skip the hls4ml C simulation that cross-checks the Verilator result (minutes on
    3-D models); any other target refuses the setting.
    ``adder_levels_per_cycle`` (rtl target): adder levels per pipeline stage, over the recipe's ``export.rtl``.
    """
    from edgenn.runners.export import ExportRequest, run_export

    overrides = {k: v for k, v in dict(part=part, clock_period_ns=clock_period_ns, io_type=io_type,
                                       strategy=strategy, reuse_factor=reuse_factor, backend=backend,
                                       adder_levels_per_cycle=adder_levels_per_cycle).items()
                 if v is not None}
    if ii_target is not None:  # the flag replaces the recipe's target, whichever way the recipe gave it
        overrides.update(ii_target=ii_target, input_rate_mhz=None)
    if csim_check is not None:  # only when asked: the fpga targets do not declare it and would refuse the key
        overrides["csim_check"] = csim_check
    request = ExportRequest(source=Path(source), target=target, out=Path(out) if out else None,
                            data=Path(data) if data else None, fpga_overrides=overrides,
                            validation_samples=validation_samples, trust_model=trust_model, softmax=softmax,
                            hls_config=Path(hls_config) if hls_config else None, ptq=ptq, ptq_bits=ptq_bits,
                            budget=Path(budget) if budget else None)
    result = run_export(request, progress=progress)
    return _with_report(result, result.directory, report)


def check(export_dir: str | Path, budget: Budget | str | Path, *, compare: str = "upper", out: str | Path | None = None):
    """Compare an export's figures with a budget; returns a ``CheckReport`` (``.passed`` says whether all hold).
    ``compare``: 'upper' tests max limits against the 90 % interval's upper end, 'point' the point estimate.
    ``out``: also save the report there (``CheckReport.load`` reads it back, its content hash verified)."""
    from edgenn.errors import InvalidInputError
    from edgenn.verification.budget import COMPARE, check_export

    if compare not in COMPARE:
        raise InvalidInputError(f"--compare {compare!r} is not known.", fix=f"use one of {', '.join(COMPARE)}.")
    report = check_export(Path(export_dir), _budget(budget), compare=compare)
    if out is not None:
        report.save(Path(out))
    return report


def report(path: str | Path, *, budget: Budget | str | Path | None = None) -> Path:
    """(Re)write the self-contained ``report.html`` of a run, stage or export directory; returns its path."""
    from edgenn.reporting import write_report

    return write_report(Path(path), budget=Path(budget) if budget is not None else None)


def scan(recipe: Recipe | str | Path, space, *, trials: int = 20, out: str | Path | None = None,
         budget: Budget | str | Path | None = None, workers: int | None = None, ray_address: str | None = None,
         export_best: int = 0, progress: bool = True, report: bool = True, sampler: str | None = None):
    """Multi-objective scan of recipe variants (``ScanSpace`` object or SPACE.yml path); returns a ``ScanResult``.

    ``sampler`` (gp, tpe, nsga2) replaces the space's ``sampler.kind``; the study records the space it was made
    with, so a study made with another sampler is not resumed with this one (use another ``out``).

    Resumes the study in ``out`` (default ``scans/<name>``). Example:
    ``edgenn.scan("models/jet_mlp.yml", "benchmarks/scan/jet_mlp_space.yml", trials=30, ray_address="local")``.
    """
    from edgenn.config.load import load, validate
    from edgenn.config.scan import ScanSpace
    from edgenn.scan.driver import run_scan

    r = _recipe(recipe)
    s = space if isinstance(space, ScanSpace) else load(ScanSpace, Path(space))
    if sampler is not None:  # validated like the file was: an unknown kind names the field and the choices
        data = s.model_dump(mode="json")
        data["sampler"]["kind"] = sampler
        s = validate(ScanSpace, data, source="--sampler")
    result = run_scan(r, s, Path(out) if out else Path("scans") / r.name, trials=trials,
                      budget=_budget(budget) if budget is not None else None, workers=workers,
                      ray_address=ray_address, export_best=export_best, progress=progress,
                      source=str(space) if not isinstance(space, ScanSpace) else "scan space")
    return _with_report(result, result.directory, report)


def _recipe_of(source: Recipe | str | Path) -> Recipe:
    """A recipe object, a recipe YAML, or a run directory (its recipe)."""
    if isinstance(source, Recipe) or Path(source).suffix in (".yml", ".yaml"):
        return _recipe(source)
    from edgenn.artifacts import ModelArtifact, resolve_model_dir

    return _recipe(ModelArtifact.load(resolve_model_dir(Path(source))).recipe)


def _with_data(recipe: Recipe, data: str | Path | None) -> Recipe:
    if data is None:
        return recipe
    return _recipe(recipe.model_copy(update={"data": recipe.data.model_copy(update={"path": Path(data)})}))


def compare(*runs: Recipe | str | Path, folds: int | None = None, seeds: int | None = None,
            train_sizes: str | list[int] | tuple[int, ...] | None = None, metric: str = "accuracy",
            test: Literal["t", "wilcoxon"] = "t", alpha: float = 0.05, out: str | Path | None = None,
            workers: int | None = None, ray_address: str | None = None, data: str | Path | None = None,
            max_epochs: int | None = None, patience: int | None = None, progress: bool = True, report: bool = True):
    """Re-train recipes (or runs) and compare them.

    Two recipes with ``folds`` or ``seeds``: K re-trainings each, mean ± std per metric and a paired test
    (returns a ``CompareResult``). One or more recipes with ``train_sizes`` (``"1000,3000"`` or a list): per recipe,
    ``metric`` on the shared test split against the number of training jets, over ``folds`` (default 3) training
    subsets per size, trained to early stopping under ``max_epochs`` (returns a ``CurveResult``; resumable in ``out``,
    default ``runs/curves_<names>``). ``data`` replaces every recipe's ``data.path``. Example:
    ``edgenn.api.compare("models/jet_mlp.yml", "models/deepsets.yml", train_sizes=[1000, 3000], folds=3)``.
    """
    from edgenn.errors import InvalidInputError

    recipes = [_with_data(_recipe_of(r), data) for r in runs]
    if train_sizes is not None:
        return _curves(recipes, train_sizes=train_sizes, folds=folds, seeds=seeds, metric=metric, out=out,
                       workers=workers, ray_address=ray_address, max_epochs=max_epochs, patience=patience,
                       progress=progress, report=report)
    from edgenn.scan.compare import run_compare

    if len(recipes) != 2:
        raise InvalidInputError(f"compare takes two recipes or runs with --folds/--seeds (got {len(recipes)}).",
                                fix="give A and B, or add --train-sizes N,N,... for curves of one or more recipes.")
    if test not in ("t", "wilcoxon"):
        raise InvalidInputError(f"--test: unknown test {test!r}.", fix="use t or wilcoxon.")
    a, b = recipes
    target = Path(out) if out else Path("runs") / f"compare_{a.name}_vs_{b.name}"
    return run_compare(a, b, target, folds=folds, seeds=seeds, metric=metric, test=test, alpha=alpha,
                       workers=workers, ray_address=ray_address)


def _curves(recipes: list[Recipe], *, train_sizes, folds, seeds, metric, out, workers, ray_address, max_epochs,
            patience, progress, report):
    from edgenn.config.train_sizes import TrainSizeCurves
    from edgenn.config.load import validate
    from edgenn.errors import InvalidInputError
    from edgenn.scan.curves import run_train_size_curves

    if not recipes:
        raise InvalidInputError("--train-sizes: no recipe given.", fix="e.g. edgenn compare models/jet_mlp.yml "
                                                                      "--train-sizes 1000,3000 --folds 3.")
    if seeds is not None or ray_address:
        flag = "--seeds" if seeds is not None else "--ray-address"
        raise InvalidInputError(f"--train-sizes does not take {flag}: its K folds are K training subsets per size.",
                                fix=f"drop {flag} (use --folds K, and --workers N for local processes).")
    fields = {"train_sizes": train_sizes, "metric": metric}
    fields.update({k: v for k, v in dict(folds=folds, max_epochs=max_epochs, patience=patience).items()
                   if v is not None})
    settings = validate(TrainSizeCurves, fields, source="edgenn compare --train-sizes")
    target = Path(out) if out else Path("runs") / ("curves_" + "_".join(r.name for r in recipes))
    result = run_train_size_curves(recipes, settings, target, workers=workers or 1, progress=progress)
    return _with_report(result, result.directory, report)


def synth(path: str | Path, *, tool: Literal["yosys", "vitis", "vivado"] = "yosys", out: str | Path | None = None,
          on_tick=None):
    """Synthesise an export (``runs/<name>`` or its export directory) with Yosys (RTL export) or Vitis/Vivado HLS
    (FPGA export); writes ``firmware/<name>/synth-<tool>/report.json`` and returns a ``SynthResult``. ``on_tick``
    receives the elapsed seconds once a second while a tool runs."""
    from edgenn.synth import run_synth

    return run_synth(Path(path), tool, out=Path(out) if out else None, on_tick=on_tick)


def report_vendor(project: str | Path, *, out: str | Path | None = None):
    """Figures (method ``vendor``) from the Vitis/Vivado reports already in an hls4ml project directory."""
    from edgenn.synth import report_vendor as _report_vendor

    return _report_vendor(Path(project), out=Path(out) if out else None)


def export_targets() -> dict[str, str]:
    """The registered export targets (name -> one-line description): the values ``export(target=...)`` accepts."""
    from edgenn.runners.targets import registered_targets

    return {name: t.help for name, t in registered_targets().items()}
