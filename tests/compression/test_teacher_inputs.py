"""Cross-architecture distillation: a constituent teacher's inputs line up row for row with a feature student's."""

import numpy as np
import pytest
import yaml

from edgenn_testing import ROOT, write_recipe
from edgenn.config.load import load_recipe
from edgenn.errors import InvalidInputError


def recipes(tmp_path, dataset, **teacher_overrides):
    student = load_recipe(write_recipe(tmp_path / "student.yml", dataset))
    raw = yaml.safe_load((ROOT / "models" / "interaction_net.yml").read_text())
    raw["data"].update(path=str(dataset), val_fraction=0.2, test_fraction=0.3)
    raw["model"]["params"].update(edge=[4], node=[4], head=[4])
    raw["train"].update(epochs=1, batch_size=64)
    raw.update(teacher_overrides)
    (tmp_path / "teacher.yml").write_text(yaml.safe_dump(raw))
    return load_recipe(tmp_path / "teacher.yml"), student


def test_teacher_and_student_rows_are_the_same_jets(tmp_path, tiny_jets):
    from edgenn.compression.teacher_inputs import aligned_teacher_inputs, check_aligned
    from edgenn.datasets import load_jets
    from edgenn.training.stage import prepared_data

    teacher, student = recipes(tmp_path, tiny_jets)
    check_aligned(teacher, student)
    data = prepared_data(student)
    t_train, t_val = aligned_teacher_inputs(teacher, data)
    teacher_std = prepared_data(teacher).standardizer  # fitted on the teacher's real training particles
    assert teacher_std is not None and teacher_std.zero_padded
    raw = load_jets(tiny_jets / "jets.h5")
    names = list(data.feature_names)
    raw_features = raw.select_features(names)
    cols = [raw.constituent_names.index(n) for n in teacher.data.constituent_features]
    for x_student, x_teacher in ((data.train.x, t_train), (data.val.x, t_val)):
        assert len(x_student) == len(x_teacher) > 0
        # undo the student's standardisation and find each row's jet in the file by its exact features
        feats = x_student * data.standardizer.scale + data.standardizer.mean
        for i in range(0, len(feats), 7):
            jet = int(np.argmin(np.abs(raw_features - feats[i]).sum(axis=1)))
            np.testing.assert_allclose(raw_features[jet], feats[i], rtol=1e-5, atol=1e-5)
            expected = raw.constituents[jet, : teacher.data.num_constituents][:, cols]
            assert np.array_equal(x_teacher[i], teacher_std.apply(expected))


def test_teacher_with_another_split_is_refused_naming_the_fields(tmp_path, tiny_jets):
    from edgenn.compression.teacher_inputs import check_aligned

    teacher, student = recipes(tmp_path, tiny_jets, seed=7)
    with pytest.raises(InvalidInputError, match="seed: teacher 7, student 42"):
        check_aligned(teacher, student)


def test_student_distils_from_a_constituent_teacher(tmp_path, tiny_jets):
    from edgenn.compression.distill import train_student
    from edgenn.tasks.registry import get_task
    from edgenn.training.stage import prepared_data, run_training

    teacher_recipe, student = recipes(tmp_path, tiny_jets)
    teacher = run_training(teacher_recipe, tmp_path / "teacher" / "train", task=get_task("classify"),
                           progress=False)
    data = prepared_data(student)
    # the KD path feeds the teacher exactly what it was trained on: its saved constituent standardiser
    from edgenn.compression.distill import teacher_from_artifact

    resolved = teacher_from_artifact(teacher, student)
    assert resolved.standardizer is not None and resolved.standardizer.zero_padded
    t_train, _ = resolved.split_inputs(data)
    assert np.array_equal(t_train, prepared_data(teacher_recipe).train.x)
    student = student.model_copy(update={"train": student.train.model_copy(update={"epochs": 1})})
    metrics = train_student(student, data, teacher=teacher, seed=1)
    assert metrics["distilled"] is True and 0.0 <= metrics["accuracy"] <= 1.0
