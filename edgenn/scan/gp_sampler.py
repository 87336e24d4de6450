"""Gaussian-process Bayesian optimisation behind Optuna's sampler interface, on scikit-learn (``--sampler gp``).

Optuna's own ``GPSampler`` needs torch, which in this stack pulls several GB of CUDA wheels; scikit-learn is already
installed. This sampler keeps the study as the single record (Optuna stores every trial; the sampler is stateless
between calls apart from its random generator), so a resumed scan continues from the stored trials.

Per suggestion, after ``startup_trials`` random ones:
- every dimension of the intersection search space is encoded in [0, 1] (log scale where the distribution is log;
  categorical choices one-hot), the completed trials are the training points;
- several objectives are scalarised as in ParEGO (Knowles 2006): each normalised to [0, 1] over the trials so far
  (maximised ones flipped), then ``max_i w_i f_i + 0.05 sum_i w_i f_i`` with weights drawn fresh from a Dirichlet
  per suggestion, so successive suggestions aim at different parts of the Pareto front;
- a trial that breaks the scan's budget (``constraints_func`` > 0, as NSGA-II and TPE read it) gets 1 plus its summed
  violation added, so the model learns where the budget is broken;
- a GP (constant x Matern 5/2 with one length scale per dimension, plus a white-noise term; ``normalize_y``) is
  fitted and the expected improvement is maximised over random candidates and perturbations of the best trials.
Parameters outside the intersection space (dynamic ones) are sampled at random.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import optuna  # this module is imported only when a scan builds its sampler (scan/study.py)

PAREGO_RHO = 0.05


def _encode_value(dist, value) -> list[float]:
    from optuna.distributions import CategoricalDistribution

    if isinstance(dist, CategoricalDistribution):
        one_hot = [0.0] * len(dist.choices)
        one_hot[dist.choices.index(value)] = 1.0
        return one_hot
    low, high, v = float(dist.low), float(dist.high), float(value)
    if dist.log:
        low, high, v = math.log(low), math.log(high), math.log(v)
    return [0.0 if high == low else (v - low) / (high - low)]


def _width(dist) -> int:
    from optuna.distributions import CategoricalDistribution

    return len(dist.choices) if isinstance(dist, CategoricalDistribution) else 1


def _decode_value(dist, block: np.ndarray):
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(np.argmax(block))]
    u = float(np.clip(block[0], 0.0, 1.0))
    low, high = float(dist.low), float(dist.high)
    v = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if dist.log else low + u * (high - low)
    step = getattr(dist, "step", None)
    if step is not None:
        v = low + round((v - low) / step) * step
    v = min(max(v, low), high)
    return int(round(v)) if isinstance(dist, IntDistribution) else float(v)


def parego(values: np.ndarray, maximize: Sequence[bool], weights: np.ndarray) -> np.ndarray:
    """Scalarised values (lower is better) of ``values`` (trials x objectives)."""
    v = np.where(np.asarray(maximize)[None, :], -values, values)
    lo, hi = v.min(axis=0), v.max(axis=0)
    f = (v - lo) / np.where(hi > lo, hi - lo, 1.0)
    weighted = f * weights[None, :]
    return weighted.max(axis=1) + PAREGO_RHO * weighted.sum(axis=1)


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    from scipy.stats import norm

    std = np.maximum(std, 1e-12)
    z = (best - mean) / std
    return (best - mean) * norm.cdf(z) + std * norm.pdf(z)


class SklearnGPSampler(optuna.samplers.BaseSampler):
    """GP-EI with scikit-learn as an Optuna sampler; see the module docstring."""

    def __init__(self, *, seed: int = 0, startup_trials: int = 8, num_candidates: int = 1000,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None) -> None:
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._random = optuna.samplers.RandomSampler(seed=seed)
        self._space = optuna.search_space.IntersectionSearchSpace()
        self.startup_trials = startup_trials
        self.num_candidates = num_candidates
        self.constraints_func = constraints_func

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study, trial) -> dict[str, Any]:
        return {name: d for name, d in self._space.calculate(study).items() if not d.single()}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def sample_relative(self, study, trial, search_space: dict[str, Any]) -> dict[str, Any]:
        from optuna.trial import TrialState

        if not search_space:
            return {}
        done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if all(name in t.params for name in search_space)]
        if len(done) < self.startup_trials:
            return {}
        names = sorted(search_space)
        x = np.array([sum((_encode_value(search_space[n], t.params[n]) for n in names), []) for t in done])
        maximize = [d.name == "MAXIMIZE" for d in study.directions]
        values = np.array([t.values for t in done], dtype=float)
        y = parego(values, maximize, self._rng.dirichlet(np.ones(len(maximize))))
        if self.constraints_func is not None:
            violation = np.array([sum(max(float(c), 0.0) for c in self.constraints_func(t)) for t in done])
            y = y + np.where(violation > 0, 1.0 + violation, 0.0)
        candidate = self._maximise_ei(x, y)
        out, i = {}, 0
        for n in names:
            w = _width(search_space[n])
            out[n] = _decode_value(search_space[n], candidate[i:i + w])
            i += w
        return out

    def _maximise_ei(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        dim = x.shape[1]
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(dim, 0.3), (1e-2, 1e2), nu=2.5) \
            + WhiteKernel(1e-3, (1e-6, 1e-1))
        gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                      random_state=int(self._rng.integers(2**31 - 1)))
        with warnings.catch_warnings():  # a few points rarely pin every length scale; the fit is still usable
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(x, y)
        best = x[np.argsort(y)[:3]]
        local = np.clip(best[self._rng.integers(len(best), size=self.num_candidates // 4)]
                        + self._rng.normal(0, 0.08, (self.num_candidates // 4, dim)), 0, 1)
        candidates = np.vstack([self._rng.random((self.num_candidates, dim)), local])
        mean, std = gp.predict(candidates, return_std=True)
        return candidates[int(np.argmax(expected_improvement(mean, std, float(y.min()))))]
