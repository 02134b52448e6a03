#!/usr/bin/python3
"""PyTorch side of the training benchmark (scripts/bench.sh): trains the architectures that
build/bench_train wrote as layer manifests (--arch-dir) on the same 10,000 MNIST training
digits, batch, optimizer and epochs, and prints seconds per epoch in the same format:
"result MODEL SECONDS" (median of the epochs after the first, which is a warm-up).

    bench_train.py ARCH.txt [ARCH.txt ...] [--epochs N] [--threads T] [--data DIR]

Threads: torch.set_num_threads(T) sets ATen's OpenMP pool; the BLAS that Debian's torch calls
(OpenBLAS) has its own pool, set by OPENBLAS_NUM_THREADS, which bench.sh sets to the same T.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "torch"))
import ipnet  # noqa: E402


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch", nargs="+")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default="../shared/data/mnist")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = read_idx_gz(os.path.join(a.data, "mnist10k-train-images-idx3-ubyte.gz"))
    y = read_idx_gz(os.path.join(a.data, "mnist10k-train-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(y.astype(np.int64))
    n = x.shape[0]
    print("torch %s threads %d interop %d OMP_WAIT_POLICY=%s OPENBLAS_NUM_THREADS=%s" % (
        torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(),
        os.environ.get("OMP_WAIT_POLICY", "-"), os.environ.get("OPENBLAS_NUM_THREADS", "-")))

    for path in a.arch:
        label = os.path.splitext(os.path.basename(path))[0]
        shape, classes, layers, other = ipnet.read_manifest(path)
        batch = int(other["batch"][0])
        lr, momentum, wd = (float(v) for v in other["sgd"])
        model = ipnet.build(shape, layers)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
        xs = x.reshape((-1,) + shape)
        print("model %s params %d" % (label, ipnet.n_params(model)))
        secs = []
        for e in range(a.epochs):
            t0 = time.perf_counter()
            perm = torch.randperm(n)
            loss_sum, correct = 0.0, 0
            for s in range(0, n, batch):
                idx = perm[s:s + batch]
                xb, yb = xs[idx], y[idx]
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += loss.item() * len(idx)
                correct += (logits.argmax(1) == yb).sum().item()
            secs.append(time.perf_counter() - t0)
            print("epoch %s %d %.4f s loss %.5f acc %.4f" % (label, e + 1, secs[-1], loss_sum / n, correct / n),
                  flush=True)
        timed = sorted(secs[1:] if len(secs) > 1 else secs)
        m = len(timed)
        med = timed[m // 2] if m % 2 else 0.5 * (timed[m // 2 - 1] + timed[m // 2])
        print("result %s %.4f" % (label, med), flush=True)


if __name__ == "__main__":
    main()
