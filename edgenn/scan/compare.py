"""Does model A beat model B beyond noise? Paired re-training over K folds or K seeds, and a paired test.

Both recipes are re-trained (and compressed, if they say so) K times on the same jets: with ``folds``, each fold of
a stratified K-fold split of all the recipe's jets is the test split once (seed fixed: recipe A's); with ``seeds``,
the recipes' own split and training are repeated with root seeds s, s+1, ... (A and B share each seed, hence each
split). Every metric gets mean ± std (ddof 1) per model and the paired differences A - B a p-value:

- folds: the corrected resampled t-test of Nadeau & Bengio (2003, Machine Learning 52:239): the variance of the
  differences is inflated by ``1/K + n_test/n_train`` (= 1/K + 1/(K-1) here) because the K training sets overlap; the
  plain paired t-test is known to be far too confident in that case;
- seeds: the paired t-test (``scipy.stats.ttest_rel``); or, with ``test="wilcoxon"``, the Wilcoxon signed-rank test
  (no normality assumption, but with K <= 5 its two-sided p-value cannot go below 0.0625).

The verdict uses the primary ``metric``: "A beats B" or "B beats A" when p < alpha, else "not distinguishable".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from edgenn.config.recipe import Recipe
from edgenn.errors import InvalidInputError
from edgenn.io import atomic_dir, atomic_write_json, atomic_write_text
from edgenn.scan.trial import FoldSplit, TrialJob

HIGHER_IS_BETTER = ("accuracy", "auc.", "rejection_at_50.")
TestKind = Literal["t", "wilcoxon"]


@dataclass(frozen=True)
class MetricComparison:
    name: str
    higher_is_better: bool
    a: tuple[float, ...]
    b: tuple[float, ...]
    p_value: float
    test: str

    @property
    def mean_a(self) -> float:
        return float(np.mean(self.a))

    @property
    def mean_b(self) -> float:
        return float(np.mean(self.b))

    @property
    def std_a(self) -> float:
        return float(np.std(self.a, ddof=1)) if len(self.a) > 1 else 0.0

    @property
    def std_b(self) -> float:
        return float(np.std(self.b, ddof=1)) if len(self.b) > 1 else 0.0

    @property
    def mean_diff(self) -> float:
        return float(np.mean(np.subtract(self.a, self.b)))

    def to_dict(self) -> dict:
        return {"name": self.name, "higher_is_better": self.higher_is_better, "a": list(self.a), "b": list(self.b),
                "mean_a": self.mean_a, "std_a": self.std_a, "mean_b": self.mean_b, "std_b": self.std_b,
                "mean_diff": self.mean_diff, "p_value": self.p_value, "test": self.test}


@dataclass(frozen=True)
class CompareResult:
    directory: Path
    name_a: str
    name_b: str
    mode: Literal["folds", "seeds"]
    k: int
    metric: str
    alpha: float
    metrics: tuple[MetricComparison, ...]
    verdict: str

    def primary(self) -> MetricComparison:
        return next(m for m in self.metrics if m.name == self.metric)


def paired_p_value(a, b, *, test: TestKind, corrected_ratio: float | None = None) -> float:
    """Two-sided p-value for mean(a - b) != 0; ``corrected_ratio`` = n_test/n_train applies Nadeau-Bengio."""
    from scipy import stats

    d = np.subtract(np.asarray(a, float), np.asarray(b, float))
    k = len(d)
    if k < 2:
        return float("nan")
    if np.allclose(d, d[0], rtol=0, atol=1e-12):  # no spread: either no difference at all or a systematic one
        return 1.0 if abs(d[0]) <= 1e-12 else 0.0
    if test == "wilcoxon":
        return float(stats.wilcoxon(d).pvalue)
    if corrected_ratio is None:
        return float(stats.ttest_rel(a, b).pvalue)
    t = d.mean() / math.sqrt((1.0 / k + corrected_ratio) * d.var(ddof=1))
    return float(2 * stats.t.sf(abs(t), df=k - 1))


def verdict(m: MetricComparison, alpha: float, name_a: str, name_b: str) -> str:
    if not (m.p_value < alpha):
        return (f"{name_a} and {name_b} are not distinguishable on {m.name} (p = {m.p_value:.3g} >= {alpha:g}; "
                f"mean difference {m.mean_diff:+.4g})")
    a_better = (m.mean_diff > 0) == m.higher_is_better
    win, lose = (name_a, name_b) if a_better else (name_b, name_a)
    return f"{win} beats {lose} on {m.name} beyond noise (p = {m.p_value:.3g} < {alpha:g}; A - B = {m.mean_diff:+.4g})"


def _higher_is_better(name: str) -> bool:
    return name == "accuracy" or name.startswith(HIGHER_IS_BETTER[1:])


def _jobs(recipe_a: Recipe, recipe_b: Recipe, mode: str, k: int, out_dir: Path) -> list[TrialJob]:
    jobs = []
    for i in range(k):
        if mode == "folds":
            seed, split = recipe_a.seed, FoldSplit(k, i, recipe_a.seed)
        else:
            seed, split = recipe_a.seed + i, None
        for label, r in (("A", recipe_a), ("B", recipe_b)):
            jobs.append(TrialJob(key=f"{label}/{mode[:-1]}_{i}", recipe=r.model_copy(update={"seed": seed})
                                 .model_dump(mode="json"), trial_dir=str((out_dir / label / f"{mode[:-1]}_{i}")
                                                                         .resolve()), split=split))
    return jobs


def _check_pairable(a: Recipe, b: Recipe) -> None:
    located = ("path", "format", "classes", "val_fraction", "test_fraction")
    diff = [f"data.{f}" for f in located if getattr(a.data, f) != getattr(b.data, f)]
    if diff:
        raise InvalidInputError(f"the two recipes use different jets ({', '.join(diff)} differ), so their results "
                                "cannot be paired.", fix="compare recipes on the same dataset, classes and split.")


def run_compare(recipe_a: Recipe, recipe_b: Recipe, out_dir: Path, *, folds: int | None = None,
                seeds: int | None = None, metric: str = "accuracy", test: TestKind = "t", alpha: float = 0.05,
                workers: int | None = None, ray_address: str | None = None) -> CompareResult:
    """Re-train both recipes K times (folds or seeds), compare every metric, write ``compare.json``/``compare.md``."""
    from edgenn.scan.executors import make_executor

    if (folds is None) == (seeds is None):
        raise InvalidInputError("give exactly one of --folds K or --seeds K.", fix="e.g. --folds 5.")
    mode, k = ("folds", folds) if folds is not None else ("seeds", seeds)
    if k < 2:
        raise InvalidInputError(f"--{mode}: needs at least 2 (got {k}) to estimate noise.", fix=f"use --{mode} 5.")
    _check_pairable(recipe_a, recipe_b)
    name_a, name_b = (recipe_a.name, recipe_b.name) if recipe_a.name != recipe_b.name else ("A", "B")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as staging:
        jobs = _jobs(recipe_a, recipe_b, mode, k, staging)
        executor = make_executor(workers, ray_address)
        try:
            results = executor.run_batch(jobs)
        finally:
            executor.close()
        errors = [f"{r['key']}: {r['error']}" for r in results if "error" in r]
        if errors:
            raise InvalidInputError("re-training failed: " + "; ".join(errors))
        res_a, res_b = results[0::2], results[1::2]
        if any(ra["labels_sha256"] != rb["labels_sha256"] for ra, rb in zip(res_a, res_b)):
            raise InvalidInputError("the two recipes' test splits hold different jets, so results cannot be paired.",
                                    fix="use recipes with the same data settings.")
        names = [n for n in res_a[0]["figures"] if n.startswith("test_") or n in
                 ("lut", "dsp", "ff", "latency_cycles", "num_params")]
        names = [n for n in names if n in res_b[0]["figures"]]
        comps = []
        for n in names:
            a = tuple(float(r["figures"][n]["value"]) for r in res_a)
            b = tuple(float(r["figures"][n]["value"]) for r in res_b)
            short = n.removeprefix("test_")
            if not all(math.isfinite(v) for v in a + b):
                continue
            p = paired_p_value(a, b, test=test, corrected_ratio=(1.0 / (k - 1)) if mode == "folds" and test == "t"
                               else None)
            label = "wilcoxon" if test == "wilcoxon" else ("corrected t (Nadeau-Bengio)" if mode == "folds"
                                                           else "paired t")
            comps.append(MetricComparison(short, _higher_is_better(short), a, b, p, label))
        if metric not in [c.name for c in comps]:
            raise InvalidInputError(f"--metric {metric!r} is not among the compared metrics "
                                    f"({', '.join(c.name for c in comps)}).", fix="choose one of those.")
        primary = next(c for c in comps if c.name == metric)
        result = CompareResult(out_dir, name_a, name_b, mode, k, metric, alpha, tuple(comps),
                               verdict(primary, alpha, name_a, name_b))
        atomic_write_json(staging / "compare.json", {
            "schema_version": 1, "a": recipe_a.model_dump(mode="json"), "b": recipe_b.model_dump(mode="json"),
            "mode": mode, "k": k, "metric": metric, "alpha": alpha, "verdict": result.verdict,
            "metrics": [c.to_dict() for c in comps], "seconds": time.perf_counter() - t0})
        atomic_write_text(staging / "compare.md", markdown(result))
        from edgenn.manifest import write_manifest

        write_manifest(staging, stage="compare", inputs={"a": name_a, "b": name_b},
                       metrics={c.name: c.to_dict() for c in comps}, timings_s={"total": time.perf_counter() - t0})
    return result


def markdown(r: CompareResult) -> str:
    lines = [f"# {r.name_a} (A) vs {r.name_b} (B): {r.k} {r.mode}", "", f"**{r.verdict}**", "",
             "| metric | A mean ± std | B mean ± std | A - B | p |", "|---|---|---|---|---|"]
    for m in r.metrics:
        lines.append(f"| {m.name} | {m.mean_a:.4g} ± {m.std_a:.2g} | {m.mean_b:.4g} ± {m.std_b:.2g} | "
                     f"{m.mean_diff:+.3g} | {m.p_value:.3g} |")
    lines += ["", f"Test: {r.metrics[0].test if r.metrics else '-'}; quality metrics on each {r.mode[:-1]}'s test "
              "split, hardware figures analytic estimates."]
    return "\n".join(lines) + "\n"
