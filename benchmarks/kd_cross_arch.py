"""Cross-architecture distillation benchmark (issue 3 item 5, re-run for issue 16 item 6), printed as Markdown.

Teacher: a constituent model, float (``--teacher``: a recipe of models/, default the interaction network; issue 16
re-runs it with jedi_linear, the best constituent family of BENCHMARKS.md, optionally on more constituents with
``--teacher-constituents``). Student: the quantized jet MLP (models/jet_mlp.yml's QAT settings) on the 16
high-level features, the trigger-rate model. Both recipes read the same dataset with the same classes, fractions
and seed, so their splits hold the same jets row for row (checked by ``edgenn.compression.teacher_inputs``); the
teacher is evaluated on its own constituent inputs of those jets.

Training ends by early stopping (the recipes' patience) under an epoch ceiling (``--teacher-epochs``,
``--student-epochs``; default 300, so early stopping alone ends it). For each seed the student is trained twice from
the same initialisation, data and ceiling: on labels only, and with the distillation loss against the teacher.
Differences are paired by seed; the difference counts as larger than the noise when the paired t statistic exceeds
the two-sided 95 % critical value for n - 1 degrees of freedom. Resumable: the teacher run and each seed's pair are
kept in ``--out`` and reused by the same command.

    edgenn data generate jets --out data/jets --jets-per-class 6000 --fast --seed 1
    python benchmarks/kd_cross_arch.py --data data/jets --seeds 3 --teacher jedi_linear --out runs/kd_jedi
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
CEILING = 300


def recipes(data: Path, teacher_epochs: int, student_epochs: int, *, teacher_recipe: str = "interaction_net",
            teacher_constituents: int | None = None):
    import yaml

    from edgenn.config.load import validate
    from edgenn.config.recipe import Recipe
    from edgenn.tasks.recipe_check import check_recipe

    teacher = yaml.safe_load((ROOT / "models" / f"{teacher_recipe}.yml").read_text())
    student = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())
    teacher.update(name=f"kd_teacher_{teacher_recipe}")
    student.update(name="kd_student_jet_mlp", seed=teacher["seed"])
    for r in (teacher, student):
        r["data"].update(path=str(data), val_fraction=teacher["data"]["val_fraction"],
                         test_fraction=teacher["data"]["test_fraction"])
    if teacher_constituents:
        teacher["data"]["num_constituents"] = teacher_constituents
    teacher["train"]["epochs"] = teacher_epochs
    student["train"]["epochs"] = student_epochs
    # the student is trained from scratch with QAT (train_student); pruning is not part of this comparison
    student["compress"] = {"epochs": student_epochs, "qat": student["compress"]["qat"],
                           "distill": {**student["compress"]["distill"], "teacher": "float"}}
    return (check_recipe(validate(Recipe, teacher, source="kd teacher")),
            check_recipe(validate(Recipe, student, source="kd student")))


def paired_summary(plain: list[float], distilled: list[float]) -> dict:
    import numpy as np
    from scipy import stats

    a, b = np.asarray(plain), np.asarray(distilled)
    diff = b - a
    n = len(diff)
    sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
    t_stat = float(diff.mean() / (sd / np.sqrt(n))) if n > 1 and sd > 0 else float("inf")
    t_crit = float(stats.t.ppf(0.975, n - 1)) if n > 1 else float("inf")
    return {"plain_mean": float(a.mean()), "plain_std": float(a.std(ddof=1)) if n > 1 else 0.0,
            "distilled_mean": float(b.mean()), "distilled_std": float(b.std(ddof=1)) if n > 1 else 0.0,
            "diff_mean": float(diff.mean()), "diff_std": sd, "t": t_stat, "t_crit_95": t_crit,
            "exceeds_noise": bool(abs(t_stat) > t_crit)}


def with_mean_auc(metrics: dict) -> dict:
    """Add the unweighted mean of the per-class one-vs-rest AUCs."""
    aucs = list(metrics["auc"].values())
    return {**metrics, "mean_auc": float(sum(aucs) / len(aucs))}


def seed_pair(student_recipe, data, teacher, seed: int, out: Path) -> dict:
    """Plain and distilled student of one seed, cached in ``out/seed_<seed>.json`` (written once both are done)."""
    from edgenn.compression.distill import train_student
    from edgenn.io import atomic_write_json

    path = out / f"seed_{seed}.json"
    if path.is_file():
        return json.loads(path.read_text())
    t0 = time.perf_counter()
    plain = with_mean_auc(train_student(student_recipe, data, teacher=None, seed=seed))
    distilled = with_mean_auc(train_student(student_recipe, data, teacher=teacher, seed=seed))
    row = {"seed": seed, "plain": plain, "distilled": distilled, "seconds": time.perf_counter() - t0}
    atomic_write_json(path, row)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="dataset directory holding jets.h5")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--teacher", default="interaction_net", help="teacher recipe in models/ (a constituent family)")
    ap.add_argument("--teacher-constituents", type=int, default=None, help="the teacher's data.num_constituents")
    ap.add_argument("--teacher-epochs", type=int, default=CEILING, help="epoch ceiling above early stopping")
    ap.add_argument("--student-epochs", type=int, default=CEILING, help="epoch ceiling above early stopping")
    ap.add_argument("--out", type=Path, default=Path("runs/kd_cross_arch"))
    args = ap.parse_args()

    from edgenn.artifacts import ModelArtifact
    from edgenn.compression.teacher_inputs import check_aligned
    from edgenn.io import atomic_write_json, is_complete
    from edgenn.tasks.registry import get_task
    from edgenn.training.stage import prepared_data, run_training

    teacher_recipe, student_recipe = recipes(args.data, args.teacher_epochs, args.student_epochs,
                                             teacher_recipe=args.teacher,
                                             teacher_constituents=args.teacher_constituents)
    check_aligned(teacher_recipe, student_recipe, where="benchmark")
    t0 = time.perf_counter()
    teacher_dir = args.out / "teacher" / "train"
    teacher = ModelArtifact.load(teacher_dir) if is_complete(teacher_dir) else \
        run_training(teacher_recipe, teacher_dir, task=get_task("classify"), progress=False)
    teacher_seconds = time.perf_counter() - t0
    data = prepared_data(student_recipe, split=teacher.split())
    rows = []
    for seed in range(args.seeds):
        row = seed_pair(student_recipe, data, teacher, seed, args.out)
        rows.append(row)
        print(f"seed {seed}: accuracy plain {row['plain']['accuracy']:.4f}, distilled "
              f"{row['distilled']['accuracy']:.4f} (epochs {row['plain']['epochs_run']}, "
              f"{row['distilled']['epochs_run']})", flush=True)
    summary = {key: paired_summary([r["plain"][key] for r in rows], [r["distilled"][key] for r in rows])
               for key in ("accuracy", "mean_auc")}
    sizes = {"train": len(data.train.y), "val": len(data.val.y), "test": len(data.test.y)}
    result = {"data": str(args.data), "split_sizes": sizes,
              "teacher": {"recipe": args.teacher, "family": teacher_recipe.model.family,
                          "num_constituents": teacher_recipe.data.num_constituents, "dir": str(teacher_dir),
                          "test_accuracy": teacher.metrics.get("accuracy"), "epochs_run":
                          teacher.metrics.get("epochs_run"), "epoch_ceiling": args.teacher_epochs,
                          "train_seconds": teacher_seconds},
              "student": {"family": student_recipe.model.family, "qat": student_recipe.compress.qat.model_dump(),
                          "distill": student_recipe.compress.distill.model_dump(mode="json"),
                          "epoch_ceiling": args.student_epochs},
              "seeds": rows, "summary": summary}
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out / "results.json", result)
    print(f"\nData: {args.data}, {sum(sizes.values()):,} jets (train {sizes['train']:,} / val {sizes['val']:,} / "
          f"test {sizes['test']:,}). Teacher ({args.teacher}, float, {teacher_recipe.data.num_constituents} "
          f"constituents, {teacher.metrics.get('epochs_run')} epochs) test accuracy "
          f"{teacher.metrics.get('accuracy'):.4f}; {args.seeds} seeds\n")
    print("| student (quantized MLP, 16 HLF) | " + " | ".join(summary) + " |")
    print("|---|" + "---|" * len(summary))
    for label, key in (("labels only", "plain"), (f"distilled from {args.teacher}", "distilled")):
        print(f"| {label} | " + " | ".join(f"{s[f'{key}_mean']:.4f} ± {s[f'{key}_std']:.4f}" for s in summary.values())
              + " |")
    print("| difference (paired) | " + " | ".join(
        f"{s['diff_mean']:+.4f} ± {s['diff_std']:.4f} (t = {s['t']:.2f}, 95 % critical {s['t_crit_95']:.2f}: "
        f"{'exceeds' if s['exceeds_noise'] else 'within'} the noise)" for s in summary.values()) + " |")


if __name__ == "__main__":
    main()
