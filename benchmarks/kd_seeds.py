"""Knowledge distillation vs plain training of the same quantized student, over several seeds (issue 2).

The teacher is the float model of a trained run; the student is the recipe's QKeras model (optionally with other
hidden sizes), trained from scratch with the same data, epochs and seed, once with the KD loss and once with
cross-entropy only. Prints mean ± std of test accuracy and AUCs and whether the difference exceeds the seed noise::

    python benchmarks/kd_seeds.py --run runs/jet_mlp_bench --seeds 3 [--student-hidden 16 8]
"""

from __future__ import annotations

import argparse
import os
from edgenn.architectures.registry import family_params

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    import numpy as np
    from scipy import stats

    from edgenn.artifacts import ModelArtifact
    from edgenn.compression import train_student
    from edgenn.training.stage import prepared_data

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run directory with a trained float model (runs/<name>)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--student-hidden", type=int, nargs="*", default=None, help="student hidden sizes (default: recipe's)")
    ap.add_argument("--epochs", type=int, default=None, help="override training epochs")
    args = ap.parse_args()

    teacher = ModelArtifact.load(f"{args.run}/train")
    recipe = teacher.recipe
    if args.student_hidden:
        recipe = recipe.model_copy(update={"model": recipe.model.model_copy(
            update={"params": {**recipe.model.params, "hidden": args.student_hidden}})})
    if args.epochs:
        recipe = recipe.model_copy(update={"train": recipe.train.model_copy(update={"epochs": args.epochs})})
    data = prepared_data(recipe, standardizer=teacher.standardizer())
    rows = {"kd": [], "plain": []}
    for seed in range(1, args.seeds + 1):
        rows["kd"].append(train_student(recipe, data, teacher=teacher, seed=seed))
        rows["plain"].append(train_student(recipe, data, teacher=None, seed=seed))
        print(f"seed {seed}: KD acc {rows['kd'][-1]['accuracy']:.4f}, plain acc {rows['plain'][-1]['accuracy']:.4f}",
              flush=True)

    def summary(key, get):
        kd = np.array([get(r) for r in rows["kd"]])
        plain = np.array([get(r) for r in rows["plain"]])
        diff = kd - plain
        p = stats.ttest_rel(kd, plain).pvalue if len(kd) > 1 and np.std(diff) > 0 else float("nan")
        return (f"| {key} | {kd.mean():.4f} ± {kd.std(ddof=1):.4f} | {plain.mean():.4f} ± {plain.std(ddof=1):.4f} | "
                f"{diff.mean():+.4f} ± {diff.std(ddof=1):.4f} | {p:.3f} |")

    hidden = family_params(recipe).hidden
    print(f"\nStudent {hidden} (QKeras, {recipe.compress.qat.weight.bits}-bit weights) trained from scratch, "
          f"teacher = float model of {args.run}; {args.seeds} seeds; test split {len(data.test.y)} jets.\n")
    print("| metric | with KD | without KD | KD - plain (paired) | paired t-test p |")
    print("|---|---|---|---|---|")
    print(summary("accuracy", lambda r: r["accuracy"]))
    for cls in data.class_names:
        print(summary(f"AUC {cls}", lambda r, c=cls: r["auc"][c]))


if __name__ == "__main__":
    main()
