"""Bad input to every command, through the real CLI: exit code 2, one message naming what/where/fix, no traceback,
and no output left behind.

Each case builds its inputs in a fresh directory and returns the argv plus the substrings the message must contain.
``OUT`` in an argv is replaced by the case's output path, which must not exist afterwards (nor any hidden staging
or lock sibling of it). API-level checks of the same inputs live in tests/runners/test_export_inputs.py and
tests/config/test_load.py; this suite adds the CLI contract on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hardening_support import hidden_leftovers, make_jets, tiny_recipe
from edgenn.cli.app import app
from edgenn_testing import write_export_report

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], tuple[list[str], list[str]]]  # tmp dir -> (argv, substrings of the message)


# ---------------------------------------------------------------- inputs

def _recipe(tmp: Path, **overrides) -> Path:
    return tiny_recipe(tmp / "r.yml", make_jets(tmp / "jets"), **overrides)


def _recipe_text(tmp: Path, text: str) -> Path:
    (tmp / "r.yml").write_text(text)
    return tmp / "r.yml"


def _edit(tmp: Path, section: str, **values) -> Path:
    path = _recipe(tmp)
    recipe = yaml.safe_load(path.read_text())
    node = recipe
    for key in section.split("."):
        node = node.setdefault(key, {})
    node.update(values)
    path.write_text(yaml.safe_dump(recipe))
    return path


def _dataset_recipe(tmp: Path, corrupt: Callable[[Path], None]) -> Path:
    path = _recipe(tmp)
    corrupt(tmp / "jets" / "jets.h5")
    return path


def _drop_all_rows(h5) -> None:
    for name in ("features", "constituents", "labels"):
        empty = h5[name][()][:0]
        del h5[name]
        h5.create_dataset(name, data=empty)


def _h5_edit(fn):
    def corrupt(h5_path: Path) -> None:
        import h5py

        with h5py.File(h5_path, "r+") as h5:
            fn(h5)
    return corrupt


def _replace(name: str, array_fn):
    def fn(h5):
        arr = array_fn(h5[name][()])
        del h5[name]
        h5.create_dataset(name, data=arr)
    return _h5_edit(fn)


def _dense_model(tmp: Path, suffix: str = ".h5") -> Path:
    import tensorflow as tf

    inp = tf.keras.Input((4,), name="x_in")
    model = tf.keras.Model(inp, tf.keras.layers.Dense(3, activation="softmax", name="out")(inp))
    path = tmp / f"m{suffix}"
    model.save(path)
    return path


def _npz(tmp: Path, **arrays) -> Path:
    np.savez(tmp / "v.npz", **arrays)
    return tmp / "v.npz"


def _valid_npz(tmp: Path) -> Path:
    return _npz(tmp, x=np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32), y=np.arange(20) % 3)


def _lambda_model(tmp: Path, suffix: str) -> Path:
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    out = tf.keras.layers.Lambda(lambda t: t * 2, name="times_two")(inp)
    path = tmp / f"lam{suffix}"
    tf.keras.Model(inp, out).save(path)
    return path


def _custom_model(tmp: Path, suffix: str) -> Path:
    """A model whose layer class exists only in the author's code (loading it needs custom_objects)."""
    import tensorflow as tf

    class ScaledDense(tf.keras.layers.Dense):
        pass

    inp = tf.keras.Input((4,))
    path = tmp / f"custom{suffix}"
    tf.keras.Model(inp, ScaledDense(3, name="scaled")(inp)).save(path)
    return path


def _unconvertible_model(tmp: Path) -> Path:
    """RepeatVector: no hls4ml 1.3 Keras handler (LayerNormalization, used here before, has one) and no edgenn
    precision rule."""
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    h = tf.keras.layers.Flatten(name="flat")(tf.keras.layers.RepeatVector(2, name="repeat")(inp))
    tf.keras.Model(inp, tf.keras.layers.Dense(3, name="out")(h)).save(tmp / "rv.h5")
    return tmp / "rv.h5"


def _user_export(tmp: Path, *flags: str) -> list[str]:
    return ["export", str(_dense_model(tmp)), "--data", str(_valid_npz(tmp)), "--out", "OUT", *flags]


