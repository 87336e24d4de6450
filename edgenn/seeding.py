"""The only place that seeds python, numpy and TensorFlow.

Stage seeds are derived from (root seed, stage name) with a hash, so adding a stage shifts no other stage's seed.
Library code takes a ``numpy.random.Generator``; nothing draws from global numpy state.
"""

from __future__ import annotations

import hashlib
import os
import random

import numpy as np


def stage_seed(root_seed: int, stage: str) -> int:
    digest = hashlib.sha256(f"{root_seed}:{stage}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def rng(root_seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng(stage_seed(root_seed, stage))


def seed_everything(seed: int) -> None:
    """Seed python, numpy and TF and make TF ops deterministic (identical weights for the same seed on one machine)."""
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - Keras initialisers still read the global state
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # noqa: BLE001 - older TF: TF_DETERMINISTIC_OPS above still applies
        pass
