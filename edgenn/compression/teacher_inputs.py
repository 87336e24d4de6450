"""A teacher's own inputs for the student's rows, when teacher and student see different inputs of the same jets.

Cross-architecture distillation: the teacher (e.g. the interaction network on constituents) and the student (the
quantized MLP on the 16 high-level features) read different arrays of one dataset. The teacher must be evaluated on
*its* inputs, prepared exactly as when it was trained, for the *same jets* the student trains on, row for row.

Why the rows align: the teacher's inputs are prepared on the student's split record (the rows the student's
training stage drew and saved), not on a split re-drawn from the teacher's recipe, so they are the same jets by
construction; the record refuses a dataset whose labels differ from the ones it was drawn on. ``check_aligned``
refuses recipes that select other rows (dataset, classes) before any work, and ``aligned_teacher_inputs`` also checks
that the labels agree row for row after preparing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenn.config.recipe import Recipe
from edgenn.errors import InvalidInputError
from edgenn.training.inputs import PreparedData

# DataSpec fields that decide which jets land in which split, in which order
SPLIT_FIELDS = ("path", "format", "classes", "val_fraction", "test_fraction")


def check_aligned(teacher: Recipe, student: Recipe, *, where: str = "compress.distill.teacher") -> None:
    """Raise InvalidInputError unless both recipes split the same dataset into the same rows."""
    problems = []
    for name in SPLIT_FIELDS:
        mine, theirs = getattr(student.data, name), getattr(teacher.data, name)
        if name == "path":
            mine, theirs = Path(mine).resolve(), Path(theirs).resolve()
        if mine != theirs:
            problems.append(f"data.{name}: teacher {theirs!s}, student {mine!s}")
    if teacher.seed != student.seed:
        problems.append(f"seed: teacher {teacher.seed}, student {student.seed} (the split is seeded by it)")
    if problems:
        raise InvalidInputError(
            f"{where}: the teacher ({teacher.name}) sees other inputs than the student, so it is evaluated on its own "
            f"inputs of the same jets; but its recipe splits the data differently: {'; '.join(problems)}.",
            fix="train the teacher with the student's data.path, classes, val/test fractions and seed.")


def aligned_teacher_inputs(teacher: Recipe, student_data: PreparedData, *, standardizer=None
                           ) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's (train, val) inputs for the rows of ``student_data``, prepared as for the teacher's training."""
    from edgenn.training.stage import prepared_data

    theirs = prepared_data(teacher, standardizer=standardizer, split=student_data.split)
    for split in ("train", "val"):
        mine_y, their_y = getattr(student_data, split).y, getattr(theirs, split).y
        if len(mine_y) != len(their_y) or not np.array_equal(mine_y, their_y):
            raise InvalidInputError(
                f"compress.distill.teacher: the teacher's {split} split ({len(their_y)} rows) does not line up with "
                f"the student's ({len(mine_y)} rows): the labels differ row by row.",
                fix="prepare the student's data from its recipe (same dataset, classes, fractions and seed as the "
                    "teacher's).")
    return theirs.train.x, theirs.val.x
