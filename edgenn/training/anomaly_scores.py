"""Per-event anomaly scores of one model on its held-out test events, as saved beside every anomaly stage and export.

Stages (train, compress) and exports (C simulation, onnxruntime) write ``scores.npz`` so that the run report can
draw efficiency-vs-rate curves and score distributions without re-running TensorFlow, and so that firmware scores
keep their process labels. For a distilled student the teacher's log reconstruction error of the same events is
stored too (``teacher``), which is what the student-teacher correlation is computed from.
"""

from __future__ import annotations

import edgenn.filenames as filenames
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCORES_FILE = filenames.SCORES


@dataclass(frozen=True)
class AnomalyScores:
    """Anomaly scores of a model on held-out test events (background mixture + signals)."""

    scores: np.ndarray  # (events,) float, higher = more anomalous
    process: np.ndarray  # (events,) int process code, index into process_names
    background: np.ndarray  # (events,) bool: row of the SM background mixture
    process_names: tuple[str, ...]
    signals: tuple[str, ...]
    source: str  # where the scores came from, for the page to say
    teacher: np.ndarray | None = None  # (events,) teacher's log reconstruction error (students only)

    def save(self, path: Path) -> None:
        """The format ``load_anomaly_scores`` reads; ``path`` should end in .npz (numpy appends it otherwise)."""
        extra = {} if self.teacher is None else {"teacher": np.asarray(self.teacher, np.float64)}
        np.savez_compressed(path, scores=np.asarray(self.scores, np.float64), process=self.process,
                            background=self.background, process_names=np.array(self.process_names),
                            signals=np.array(self.signals), **extra)


def load_anomaly_scores(path: Path) -> AnomalyScores:
    with np.load(path, allow_pickle=False) as npz:
        return AnomalyScores(np.asarray(npz["scores"], np.float64).reshape(-1), np.asarray(npz["process"]).astype(int),
                             np.asarray(npz["background"]).astype(bool),
                             tuple(str(s) for s in npz["process_names"]), tuple(str(s) for s in npz["signals"]),
                             f"{path}", np.asarray(npz["teacher"], np.float64) if "teacher" in npz else None)
