"""The compress stage: trained model + recipe -> compressed QKeras/Keras model in ``<out>/`` with its before/after table.

Writes (atomically, ``manifest.json`` last; the model directory's own files through ``ModelArtifact.save``):
``model.h5`` (pruning wrappers stripped), ``standardizer.json`` and ``splits.npz`` (the trained run's, unchanged),
``recipe.yml``, ``metrics.json`` (test-split metrics of the compressed
model, as its task measures them, plus a ``compression`` section: before/after summaries, the pruning check, the pass
records, a markdown table), the task's plots (ROC and confusion, or score distributions and ``scores.npz``),
``outputs.npz`` (what the report draws: ``records.stage_outputs``),
``history.png``/``history.json`` of the fine-tuning run, ``weights.png``, ``manifest.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

from edgenn.artifacts import ModelArtifact, ModelFiles
from edgenn.config.recipe import Recipe
from edgenn.io import atomic_dir
from edgenn.manifest import file_hash
from edgenn.seeding import stage_seed
from edgenn.task_protocol import Task
from edgenn.architectures.registry import standardizer_of


def run_compression(recipe: Recipe, trained: ModelArtifact, out_dir: Path, *, task: Task, progress: bool = True,
                    data=None) -> ModelArtifact:
    """Compress ``trained`` as ``recipe.compress`` says and write the result to ``out_dir``.

    One stage for every task (``edgenn.task_protocol``; ``task`` is the family's, looked up by the caller with
    ``edgenn.tasks.registry.task_of``): the task says what the fine-tune run trains (the logits with
    cross-entropy, or a score as a regression) and how a model is measured. ``data`` defaults to the recipe's dataset,
    split and standardised exactly as for training; tests and benchmarks may pass the task's prepared data instead
    (standardised with the trained model's standardizer).

    Raises ``InvalidInputError`` (or ``MissingArtifactError``) before any work if the recipe has no compress
    section, does not match the trained model, asks for QAT on a family without quantizable layers, names a
    teacher that is missing or predicts other classes, or the family has no firmware form to compress.
    """
    from edgenn.architectures.registry import get_family
    from edgenn.compression.base import CompressionState
    from edgenn.compression.pipeline import build_passes, fine_tune_spec, run_passes
    from edgenn.compression.plots import plot_weight_histograms
    from edgenn.compression.summary import kernel_sizes, markdown_table, pruning_check
    from edgenn.seeding import seed_everything

    t0 = time.perf_counter()
    family = get_family(recipe.model.family)
    task.check_compressible(recipe, family)
    passes = build_passes(recipe, trained, progress=progress)  # every prerequisite is checked here, before any work
    seed = stage_seed(recipe.seed, "compress")
    seed_everything(seed)
    if data is None:
        data = task.prepare(recipe, family, standardizer=standardizer_of(trained), split=trained.split())
    model = trained.load_model()
    teacher = task.load_teacher(recipe, family)
    plan, tuned_data = task.compression_data(recipe, family, model, data, teacher)
    state = CompressionState(model=model, data=tuned_data, fine_tune=fine_tune_spec(recipe), task=plan)
    with atomic_dir(out_dir) as staging:
        final, records = run_passes(state, passes)
        compressed = final.model
        fine_tune = next(r for r in records if r.name == "fine_tune")
        metrics = task.evaluate(compressed, data, recipe, family, staging, label=f"{recipe.name} (compressed)",
                                teacher=teacher, history=fine_tune.details.get("history"), stage="compress")
        plot_weight_histograms(model, compressed, staging / "weights.png")
        before = task.compression_summary(model, data, recipe, family)
        after = task.compression_summary(compressed, data, recipe, family, metrics)
        learned = next((r for r in records if r.name == "fix_learned_precision"), None)
        if learned is not None:  # the proxy's Dense layers hold float weights: its bits are HGQ's, not layer_bits'
            from edgenn.compression.summary import with_learned_bits

            after = with_learned_bits(after, learned.details)
        compression = {"before": before, "after": after, "passes": [r.to_dict() for r in records],
                       "table_markdown": markdown_table(before, after), "fine_tune_target": plan.trained_layer}
        pruning = fine_tune.details.get("pruning")
        if pruning is not None:
            compression["pruning"] = pruning_check(pruning["target_sparsity"], pruning["mask_sparsity_per_layer"],
                                                   kernel_sizes(compressed))
        metrics.update(num_params=int(compressed.count_params()), split_sizes=task.split_sizes(data),
                       compression=compression)
        inputs = {"trained_model": str(trained.model_path), "trained_model_hash": file_hash(trained.model_path),
                  "dataset": str(data.source)}
        seeds = {"root": recipe.seed, "compress": seed, "split": stage_seed(recipe.seed, "split")}
        # the same model on the same rows: the trained run's standardiser and split, unchanged
        files = ModelFiles(compressed, trained.standardizer(), trained.split())
        artifact = ModelArtifact(Path(out_dir), "compress", recipe, metrics).save(
            staging, files, inputs=inputs, seeds=seeds, passes=[r.to_dict() for r in records],
            timings_s={"total": time.perf_counter() - t0, **{r.name: r.seconds for r in records}})
    return artifact
