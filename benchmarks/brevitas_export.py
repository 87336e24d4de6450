"""Make real Brevitas QONNX exports for edgenn's tests and benchmarks (issue 18). Runs in a SEPARATE environment:
torch + brevitas are several GB and never part of edgenn's install::

    python3.11 -m venv /tmp/brevitas-env
    /tmp/brevitas-env/bin/pip install torch brevitas onnx==1.17.0 "numpy<2"
    /tmp/brevitas-env/bin/python benchmarks/brevitas_export.py --out tests/data/brevitas [--jets jets.npz]

It writes three QONNX files with Brevitas' own ``export_qonnx``, all with per-tensor power-of-two ("fixed point")
quantizers, the kind edgenn's fpga route takes bit-exactly:

* ``jet_mlp.onnx``: 16-64-32-32-5, 8-bit input, 4-bit weights, 6-bit ReLU activations, 16-bit biases (scale = input
  scale x weight scale); trained for a few epochs on ``--jets`` (an npz with standardised ``x`` (N, 16) and labels
  ``y``, e.g. from ``edgenn data generate jets``), else on random data (the file then tests export, not accuracy);
* ``conv2d.onnx``: QuantConv2d(2->4, 3x3, pad 1) -> QuantReLU -> MaxPool 2 -> flatten -> QuantLinear(64->3) on
  (2, 8, 8) inputs, random weights;
* ``residual.onnx``: two QuantLinear(8->8) with a quantized skip add, random weights.

Each file is saved with a ``<name>.npz`` of inputs for ``edgenn export FILE --data <name>.npz``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _quantizers():
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int16Bias,
                                Uint8ActPerTensorFixedPoint)

    return Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Uint8ActPerTensorFixedPoint, Int16Bias


def jet_mlp(torch, qnn):
    act_in, weight, act_relu, bias = _quantizers()

    layers = [qnn.QuantIdentity(act_quant=act_in, bit_width=8, return_quant_tensor=True)]
    sizes = [16, 64, 32, 32, 5]
    for i in range(4):
        layers.append(qnn.QuantLinear(sizes[i], sizes[i + 1], bias=True, weight_quant=weight, weight_bit_width=4,
                                      bias_quant=bias, return_quant_tensor=i < 3))
        if i < 3:
            layers.append(qnn.QuantReLU(act_quant=act_relu, bit_width=6, return_quant_tensor=True))
    return torch.nn.Sequential(*layers)


def conv2d(torch, qnn):
    act_in, weight, act_relu, bias = _quantizers()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=act_in, bit_width=8, return_quant_tensor=True)
            self.conv = qnn.QuantConv2d(2, 4, 3, padding=1, weight_quant=weight, weight_bit_width=4,
                                        bias_quant=bias, return_quant_tensor=True)
            self.relu = qnn.QuantReLU(act_quant=act_relu, bit_width=6, return_quant_tensor=True)
            self.pool = torch.nn.MaxPool2d(2)  # Brevitas passes quant tensors through max pooling
            self.fc = qnn.QuantLinear(64, 3, bias=True, weight_quant=weight, weight_bit_width=4, bias_quant=bias)

        def forward(self, x):
            x = self.pool(self.relu(self.conv(self.inp(x))))
            return self.fc(x.flatten(1))

    return Net()


def residual(torch, qnn):
    act_in, weight, act_relu, bias = _quantizers()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=act_in, bit_width=8, return_quant_tensor=True)
            self.fc0 = qnn.QuantLinear(8, 8, bias=True, weight_quant=weight, weight_bit_width=4, bias_quant=bias,
                                       return_quant_tensor=True)
            self.relu0 = qnn.QuantReLU(act_quant=act_relu, bit_width=6, return_quant_tensor=True)
            self.fc1 = qnn.QuantLinear(8, 8, bias=True, weight_quant=weight, weight_bit_width=4, bias_quant=bias,
                                       return_quant_tensor=True)
            # the skip and the branch are re-quantized to one shared scale, so the add is an integer add
            self.join = qnn.QuantIdentity(act_quant=act_in, bit_width=8, return_quant_tensor=True)
            self.relu1 = qnn.QuantReLU(act_quant=act_relu, bit_width=6, return_quant_tensor=True)
            self.fc2 = qnn.QuantLinear(8, 3, bias=True, weight_quant=weight, weight_bit_width=4, bias_quant=bias)

        def forward(self, x):
            h = self.relu0(self.fc0(self.inp(x)))
            return self.fc2(self.relu1(self.join(h) + self.join(self.fc1(h))))

    return Net()


def train(torch, model, x: np.ndarray, y: np.ndarray, epochs: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
    for _ in range(epochs):
        for i in torch.randperm(len(xt)).split(256):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[i]), yt[i]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(xt).argmax(1) == yt).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jets", type=Path, help="npz with standardised x (N, 16) and y for the jet MLP")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    import brevitas.nn as qnn
    import torch
    from brevitas.export import export_qonnx

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    args.out.mkdir(parents=True, exist_ok=True)
    cases = {"jet_mlp": (jet_mlp, (16,)), "conv2d": (conv2d, (2, 8, 8)), "residual": (residual, (8,))}
    for name, (build, shape) in cases.items():
        model = build(torch, qnn)
        if name == "jet_mlp" and args.jets:
            with np.load(args.jets) as data:
                x, y = data["x"].astype(np.float32), data["y"]
            n = len(x) // 3  # the first third trains, the rest is the held-out --data file
            print(f"{name}: train accuracy {train(torch, model, x[:n], y[:n], args.epochs):.4f}")
            x, y = x[n:], y[n:]
        else:
            x = rng.normal(0, 1.5, (2000, *shape)).astype(np.float32)
            y = None
        model.eval()
        # the TorchScript exporter: the dynamo one needs onnxscript and torch.export support of every quant op
        export_qonnx(model, torch.zeros((1, *shape)), export_path=str(args.out / f"{name}.onnx"), dynamo=False)
        rows = x[:2000] if y is None else x
        np.savez(args.out / f"{name}.npz", x=rows, **({} if y is None else {"y": y}))
        print(f"wrote {args.out / (name + '.onnx')} and {len(rows)} input rows")


if __name__ == "__main__":
    main()
