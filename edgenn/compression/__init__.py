"""Model compression as passes: magnitude pruning, quantization-aware training and knowledge distillation.

See ``base`` for the pass contract and how passes compose, ``pipeline`` for their order and checks, ``stage`` for the
``edgenn compress`` stage. TensorFlow is imported inside functions only.
"""

from edgenn.compression.base import (CompressionState, LossPlan, Pass, PassRecord, clone_with_weights, get_pass,
                                     pass_names, register_pass)
from edgenn.compression.bops import LayerBops, bops_summary, dense_bops, model_bops
from edgenn.compression.distill import (DistillFromTeacher, Teacher, distillation_loss, resolve_teacher,
                                        train_student)
from edgenn.compression.fine_tune import FineTune
from edgenn.compression.pipeline import build_passes, check_compatible, fine_tune_spec, run_passes
from edgenn.compression.prune import PruneWeights, pruning_steps, sparsity_tolerance
from edgenn.compression.qat import QuantizeLayers, SnapWeightsToGrid, check_quantizable, on_grid
from edgenn.compression.stage import run_compression

__all__ = [
    "CompressionState", "LossPlan", "Pass", "PassRecord", "clone_with_weights", "get_pass", "pass_names",
    "register_pass", "LayerBops", "bops_summary", "dense_bops", "model_bops", "DistillFromTeacher", "Teacher",
    "distillation_loss", "resolve_teacher", "train_student", "FineTune", "build_passes", "check_compatible",
    "fine_tune_spec", "run_passes", "PruneWeights", "pruning_steps", "sparsity_tolerance", "QuantizeLayers",
    "SnapWeightsToGrid", "check_quantizable", "on_grid", "run_compression",
]
