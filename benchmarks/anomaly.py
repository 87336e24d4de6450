"""Anomaly-detection benchmark (issue 4): teacher AE, VAE score and distilled student, printed as Markdown.

Runs the shipped recipes (models/ae.yml, vae.yml, ae_student.yml) on one event dataset through the public API:
train the AE (score on the host, ONNX export), train + compress + export the VAE score network and the student
(fpga, C simulation on ``--validation-samples``), then tabulates per signal the AUC and the efficiency at the
recipes' background FPR (1e-5), the student-vs-teacher score correlation, bit-exactness and latency/resources with
their method. Every figure is read from the run's metrics.json / report.json, so the table is what the runs recorded.

    edgenn data generate events --out data/events_large --fast --events-per-process 5000 --stream ht_legacy --events qcd=150000 \
        --events wlnu=16000 --events zll=3000 --events ttbar=2000 --events a_tautau=3000 --events hplus_taunu=800 \
        --events-per-shard 4000 --max-shards-per-process 400
    python benchmarks/anomaly.py --data data/events_large --runs runs/anomaly_large

An FPR of 1e-5 is resolved only with >= 1e5 background test events (the recipes' 70 % test split of 150k QCD gives
~1.1e5); below that the efficiency is at the highest background score and the table says so (the ``fpr_resolved``
flag of the metrics). The firmware rows C-simulate every test event (the recipes' validation_samples).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]


def _recipe(name: str, data: Path, runs: Path, epochs: int | None, compress_epochs: int | None) -> Path:
    recipe = yaml.safe_load((ROOT / "models" / f"{name}.yml").read_text())
    recipe["data"]["path"] = str(data)
    if epochs is not None:
        recipe["train"]["epochs"] = epochs
    if compress_epochs is not None and "compress" in recipe:
        recipe["compress"]["epochs"] = compress_epochs
    if name == "ae_student":
        recipe["anomaly"]["teacher"] = str(runs / "ae")
    path = runs / f"{name}.yml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def _done(directory: Path) -> bool:
    return (directory / "manifest.json").is_file()


def run_all(data: Path, runs: Path, firmware: Path, *, epochs: int | None, compress_epochs: int | None,
            validation_samples: int | None) -> dict[str, float]:
    import edgenn

    runs.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}

    def step(label: str, target: Path, fn) -> None:
        if not _done(target):
            t0 = time.perf_counter()
            fn()
            seconds[label] = round(time.perf_counter() - t0, 1)
            print(f"{label}: {seconds[label]} s", file=sys.stderr)

    recipes = {n: _recipe(n, data, runs, epochs, compress_epochs) for n in ("ae", "vae", "ae_student")}
    kw = {"progress": False, "report": False}
    step("train ae", runs / "ae" / "train", lambda: edgenn.train(recipes["ae"], out=runs / "ae" / "train", **kw))
    step("export ae onnx", firmware / "ae" / "onnx",
         lambda: edgenn.export(runs / "ae", target="onnx", out=firmware / "ae" / "onnx",
                               validation_samples=validation_samples, **kw))
    for name in ("vae", "ae_student"):
        step(f"train {name}", runs / name / "train",
             lambda: edgenn.train(recipes[name], out=runs / name / "train", **kw))
        step(f"compress {name}", runs / name / "compress",
             lambda: edgenn.compress(runs / name, out=runs / name / "compress", **kw))
        step(f"export {name} fpga", firmware / name / "fpga",
             lambda: edgenn.export(runs / name, target="fpga", out=firmware / name / "fpga",
                                   validation_samples=validation_samples, **kw))
    return seconds


def _fmt(v, digits: int = 3) -> str:
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _eff(value: float, err: float | None) -> str:
    return f"{value:.3f}" if err is None else f"{value:.3f} ± {err:.3f}"


def table(runs: Path, firmware: Path, data: Path | None = None) -> str:
    read = lambda p: json.loads(p.read_text())  # noqa: E731
    teacher = read(runs / "ae" / "train" / "metrics.json")
    vae_fw, student_fw = (read(firmware / n / "fpga" / "report.json") for n in ("vae", "ae_student"))
    student = read(runs / "ae_student" / "compress" / "metrics.json")
    student_float = read(runs / "ae_student" / "train" / "metrics.json")
    vae_float = read(runs / "vae" / "train" / "metrics.json")
    signals = list(teacher["auc"])
    fpr = teacher["fpr"]
    lines = []
    if data is not None and (data / "manifest.json").is_file():
        manifest = read(data / "manifest.json")
        lines += ["Dataset: " + ", ".join(f"{p} {n:,}" for p, n in manifest["counts"].items()) +
                  " preselected events; SM mixture by sigma x efficiency: " +
                  ", ".join(f"{p} {f:.2%}" for p, f in manifest["mixture_fractions"].items()) + ".", ""]
    lines += [f"Background test events: {teacher['num_background']:,} (smallest resolvable FPR "
              f"{teacher['min_resolvable_fpr']:.2g}; FPR {fpr:g} resolved: {teacher['fpr_resolved']}). "
              f"Signal test events: " + ", ".join(f"{s} {teacher['num_signal'][s]:,}" for s in signals) + ". "
              "Efficiencies carry the binomial error of the signal count; the threshold itself rests on the "
              f"{int(fpr * teacher['num_background'])} highest-scoring background event(s), whose fluctuation is not "
              "included.", "",
              "| model | where the score is computed | " + " | ".join(f"AUC {s}" for s in signals) + " | "
              + " | ".join(f"eff {s} @ FPR {fpr:g}" for s in signals) + " |",
              "|---|---|" + "---:|" * (2 * len(signals))]

    def row(label: str, where: str, auc: dict, eff: dict, err: dict | None = None) -> str:
        return (f"| {label} | {where} | " + " | ".join(_fmt(auc[s]) for s in signals) + " | "
                + " | ".join(_eff(eff[s], (err or {}).get(s)) for s in signals) + " |")

    def fw(report: dict, kind: str, key: str = "value") -> dict:
        return {s: report["figures"][f"{kind}.{s}"].get(key) for s in signals}

    lines.append(row("teacher AE (float)", "host (Keras), recon. MSE", teacher["auc"], teacher["efficiency"],
                     teacher.get("efficiency_err")))
    lines.append(row("VAE sum(mu^2), float", "software", vae_float["auc"], vae_float["efficiency"],
                     vae_float.get("efficiency_err")))
    lines.append(row("VAE sum(mu^2), QAT+pruned", "firmware (C simulation)", fw(vae_fw, "auc"),
                     fw(vae_fw, "efficiency"), fw(vae_fw, "efficiency", "uncertainty")))
    lines.append(row("student, float", "software", student_float["auc"], student_float["efficiency"],
                     student_float.get("efficiency_err")))
    lines.append(row("student, QAT+pruned", "firmware (C simulation)", fw(student_fw, "auc"),
                     fw(student_fw, "efficiency"), fw(student_fw, "efficiency", "uncertainty")))
    fw_r = student_fw["figures"].get("teacher_correlation", {}).get("value")
    lines += ["", f"Student vs teacher score correlation (Pearson r of the student output and log(teacher MSE) on all "
                  f"test events): float student {student_float['teacher_correlation']:.3f}, compressed student "
                  f"{student['teacher_correlation']:.3f}, firmware (C simulation) "
                  f"{_fmt(fw_r) if fw_r is not None else 'n/a'}.", "",
              "| firmware | bit-exact fraction | samples | score max abs diff | latency | II | LUT | FF | DSP | method |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, rep in (("VAE encoder + sum(mu^2)", vae_fw), ("student", student_fw)):
        f = rep["figures"]
        lines.append(f"| {name} | {f['bit_exact_fraction']['value']:.4f} | {rep['bitexact']['num_samples']:,} | "
                     f"{f['score_max_abs_diff']['value']:g} | {f['latency_ns']['value']:.0f} ns "
                     f"({f['latency_cycles']['value']} cycles @ {rep['settings']['clock_period_ns']} ns) | "
                     f"{f['ii_cycles']['value']} | {f['lut']['value']:.0f} | {f['ff']['value']:.0f} | "
                     f"{f['dsp']['value']:.0f} | {f['latency_ns']['method']} ({f['latency_ns'].get('note', '')}) |")
    notes = sorted({n for rep in (vae_fw, student_fw) for n in rep["notes"] if n.startswith("validation inputs")})
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="event dataset (edgenn data generate events)")
    parser.add_argument("--runs", type=Path, default=Path("runs/anomaly_bench"))
    parser.add_argument("--firmware", type=Path, default=None, help="default: <runs>/firmware")
    parser.add_argument("--epochs", type=int, default=None, help="override train.epochs of all three recipes")
    parser.add_argument("--compress-epochs", type=int, default=None)
    parser.add_argument("--validation-samples", type=int, default=None,
                        help="default: the recipes' value (all test events)")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here too")
    args = parser.parse_args()
    firmware = args.firmware or args.runs / "firmware"
    seconds = run_all(args.data, args.runs, firmware, epochs=args.epochs, compress_epochs=args.compress_epochs,
                      validation_samples=args.validation_samples)
    text = table(args.runs, firmware, args.data)
    if seconds:
        text += "\nWall time of the stages run now (s, 2 cores): " + \
            ", ".join(f"{k} {v}" for k, v in seconds.items()) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
