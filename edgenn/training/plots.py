"""Plots people would rather look at than read: ROC in the HEP convention, training curves, confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenn.training.metrics import BACKGROUND_CLASSES, SIGNAL_CLASSES, roc_curve


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> None:
    from edgenn.io import atomic_write_bytes
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, *, title: str) -> None:
    """``curves``: label -> (signal efficiency, background efficiency) arrays, e.g. from ``roc_curves``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for label, (eps_s, eps_b) in curves.items():
        ok = eps_b > 0
        ax.plot(eps_s[ok], 1.0 / eps_b[ok], label=label)
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel(r"signal efficiency $\varepsilon_S$")
    ax.set_ylabel(r"background rejection $1/\varepsilon_B$ (q+g)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)
    plt.close(fig)


def roc_curves(probs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], *, prefix: str = "") -> dict:
    bkg = [class_names.index(c) for c in BACKGROUND_CLASSES if c in class_names]
    out = {}
    for name in SIGNAL_CLASSES:
        if name not in class_names or not bkg:
            continue
        k = class_names.index(name)
        sel = np.isin(labels, bkg) | (labels == k)
        if (labels[sel] == k).all() or not (labels[sel] == k).any():
            continue
        out[f"{prefix}{name} vs q+g"] = roc_curve(probs[sel, k], labels[sel] == k)
    return out


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    """Loss (and accuracy, when the run recorded it: distillation losses record none) per epoch, train vs validation."""
    plt = _plt()
    keys = [k for k in ("loss", "accuracy") if history.get(k) or history.get("val_" + k)]
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4.5 * max(len(keys), 1), 3.5), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for prefix, style in (("", "-"), ("val_", "--")):
            vals = history.get(prefix + key)
            if vals:
                ax.plot(np.arange(1, len(vals) + 1), vals, style, label="validation" if prefix else "train")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)
    plt.close(fig)


def plot_confusion(probs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], path: Path) -> None:
    plt = _plt()
    n = len(class_names)
    cm = np.zeros((n, n))
    np.add.at(cm, (labels, np.argmax(probs, axis=1)), 1)
    cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{cm[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    save_figure(fig, path)
    plt.close(fig)