def _budget(tmp: Path, text: str) -> Path:
    (tmp / "b.yml").write_text(text)
    return tmp / "b.yml"


def _export_dir(tmp: Path, complete: bool = True) -> Path:
    d = tmp / "fw"
    d.mkdir()
    write_export_report(d, {"accuracy": {"value": 0.9, "unit": "fraction", "method": "csim"}})
    if complete:
        (d / "manifest.json").write_text("{}")
    return d


def _file_as_parent(tmp: Path) -> str:
    (tmp / "plain_file").write_text("not a directory")
    return str(tmp / "plain_file" / "out")


# ---------------------------------------------------------------- the table

CASES = [
    # recipes (train): YAML, schema, ranges
    Case("recipe-malformed-yaml", lambda t: (["train", str(_recipe_text(t, "name: x\n  bad: [\n")), "--out", "OUT"],
                                             ["r.yml", "malformed YAML at line", "Fix:"])),
    Case("recipe-empty", lambda t: (["train", str(_recipe_text(t, "")), "--out", "OUT"], ["r.yml", "empty", "Fix:"])),
    Case("recipe-missing", lambda t: (["train", str(t / "nope.yml"), "--out", "OUT"], ["nope.yml", "not found", "Fix:"])),
    Case("recipe-unknown-key", lambda t: (["train", str(_edit(t, "export.fpga", prt="xcvu9p")), "--out", "OUT"],
                                          ["export.fpga.prt", "Extra inputs are not permitted", "Fix:"])),
    Case("recipe-wrong-type", lambda t: (["train", str(_edit(t, "train", batch_size="many")), "--out", "OUT"],
                                         ["train.batch_size", "'many'", "Fix:"])),
    Case("recipe-bits-zero", lambda t: (["train", str(_edit(t, "compress.qat.weight", bits=0)), "--out", "OUT"],
                                        ["compress.qat.weight.bits", "(got 0)", "Fix:"])),
    Case("recipe-bits-negative", lambda t: (["train", str(_edit(t, "compress.qat.activation", bits=-4)), "--out", "OUT"],
                                            ["compress.qat.activation.bits", "(got -4)", "Fix:"])),
    Case("recipe-sparsity-one", lambda t: (["train", str(_edit(t, "compress.prune", final_sparsity=1.0)), "--out", "OUT"],
                                           ["compress.prune.final_sparsity", "(got 1.0)", "Fix:"])),
    Case("recipe-clock-zero", lambda t: (["train", str(_edit(t, "export.fpga", clock_period_ns=0)), "--out", "OUT"],
                                         ["export.fpga.clock_period_ns", "(got 0)", "Fix:"])),
    Case("recipe-unknown-part", lambda t: (["train", str(_edit(t, "export.fpga", part="xcfoo-bar")), "--out", "OUT"],
                                           ["export.fpga.part", "(got 'xcfoo-bar')", "use an AMD/Xilinx part name"])),
    Case("recipe-clock-negative", lambda t: (["train", str(_edit(t, "export.fpga", clock_period_ns=-5)), "--out", "OUT"],
                                             ["export.fpga.clock_period_ns", "(got -5)", "Fix:"])),
    # datasets (train)
    Case("dataset-missing", lambda t: (["train", str(tiny_recipe(t / "r.yml", t / "no_data")), "--out", "OUT"],
                                       ["no_data/jets.h5", "not found", "edgenn data generate jets"])),
    Case("dataset-empty-file", lambda t: (["train", str(_dataset_recipe(t, lambda p: p.write_bytes(b""))), "--out", "OUT"],
                                          ["jets.h5", "not an HDF5 file", "Fix:"])),
    Case("dataset-no-rows", lambda t: (["train", str(_dataset_recipe(t, _h5_edit(_drop_all_rows))), "--out", "OUT"],
                                       ["jets", "has any rows", "Fix:"])),
    Case("dataset-wrong-feature-count", lambda t: (["train", str(_dataset_recipe(
        t, _replace("features", lambda f: f[:, :10]))), "--out", "OUT"],
        ["jets.h5", "features has 10 columns but 24 feature_names", "Fix:"])),
    Case("dataset-nan-rows", lambda t: (["train", str(_dataset_recipe(
        t, _replace("features", lambda f: np.where(np.arange(len(f))[:, None] % 50 == 0, np.nan, f)))), "--out", "OUT"],
        ["jets.h5", "4 of 200 rows contain NaN or Inf", "Fix:"])),
    Case("dataset-inf-rows", lambda t: (["train", str(_dataset_recipe(
        t, _replace("constituents", lambda c: np.where(np.arange(len(c))[:, None, None] == 3, np.inf, c)))),
        "--out", "OUT"], ["jets.h5", "constituents: 1 of 200 jets contain NaN or Inf", "Fix:"])),
    Case("dataset-one-class", lambda t: (["train", str(_dataset_recipe(
        t, lambda p: make_jets(p.parent, labels=np.zeros(100, int)))), "--out", "OUT"],
        ["only one class (q)", "at least two", "Fix:"])),
    Case("dataset-too-few-rows", lambda t: (["train", str(_dataset_recipe(
        t, lambda p: make_jets(p.parent, per_class=1))), "--out", "OUT"], ["too few to split", "Fix:"])),
    Case("dataset-unknown-feature", lambda t: (["train", str(_edit(t, "data", features=["j_mass_mmdt", "j_masss"])),
                                                "--out", "OUT"], ["data.features", "j_masss", "Fix:"])),
    Case("train-out-under-a-file", lambda t: (["train", str(_recipe(t)), "--out", _file_as_parent(t)],
                                              ["plain_file", "cannot write", "Fix:"])),
    # user model files (export)
    Case("model-not-hdf5", lambda t: (["export", str(_write(t / "junk.h5", "hello")), "--data", str(_valid_npz(t)),
                                       "--out", "OUT"], ["junk.h5", "not an HDF5 file", "Fix:"])),
    Case("model-not-keras-zip", lambda t: (["export", str(_write(t / "junk.keras", "hello")), "--data",
                                            str(_valid_npz(t)), "--out", "OUT"], ["junk.keras", "not a Keras model", "Fix:"])),
    Case("model-weights-only", lambda t: (["export", str(_weights_only(t)), "--data", str(_valid_npz(t)), "--out", "OUT"],
                                          ["w.h5", "without a model config", "Fix:"])),
    Case("model-lambda-h5", lambda t: (["export", str(_lambda_model(t, ".h5")), "--data", str(_valid_npz(t)),
                                        "--out", "OUT"], ["lam.h5", "'times_two' is a Lambda", "--trust-model"])),
    Case("model-lambda-keras", lambda t: (["export", str(_lambda_model(t, ".keras")), "--data", str(_valid_npz(t)),
                                           "--out", "OUT"], ["lam.keras", "'times_two' is a Lambda", "--trust-model"])),
    Case("model-custom-class-h5", lambda t: (["export", str(_custom_model(t, ".h5")), "--data", str(_valid_npz(t)),
                                              "--out", "OUT"], ["custom.h5", "custom class 'ScaledDense'", "--trust-model"])),
    Case("model-custom-class-keras", lambda t: (["export", str(_custom_model(t, ".keras")), "--data",
                                                 str(_valid_npz(t)), "--out", "OUT"],
                                                ["custom.keras", "custom class 'ScaledDense'", "--trust-model"])),
    Case("model-unconvertible-layer", lambda t: (["export", str(_unconvertible_model(t)), "--data", str(_valid_npz(t)),
                                                  "--out", "OUT"], ["repeat", "RepeatVector"])),
    Case("model-file-missing", lambda t: (["export", str(t / "gone.h5"), "--data", str(_valid_npz(t)), "--out", "OUT"],
                                          ["gone.h5", "not found", "Fix:"])),
    # validation data (export)
    Case("data-wrong-feature-count", lambda t: (["export", str(_dense_model(t)), "--data",
                                                 str(_npz(t, x=np.zeros((5, 7), np.float32))), "--out", "OUT"],
                                                ["v.npz", "shape (7,)", "expects (4,)", "Fix:"])),
    Case("data-nan-rows", lambda t: (["export", str(_dense_model(t)), "--data", str(_npz(
        t, x=np.array([[0, 1, np.nan, 2], [0, 1, 2, 3]], np.float32))), "--out", "OUT"],
        ["v.npz", "1 row(s) of 'x' contain NaN or Inf", "Fix:"])),
    Case("data-inf-rows", lambda t: (["export", str(_dense_model(t)), "--data", str(_npz(
        t, x=np.array([[np.inf, 1, 1, 2], [0, 1, 2, -np.inf]], np.float32))), "--out", "OUT"],
        ["v.npz", "2 row(s) of 'x' contain NaN or Inf", "Fix:"])),
    Case("data-empty", lambda t: (["export", str(_dense_model(t)), "--data",
                                   str(_npz(t, x=np.zeros((0, 4), np.float32))), "--out", "OUT"],
                                  ["v.npz", "'x' is empty", "Fix:"])),
    Case("data-missing-file", lambda t: (["export", str(_dense_model(t)), "--data", str(t / "none.npz"), "--out", "OUT"],
                                         ["none.npz", "not found", "Fix:"])),
    Case("data-not-npz", lambda t: (["export", str(_dense_model(t)), "--data", str(_write(t / "v.npz", "x,y\n1,2\n")),
                                     "--out", "OUT"], ["v.npz", "not a readable .npz", "Fix:"])),
    # export flags
    Case("flag-unknown-part", lambda t: (_user_export(t, "--part", "xcfoo-bar"),
                                         ["export target fpga: part", "(got 'xcfoo-bar')", "use an AMD/Xilinx part name"])),
    Case("flag-clock-zero", lambda t: (_user_export(t, "--clock-period", "0"), ["clock_period_ns", "(got 0.0)", "Fix:"])),
    Case("flag-clock-negative", lambda t: (_user_export(t, "--clock-period", "-2.5"),
                                           ["clock_period_ns", "(got -2.5)", "Fix:"])),
    Case("flag-clock-not-a-number", lambda t: (_user_export(t, "--clock-period", "fast"),
                                               ["--clock-period", "Invalid value", "--help"])),
    Case("flag-reuse-factor-zero", lambda t: (_user_export(t, "--reuse-factor", "0"),
                                              ["reuse_factor", "(got 0)", "Fix:"])),
    Case("flag-io-type-unknown", lambda t: (_user_export(t, "--io-type", "io_serial"), ["io_type", "'io_serial'", "Fix:"])),
    Case("export-out-under-a-file", lambda t: (_user_export(t)[:-1] + [_file_as_parent(t)],
                                               ["plain_file", "cannot write", "Fix:"])),
    Case("export-out-in-proc", lambda t: (_user_export(t)[:-1] + ["/proc/edgenn-hardening/fw"],
                                          ["/proc/edgenn-hardening", "cannot write", "Fix:"])),
    Case("export-incomplete-run", lambda t: (["export", str(_incomplete_run(t)), "--target", "onnx", "--out", "OUT"],
                                             ["train", "incomplete", "Fix:"])),
    # data generate
    Case("generate-zero-jets", lambda t: (["data", "generate", "jets", "--jets-per-class", "0", "--out", "OUT"],
                                          ["jets_per_class", "(got 0)", "Fix:"])),
    Case("generate-unknown-class", lambda t: (["data", "generate", "jets", "--class", "H", "--out", "OUT"],
                                              ["classes", "'H'", "Fix:"])),
    Case("generate-zero-workers", lambda t: (["data", "generate", "jets", "--workers", "0", "--out", "OUT"],
                                             ["workers", "(got 0)", "Fix:"])),
    Case("generate-unknown-definition", lambda t: (["data", "generate", "jets", "--definition", "madgraph",
                                                    "--out", "OUT"], ["definition", "'madgraph'", "hls4ml", "Fix:"])),
    Case("generate-unknown-stream", lambda t: (["data", "generate", "events", "--stream", "delphes", "--out", "OUT"],
                                               ["stream", "'delphes'", "adc2021", "Fix:"])),
    Case("generate-out-under-a-file", lambda t: (["data", "generate", "jets", "--jets-per-class", "5",
                                                  "--out", _file_as_parent(t)], ["plain_file", "cannot write", "Fix:"])),
    # check
    Case("budget-unknown-metric", lambda t: (["check", str(_export_dir(t)), "--budget",
                                              str(_budget(t, "accuracy: {min: 0.5}\nlatency_cycle: {max: 3}\n")),
                                              "--junit", "OUT"], ["b.yml", "latency_cycle", "Fix:"])),
    Case("budget-malformed-yaml", lambda t: (["check", str(_export_dir(t)), "--budget", str(_budget(t, "lut: [max\n")),
                                              "--junit", "OUT"], ["b.yml", "malformed YAML", "Fix:"])),
    Case("budget-missing", lambda t: (["check", str(_export_dir(t)), "--budget", str(t / "none.yml"), "--junit", "OUT"],
                                      ["none.yml", "not found", "Fix:"])),
    Case("check-export-missing", lambda t: (["check", str(t / "nothing"), "--budget",
                                             str(_budget(t, "accuracy: {min: 0.5}\n")), "--junit", "OUT"],
                                            ["nothing", "Fix:"])),
    Case("check-export-incomplete", lambda t: (["check", str(_export_dir(t, complete=False)), "--budget",
                                                str(_budget(t, "accuracy: {min: 0.5}\n")), "--junit", "OUT"],
                                               ["fw", "incomplete export", "Fix:"])),
    # compress and report
    Case("compress-run-missing", lambda t: (["compress", str(t / "runs" / "none"), "--out", "OUT"],
                                            ["none", "edgenn train", "Fix:"])),
    Case("report-path-missing", lambda t: (["report", str(t / "runs" / "none")], ["none", "Fix:"])),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _weights_only(tmp: Path) -> Path:
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    tf.keras.Model(inp, tf.keras.layers.Dense(3)(inp)).save_weights(tmp / "w.h5")
    return tmp / "w.h5"


def _incomplete_run(tmp: Path) -> Path:
    (tmp / "run" / "train").mkdir(parents=True)
    (tmp / "run" / "train" / "model.h5").write_text("half written")
    return tmp / "run"


def test_suite_covers_at_least_25_cases():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
    commands_covered = {c.id.split("-")[0] for c in CASES}
    assert {"recipe", "dataset", "train", "model", "data", "flag", "export", "generate", "budget", "check",
            "compress", "report"} <= commands_covered


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_clear_message(case, tmp_path):
    work = tmp_path / "in"
    work.mkdir()
    argv, needles = case.build(work)
    out = tmp_path / "out" / "target"
    argv = [str(out) if a == "OUT" else a for a in argv]
    res = runner.invoke(app, ["--no-progress", *argv])
    text = " ".join(res.output.split())  # rich may wrap long lines
    assert res.exit_code == 2, f"exit {res.exit_code}: {res.output}\n{res.exception!r}"
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in text, f"{needle!r} missing from: {res.output}"
    if "--help" not in needles:  # click's own usage errors are one framed box
        errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, res.output
    assert not out.exists() and not hidden_leftovers(out)
    if "--out" in argv:
        given = Path(argv[argv.index("--out") + 1])
        if given != out:
            assert not given.exists() and not hidden_leftovers(given)


@pytest.mark.slow  # needs a trained run (the session's trained_run fixture)
def test_unknown_part_in_a_run_recipe_is_refused_before_export(trained_run, tmp_path):
    """A run whose stored recipe names an unknown part (edited by hand, or from an older edgenn) exports nothing."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    recipe_file = run / "train" / "recipe.yml"
    recipe = yaml.safe_load(recipe_file.read_text())
    recipe["export"]["fpga"]["part"] = "xcfoo-bar"
    recipe_file.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "fw"
    res = runner.invoke(app, ["--no-progress", "export", str(run), "--target", "fpga", "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "export.fpga.part" in text and "'xcfoo-bar'" in text and "use an AMD/Xilinx part name" in text
    assert "Traceback" not in text
    assert not out.exists() and not hidden_leftovers(out)
