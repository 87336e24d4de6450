"""The before/after table of a compression run: accuracy, AUC, sparsity, bits, BOPs and weight counts per model."""

from __future__ import annotations

import numpy as np

from edgenn.training.inputs import Split


def model_summary(model, split: Split, class_names: tuple[str, ...]) -> dict:
    """Test-split quality and the cost figures of one model (``split`` is normally ``data.test``)."""
    from edgenn.compression.bops import bops_summary
    from edgenn.compression.layers import kernel_sparsity, layer_bits, overall_sparsity, weight_counts
    from edgenn.compression.predict import predict_eager
    from edgenn.training.metrics import classifier_metrics

    metrics = classifier_metrics(predict_eager(model, split.x), split.y, class_names)
    num_params, num_nonzero = weight_counts(model)
    return {**metrics, "num_params": num_params, "num_nonzero": num_nonzero,
            "sparsity": overall_sparsity(model), "sparsity_per_layer": kernel_sparsity(model),
            "bits": layer_bits(model), "bops": bops_summary(model)}


def pruning_check(target: float, mask_sparsity_per_layer: dict[str, float], kernel_sizes: dict[str, int]) -> dict:
    """Did every pruned layer reach the target within tfmot's rounding bound (``prune.sparsity_tolerance``)?"""
    from edgenn.compression.prune import sparsity_tolerance

    shortfalls = {name: target - s for name, s in mask_sparsity_per_layer.items()
                  if target - s > sparsity_tolerance(kernel_sizes[name])}
    return {"target_sparsity": target, "mask_sparsity_per_layer": mask_sparsity_per_layer,
            "tolerance_per_layer": {n: sparsity_tolerance(k) for n, k in kernel_sizes.items()},
            "reached": not shortfalls, "shortfalls": shortfalls}


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table_rows(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """(quantity, before, after) rows for a rich/markdown table of two ``model_summary`` dicts.

    Anomaly summaries (``compression.anomaly.anomaly_summary``) have no accuracy but an efficiency per signal at
    their background FPR; the cost rows are the same."""
    rows = [("accuracy", before["accuracy"], after["accuracy"])] if "accuracy" in before else []
    for name in before["auc"]:
        rows.append((f"AUC {name}", before["auc"][name], after["auc"].get(name, float("nan"))))
    for name in before.get("efficiency", {}):
        rows.append((f"efficiency {name} at FPR {after['fpr']:g}", before["efficiency"][name],
                     after["efficiency"].get(name, float("nan"))))
    rows += [("weights (kernel+bias)", before["num_params"], after["num_params"]),
             ("non-zero weights", before["num_nonzero"], after["num_nonzero"]),
             ("kernel sparsity", before["sparsity"], after["sparsity"]),
             ("BOPs", before["bops"]["total"], after["bops"]["total"])]
    if "ebops" in after:
        rows.append(("EBOPs (HGQ, traced on train)", "-", after["ebops"]))
    if "target" in after:
        asked, achieved = target_text(after["target"])
        rows.append((f"resource target {asked}", "-", achieved))
    for layer, bits in after["bits"].items():
        b = before["bits"].get(layer, {})
        rows.append((f"bits {layer} (w/b/in)", "/".join(str(b.get(k, "?")) for k in ("weight", "bias", "input_activation")),
                     "/".join(str(bits[k]) for k in ("weight", "bias", "input_activation"))))
    return [(q, _fmt(b), _fmt(a)) for q, b, a in rows]


def markdown_table(before: dict, after: dict) -> str:
    lines = ["| quantity | before | after |", "|---|---:|---:|"]
    lines += [f"| {q} | {b} | {a} |" for q, b, a in table_rows(before, after)]
    return "\n".join(lines) + "\n"


def kernel_sizes(model) -> dict[str, int]:
    from edgenn.compression.layers import is_prunable, kernel_layers, unwrap

    return {unwrap(l).name: int(np.prod(unwrap(l).kernel.shape)) for l in kernel_layers(model) if is_prunable(l)}


def with_learned_bits(summary: dict, details: dict) -> dict:
    """``summary`` of an HGQ proxy with the learned bits instead of the float Dense layers' 32.

    Per layer: the mean learned weight bits, ``-`` for the bias (HGQ gives it the accumulator's precision), and the
    mean bits of the activation feeding the layer (the previous HGQ layer's output quantizer). EBOPs are the traced
    figure; the BOPs row counts the proxy's float layers and is replaced by the EBOPs."""
    bits, order = details["bits"], list(details["bits"])
    learned = {}
    for i, name in enumerate(order):
        if "weight" not in bits[name]:
            continue
        feeding = bits[order[i - 1]]["activation"]["mean"] if i else "?"
        learned[name] = {"weight": bits[name]["weight"]["mean"], "bias": "-", "input_activation": feeding}
    out = {**summary, "bits": learned, "ebops": details["ebops"],
           "bops": {**summary["bops"], "total": details["ebops"]}, "learned_bits": bits}
    if "target" in details:
        out["target"] = details["target"]
    return out


def target_text(target: dict) -> tuple[str, str]:
    """(asked, achieved) cells of a ``compress.target`` row: the resource asked for and the figure reached."""
    asked = f"{target['resource']} {target['value']:,.0f}"
    if target["resource"] == "lut":
        asked += f" (= {target['target_ebops']:,.0f} EBOPs)"
    achieved = (f"{target['achieved_ebops']:,.0f} EBOPs = {target['ratio']:.2f}x target "
                f"(~{target['achieved_lut_estimate']:,.0f} LUT by the fitted da4ml relation); "
                f"{'met' if target['met'] else 'MISSED'} (margin {target['margin']:g})")
    return asked, achieved
