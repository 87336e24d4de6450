"""da4ml LUT vs traced EBOPs of learned-precision jet MLPs: the points behind ``compression/resource_map.py``.

Trains the float jet MLP of ``models/jet_mlp_hgq.yml`` once, compresses it with learned precision at several fixed
betas, and for each converts the HGQ proxy with hls4ml's distributed_arithmetic strategy (da4ml solves the kernels:
no g++ needed) and reads da4ml's LUT figure (``estimates.da4ml_cost.estimate_da``) beside the traced EBOPs. Prints
one JSON line per point, then the power-law fit ``LUT = a * EBOPs ** b`` (least squares in log-log).

    edgenn data generate jets --out data/jets --jets-per-class 6000 --fast
    nice -n 15 python benchmarks/hgq_lut_vs_ebops.py --data data/jets --runs runs/lut_vs_ebops \
        --betas 1e-6 3e-6 1e-5 3e-5 1e-4
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]


def measure(compressed_dir: Path) -> dict:
    from edgenn.artifacts import ModelArtifact
    from edgenn.estimates.da4ml_cost import estimate_da
    from edgenn.exporters.hgq_hls import convert_hgq_hls
    from edgenn.exporters.hls import HlsSettings

    art = ModelArtifact.load(compressed_dir)
    proxy = art.load_model()
    ebops = art.metrics["compression"]["after"]["ebops"]
    with tempfile.TemporaryDirectory() as tmp:
        hls_model, seconds = convert_hgq_hls(proxy, Path(tmp), HlsSettings(strategy="distributed_arithmetic"))
        report = estimate_da(hls_model)
    return {"ebops": ebops, "lut_da4ml": report.total.lut.value, "convert_s": round(seconds, 1),
            "accuracy": art.metrics.get("accuracy")}


def main() -> None:
    import edgenn

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=Path, required=True)
    ap.add_argument("--betas", type=float, nargs="+", default=[1e-6, 3e-6, 1e-5, 3e-5, 1e-4])
    ap.add_argument("--epochs", type=int, default=None, help="compress epochs (default: the recipe's)")
    args = ap.parse_args()
    base = yaml.safe_load((ROOT / "models" / "jet_mlp_hgq.yml").read_text())
    base["data"]["path"] = str(args.data)
    args.runs.mkdir(parents=True, exist_ok=True)
    recipe_path = args.runs / "jet_mlp_hgq.yml"
    recipe_path.write_text(yaml.safe_dump(base))
    if not (args.runs / "train" / "manifest.json").exists():
        edgenn.train(recipe_path, out=args.runs / "train", progress=False, report=False)
    points = []
    for beta in args.betas:
        spec = json.loads(json.dumps(base))
        spec["compress"]["learned_precision"]["beta"] = beta
        if args.epochs:
            spec["compress"]["epochs"] = args.epochs
        path = args.runs / f"beta_{beta:g}.yml"
        path.write_text(yaml.safe_dump(spec))
        out = args.runs / f"compress_beta_{beta:g}"
        if not (out / "manifest.json").exists():
            edgenn.compress(args.runs, recipe=path, out=out, progress=False, report=False)
        point = {"beta": beta, **measure(out)}
        print(json.dumps(point), flush=True)
        points.append((point["ebops"], point["lut_da4ml"]))
    from edgenn.compression.resource_map import fit_power_law

    law = fit_power_law("measured", tuple(points))
    print(json.dumps({"fit": "LUT = a * EBOPs ** b", "a": law.a, "b": law.b, "points": len(points)}), flush=True)


if __name__ == "__main__":
    main()
