"""Design-space exploration: Optuna multi-objective scans over bits, sparsity, widths and reuse, and paired
model comparisons, run on local worker processes or on a Ray cluster.

``driver`` runs a scan, ``study`` keeps it resumable in SQLite, ``space`` turns trials into recipe variants,
``trial`` runs one variant in a worker, ``executors`` says where, ``estimate``/``objectives`` score it, ``tables``
writes the results, ``compare`` re-trains two recipes over folds or seeds, ``curves`` draws training-set-size
curves (``subsets`` picks each fold's jets, ``curve_cell`` trains one cell). Optuna and Ray are imported inside
functions (Ray only with ``--ray-address``).
"""

from edgenn.scan.compare import CompareResult, MetricComparison, run_compare
from edgenn.scan.curves import CurveResult, run_train_size_curves
from edgenn.scan.driver import ScanResult, run_scan
from edgenn.scan.executors import RayTaskExecutor, make_executor
from edgenn.scan.objectives import check_budget, pareto_indices
from edgenn.scan.space import check_space, suggest, variant
from edgenn.scan.trial import FoldSplit, TrialJob, TrialWorker

__all__ = [
    "CompareResult", "CurveResult", "FoldSplit", "MetricComparison", "RayTaskExecutor", "ScanResult", "TrialJob",
    "TrialWorker", "check_budget", "check_space", "make_executor", "pareto_indices", "run_compare", "run_scan",
    "run_train_size_curves", "suggest", "variant",
]
