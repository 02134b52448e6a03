#!/usr/bin/env python3
"""Bring your own PyTorch training: record a network's layers with forward hooks into a file
infoplane analyses (python/infoplane's Recorder; docs/hdf5-layout.md, "Importing").

    python3 experiments/byo_pytorch/train.py --out runs/byo_torch --epochs 50
    build/infoplane analyze runs/byo_torch/run.h5 --estimator logdet,binning
    build/infoplane plot runs/byo_torch
    build/infoplane info runs/byo_torch/run.h5

The network: an MLP 12-10-7-5-4-3-2 with tanh (the layout of Shwartz-Ziv & Tishby's network)
on 12-bit inputs of a fixed random rule, trained with SGD. Every module listed in `watch` gets a
forward hook that keeps its output; after each epoch one forward pass over the analysis set fills
the hooks and the Recorder appends the epoch. Exits 77 when torch is missing (tests skip then).
"""
import argparse
import os
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:
    print("torch is not installed (Debian: apt-get install python3-torch)", file=sys.stderr)
    sys.exit(77)

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from infoplane import Recorder  # noqa: E402


def data(n, seed):
    """12-bit inputs (+-1) and a binary label from a fixed random linear rule through tanh."""
    g = np.random.default_rng(seed)
    x = g.choice([-1.0, 1.0], size=(n, 12)).astype(np.float32)
    w = np.random.default_rng(1234).standard_normal(12)
    y = (np.tanh(x @ w) > 0).astype(np.int64)
    return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run directory (its run.h5 must not exist)")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--samples", type=int, default=1024, help="analysis set size (also the training set)")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    x, y = data(a.samples, a.seed)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)

    sizes = [12, 10, 7, 5, 4, 3]
    layers, watch = [], {}
    for i in range(len(sizes) - 1):
        act = nn.Tanh()
        layers += [nn.Linear(sizes[i], sizes[i + 1]), act]
        watch["layer%d" % (i + 1)] = act          # record each hidden layer after its activation
    out = nn.Linear(sizes[-1], 2)
    soft = nn.Softmax(dim=1)
    layers += [out]
    watch["output"] = soft                         # and the softmax output
    net = nn.Sequential(*layers)

    kept = {}
    for name, module in watch.items():
        module.register_forward_hook(lambda m, inp, o, name=name: kept.__setitem__(name, o.detach().numpy()))

    def record(rec, epoch, metrics):
        net.eval()
        with torch.no_grad():
            soft(net(X))                           # fills `kept` through the hooks
        net.train()
        rec.record(epoch, {name: kept[name] for name in watch}, metrics=metrics)

    os.makedirs(a.out, exist_ok=True)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    desc = "experiments/byo_pytorch/train.py: PyTorch %s MLP 12-10-7-5-4-3-2 tanh, SGD lr %g, %d samples, seed %d" % (
        torch.__version__, a.lr, a.samples, a.seed)
    with Recorder(os.path.join(a.out, "run.h5"), x, y, description=desc, metrics=True) as rec:
        def evaluate():
            with torch.no_grad():
                o = net(X)
                return float(loss_fn(o, Y)), float((o.argmax(1) == Y).float().mean())
        l0, a0 = evaluate()
        record(rec, 0, (l0, a0, float("nan"), float("nan"), 0.0))
        for epoch in range(1, a.epochs + 1):
            t = time.time()
            for b in torch.randperm(a.samples).split(64):
                opt.zero_grad()
                loss = loss_fn(net(X[b]), Y[b])
                loss.backward()
                opt.step()
            lt, at = evaluate()
            record(rec, epoch, (lt, at, float("nan"), float("nan"), time.time() - t))
    print("recorded %d epochs into %s/run.h5 (train loss %.4f, accuracy %.3f)" % (a.epochs + 1, a.out, lt, at))
    print("next: infoplane analyze %s/run.h5 && infoplane plot %s" % (a.out, a.out))


if __name__ == "__main__":
    main()
