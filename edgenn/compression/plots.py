"""weights.png: per-layer histograms of the effective kernel weights before and after compression.

Zeros are drawn as a separate bar with their fraction in the title, so pruning shows as a spike the histogram of the
surviving weights cannot hide; quantization shows as the after-histogram collapsing onto a few grid values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_weight_histograms(before_model, after_model, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgenn.compression.layers import effective_kernel, kernel_layers, unwrap
    from edgenn.training.plots import save_figure

    before = {unwrap(l).name: effective_kernel(l).ravel() for l in kernel_layers(before_model)}
    after = {unwrap(l).name: effective_kernel(l).ravel() for l in kernel_layers(after_model)}
    names = [n for n in after if n in before] or list(after)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False)
    for ax, name in zip(axes[0], names):
        b, a = before.get(name, np.zeros(0)), after[name]
        both = np.concatenate([b, a])
        lim = float(np.max(np.abs(both))) if both.size else 1.0
        bins = np.linspace(-lim, lim, 61)
        ax.hist(b[b != 0], bins=bins, alpha=0.5, label="before", color="tab:blue")
        ax.hist(a[a != 0], bins=bins, alpha=0.6, label="after", color="tab:orange", histtype="stepfilled")
        ax.bar([0.0], [np.sum(a == 0)], width=2 * lim / 60, color="tab:red", label="after: zeros")
        ax.set_yscale("log")
        ax.set_title(f"{name}\nzeros {np.mean(b == 0):.0%} -> {np.mean(a == 0):.0%}", fontsize=9)
        ax.set_xlabel("weight")
    axes[0][0].set_ylabel("count")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
