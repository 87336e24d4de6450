"""The compress stage: trained model + recipe -> compressed QKeras/Keras model in ``<out>/`` with its before/after table.

Writes (atomically, ``manifest.json`` last): ``model.h5`` (pruning wrappers stripped), ``standardizer.json`` (the
trained run's, unchanged), ``recipe.yml``, ``metrics.json`` (test-split metrics of the compressed model plus a
``compression`` section: before/after summaries, the pruning check, the pass records, a markdown table), ``roc.png``,
``confusion.png``, ``history.png``/``history.json`` of the fine-tuning run, ``weights.png``, ``manifest.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

from edgenn.artifacts import METRICS_FILE, ModelArtifact, write_compressed_files
from edgenn.config.recipe import Recipe
from edgenn.io import atomic_dir, atomic_write_json
from edgenn.manifest import file_hash, write_manifest
from edgenn.seeding import stage_seed
from edgenn.training.inputs import PreparedData


def run_compression(recipe: Recipe, trained: ModelArtifact, out_dir: Path, *, progress: bool = True,
                    data: PreparedData | None = None) -> ModelArtifact:
    """Compress ``trained`` as ``recipe.compress`` says and write the result to ``out_dir``.

    ``data`` defaults to the recipe's dataset, split and standardised exactly as for training; tests and benchmarks
    may pass prepared in-memory data instead (it must be standardised with the trained model's standardizer).

    Raises ``InvalidInputError`` (or ``MissingArtifactError``) before any work if the recipe has no compress
    section, does not match the trained model, asks for QAT on a family without quantizable layers, or names a
    teacher that is missing or predicts other classes.
    """
    from edgenn.compression.base import CompressionState
    from edgenn.compression.pipeline import build_passes, fine_tune_spec, run_passes
    from edgenn.compression.plots import plot_weight_histograms
    from edgenn.compression.summary import kernel_sizes, markdown_table, model_summary, pruning_check
    from edgenn.seeding import seed_everything
    from edgenn.training.stage import evaluate_and_plot, prepared_data

    from edgenn.architectures.registry import get_family

    if get_family(recipe.model.family).task == "anomaly":  # regression of a score; see compression/anomaly.py
        from edgenn.compression.anomaly import run_anomaly_compression

        return run_anomaly_compression(recipe, trained, out_dir, progress=progress)
    t0 = time.perf_counter()
    passes = build_passes(recipe, trained, progress=progress)  # every prerequisite is checked here, before any work
    seed = stage_seed(recipe.seed, "compress")
    seed_everything(seed)
    if data is None:
        data = prepared_data(recipe, standardizer=trained.standardizer(), split=trained.split())
    model = trained.load_model()
    state = CompressionState(model=model, data=data, fine_tune=fine_tune_spec(recipe))
    with atomic_dir(out_dir) as staging:
        final, records = run_passes(state, passes)
        compressed = final.model
        write_compressed_files(staging, compressed, trained, recipe)
        fine_tune = next(r for r in records if r.name == "fine_tune")
        metrics = evaluate_and_plot(compressed, data, staging, label=f"{recipe.name} (compressed)",
                                    history=fine_tune.details.get("history"))
        plot_weight_histograms(model, compressed, staging / "weights.png")
        before = model_summary(model, data.test, data.class_names)
        after = model_summary(compressed, data.test, data.class_names)
        learned = next((r for r in records if r.name == "fix_learned_precision"), None)
        if learned is not None:  # the proxy's Dense layers hold float weights: its bits are HGQ's, not layer_bits'
            from edgenn.compression.summary import with_learned_bits

            after = with_learned_bits(after, learned.details)
        compression = {"before": before, "after": after, "passes": [r.to_dict() for r in records],
                       "table_markdown": markdown_table(before, after)}
        pruning = fine_tune.details.get("pruning")
        if pruning is not None:
            compression["pruning"] = pruning_check(pruning["target_sparsity"], pruning["mask_sparsity_per_layer"],
                                                   kernel_sizes(compressed))
        metrics.update(num_params=int(compressed.count_params()), class_names=list(data.class_names),
                       split_sizes={"train": len(data.train.y), "val": len(data.val.y), "test": len(data.test.y)},
                       compression=compression)
        atomic_write_json(staging / METRICS_FILE, metrics)
        write_manifest(staging, stage="compress", recipe=recipe.model_dump(mode="json"),
                       inputs={"trained_model": str(trained.model_path), "trained_model_hash": file_hash(trained.model_path),
                               "dataset": str(data.source)},
                       seeds={"root": recipe.seed, "compress": seed, "split": stage_seed(recipe.seed, "split")},
                       metrics={k: v for k, v in metrics.items() if k != "compression"},
                       passes=[r.to_dict() for r in records],
                       timings_s={"total": time.perf_counter() - t0, **{r.name: r.seconds for r in records}})
    return ModelArtifact(Path(out_dir), "compress", recipe, metrics)
