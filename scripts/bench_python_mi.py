#!/usr/bin/python3
"""`mi` from Python (python/infoplane -> build/libinfoplane.so) against the NumPy route of the same
estimator, on MLP-sized matrices: LogDet I(A;B) = H(A) + H(B) - H(A,B), H = 1/2 logdet(I + beta C),
C = A^T A / m of the centred columns (docs/logdet.md), by numpy.linalg.slogdet on the d x d forms.
Synthetic activations of a 784-1024-20-20 tanh MLP on 3000 Gaussian inputs (no data files needed).
Prints each pair's best-of-R times, the ratio NumPy / infoplane, and the relative difference.

usage: scripts/bench_python_mi.py [--reps R] [--threads N]"""
import argparse
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--threads", type=int, default=os.cpu_count())
args = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))   # both sides: the same OpenBLAS threads
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import numpy as np  # noqa: E402
from infoplane import mi  # noqa: E402


def numpy_mi(a, b, beta):
    def h(x):
        x = x - x.mean(0)
        c = x.T @ x / x.shape[0]
        return 0.5 * np.linalg.slogdet(np.eye(x.shape[1]) + beta * c)[1]
    return h(a) + h(b) - h(np.hstack([a, b]))


def best(fn, reps):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        v = fn()
        t.append(time.perf_counter() - t0)
    return min(t), v


rng = np.random.default_rng(0)
m = 3000
X = rng.standard_normal((m, 784))
T1 = np.tanh(X @ rng.standard_normal((784, 1024)) / 28)
T2 = np.tanh(T1 @ rng.standard_normal((1024, 20)) / 32)
T3 = np.tanh(T2 @ rng.standard_normal((20, 20)) / 4.5)
pairs = [("X 3000x784; T1 3000x1024", X, T1), ("T1 3000x1024; T2 3000x20", T1, T2),
         ("X 3000x784; T2 3000x20", X, T2), ("T2 3000x20; T3 3000x20", T2, T3)]
print("OpenBLAS threads %s, best of %d" % (os.environ["OPENBLAS_NUM_THREADS"], args.reps))
print("%-28s %12s %12s %8s %10s" % ("pair", "infoplane s", "NumPy s", "ratio", "rel diff"))
for name, a, b in pairs:
    beta = 100.0 * (a.shape[1] + b.shape[1])
    ti, vi = best(lambda: mi(a, b, "logdet", beta=beta), args.reps)
    tn, vn = best(lambda: numpy_mi(a, b, beta), args.reps)
    print("%-28s %12.4f %12.4f %7.1fx %10.1e" % (name, ti, tn, tn / ti, abs(vi - vn) / abs(vn)))
