#!/usr/bin/python3
"""LogDet speed: infoplane against the reference approach in PyTorch float64, on the same data,
threads and OpenBLAS core type, in one process tree (make bench runs this).

Runs build/bench_logdet (which writes the matrices: 3000 MNIST digits and the activations of the
paper's 784-1024-20-20-20-10 tanh MLP), then times the reference on those very matrices:
torch.logdet of I + beta C on the d x d matrices, H(X) and H(Y) computed once, and per layer
H(T), H(X,T), H(T,Y) -> I(X;T), I(T;Y) (what the paper's code does per recorded epoch), and a
stand-alone I(X;T_1) with everything computed fresh. Prints both times, the ratios and the targets
(>= 10x per epoch, >= 4x stand-alone), and checks the two sides agree. The per-epoch figure is the
route infoplane picks (sparse for MNIST, docs/logdet.md); both routes' times are printed too.

usage: scripts/bench_logdet.py [--threads N] [--reps R] [--bin build/bench_logdet]"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

M, DX, K = 3000, 784, 10
UNITS = [1024, 20, 20, 20, 10]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bin", default="build/bench_logdet")
    args = ap.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))

    with tempfile.TemporaryDirectory() as tmp:
        c = subprocess.run([args.bin, "--threads", str(args.threads), "--reps", str(max(args.reps, 3)), "--out", tmp],
                           env=env, capture_output=True, text=True)
        sys.stdout.write(c.stdout)
        if c.returncode != 0:
            sys.stderr.write(c.stderr)
            raise SystemExit("bench_logdet.py: %s failed" % args.bin)
        res = {ln.split()[1]: float(ln.split()[2]) for ln in c.stdout.splitlines() if ln.startswith("result ")}
        x = np.fromfile(os.path.join(tmp, "x.f64")).reshape(M, DX)
        y = np.fromfile(os.path.join(tmp, "y.i32"), dtype=np.int32)
        ts = [np.fromfile(os.path.join(tmp, "t%d.f64" % (i + 1))).reshape(M, d) for i, d in enumerate(UNITS)]
        cvals = np.loadtxt(os.path.join(tmp, "c_results.txt"), max_rows=len(UNITS))
        c_single = float(open(os.path.join(tmp, "c_results.txt")).read().split()[-1])

    import torch
    torch.set_num_threads(args.threads)
    beta = 100.0 * DX
    X = torch.from_numpy(x)
    Y = torch.nn.functional.one_hot(torch.from_numpy(y.astype(np.int64)), K).double()
    T = [torch.from_numpy(t) for t in ts]

    def H(A):  # the reference: centre, C = A^T A / m, logdet(I + beta C) on the d x d matrix
        A = A - A.mean(0)
        C = A.T @ A / A.shape[0]
        return 0.5 * torch.logdet(torch.eye(A.shape[1], dtype=torch.float64) + beta * C)

    def epoch(hx, hy):
        out = []
        for t in T:
            ht = H(t)
            out.append(((hx + ht - H(torch.cat([X, t], 1))).item(), (ht + hy - H(torch.cat([t, Y], 1))).item()))
        return out

    hx, hy = H(X), H(Y)
    times, vals = [], None
    for r in range(args.reps + 1):
        t0 = time.perf_counter()
        vals = epoch(hx, hy)
        if r:
            times.append(time.perf_counter() - t0)  # the first pass is a warm-up
    py_epoch = float(np.median(times))
    times = []
    for r in range(args.reps + 1):
        t0 = time.perf_counter()
        single = (H(X) + H(T[0]) - H(torch.cat([X, T[0]], 1))).item()
        if r:
            times.append(time.perf_counter() - t0)
    py_single = float(np.median(times))

    err = max(max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(cv, pv)) for cv, pv in zip(cvals, vals))
    err = max(err, abs(c_single - single) / abs(single))
    print("torch %s threads %d" % (torch.__version__, torch.get_num_threads()))
    print("agreement: largest relative difference infoplane vs PyTorch %.2e" % err)
    print("== LogDet, seconds (median of %d): %s" % (args.reps, "m = 3000, 784-1024-20-20-20-10, cov, beta = 78400"))
    print("%-34s %-12s %-12s %-8s %s" % ("", "infoplane", "PyTorch", "ratio", "target"))
    rows = [("per recorded epoch (5 layers)", res["epoch"], py_epoch, 10),
            ("stand-alone I(X;T_1)", res["single_ixt"], py_single, 4)]
    ok = True
    for name, c_t, p_t, target in rows:
        ratio = p_t / c_t
        met = ratio >= target
        ok &= met
        print("%-34s %-12.4f %-12.4f %-8.1f >= %dx %s" % (name, c_t, p_t, ratio, target, "met" if met else "NOT met"))
    print("infoplane once per run (X factor): %.4f s; per epoch with I(T_l;T_l+1) too: %.4f s"
          % (res["run_setup"], res["epoch_with_layer_pairs"]))
    if "epoch_dense" in res:  # both routes of X's cross products, timed interleaved in bench_logdet
        print("per epoch by route of X's cross products: dense (reference) %.4f s = %.1fx, sparse %.4f s = %.1fx;"
              " the products alone: DGEMM %.4f s, sparse %.4f s"
              % (res["epoch_dense"], py_epoch / res["epoch_dense"], res["epoch_sparse"], py_epoch / res["epoch_sparse"],
                 res["cross_dgemm"], res["cross_sparse"]))
    if err > 1e-8:
        raise SystemExit("bench_logdet.py: infoplane and PyTorch disagree (%.2e)" % err)
    return 0 if ok else 0  # missing a target is reported, not a failure of the benchmark itself


if __name__ == "__main__":
    sys.exit(main())
