#!/usr/bin/python3
"""Estimator speed: infoplane's binning, KDE, Renyi and KSG against an independent NumPy/SciPy
float64 implementation of the same formulas, written as a researcher would write it, on the same
data, threads and OpenBLAS (make bench runs this; SPEC section 8).

Runs build/bench_estimators once per estimator, each in a fresh process (so its peak memory is the
estimator's): it writes the workload (bench_logdet's: 3000 MNIST digits, the activations of the
paper's 784-1024-20-20-20-10 tanh MLP at initialisation, labels), times ip_plane_create (setup)
and ip_plane_epoch (seconds per recorded epoch, I(X;T_l) and I(T_l;Y) for the five layers), and
measures the estimator's floor. This script then computes the same information plane in Python,
checks the values agree (max relative difference), and prints the ratios python / C and
C / floor against the targets: binning and KSG >= 10x NumPy/SciPy, KDE and Renyi >= 3x, each
within 2x of its floor.

The Python side (default parameters, as the C side):
  binning  codes floor((t - lo) / (hi - lo) * 30) clipped to 0..29 (lo, hi over the layer; the
           arithmetic form of np.digitize on 31 equal-width edges, which it matches bit for bit
           with the C side), int64; H by np.unique(axis=0, return_counts=True); I(X;T) = H(T),
           I(T;Y) = H(T) - sum_y p(y) H(T | Y=y).
  kde      scipy cdist('sqeuclidean') + scipy.special.logsumexp, both bounds (s^2 = 0.1; the lower
           with 4 s^2), the class terms on per-class blocks (cdist of each class's rows, as Saxe et
           al.'s kde.py computes each class's entropy).
  renyi    Gram = np.exp(-cdist('sqeuclidean') / (2 sigma^2)) / m with sigma = 0.8 m^(-1/(4+d))
           per matrix, np.linalg.eigvalsh of m x m normalised Grams; X's Gram and S(X), and Y's
           Gram and S(Y), are computed once outside the timed epoch (the C side caches them too,
           in ip_plane_create). Per layer S(T), S(X o T) and S(T o Y), the last (a) on the full
           m x m T o Y (the natural route) and (b) on the per-class blocks (what the C side does):
           both ratios are printed.
  ksg      as NPEET: cKDTree on the joint points (p = inf), query k + 1 (k = 3) for eps, counts in
           the marginals by cKDTree.query_ball_point(r = eps - 1e-15, p = inf,
           return_length=True), scipy.special.digamma; I(T;Y) by Ross's labels variant (k-th
           neighbour within the class by a per-class cKDTree, counts over all kept samples by
           query_ball_point). In NPEET's formulation (mi(x, y) builds its trees per call) X's
           tree is not reused across layers, and the radii change per layer anyway. No noise is
           added (NPEET adds 1e-10 noise by default), so the values can be compared. On MNIST the
           I(X;T) values differ by ~0.002 nats (relative 4e-3): pixel distances are multiples of
           1/255 up to one ulp, and NPEET's eps - 1e-15 treats a neighbour one ulp below eps as a
           tie where the C side's strict < eps counts it (BENCHMARKS.md).

usage: scripts/bench_estimators.py [--threads N] [--reps R] [--py-reps P] [--estimators LIST]
                                   [--bin build/bench_estimators]"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

M, DX, K = 3000, 784, 10
UNITS = [1024, 20, 20, 20, 10]
NAMES = ["binning", "kde", "renyi", "ksg"]
TARGET = {"binning": 10, "kde": 3, "renyi": 3, "ksg": 10}


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def say(*a):
    print(*a, flush=True)


def openblas_core():
    """openblas_get_corename of the OpenBLAS NumPy loaded (found in /proc/self/maps)."""
    import numpy as np
    np.dot(np.ones((64, 64)), np.ones((64, 64)))
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "openblas" in os.path.basename(path) and ".so" in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return "%s (%s)" % (lib.openblas_get_corename().decode(), path)
            except (OSError, AttributeError):
                return "? (%s)" % path
    return "no OpenBLAS mapped"


# ---- the formulas in NumPy/SciPy --------------------------------------------------------------

def binning_plane(ts, y, bins=30):
    import numpy as np

    def h(c):
        _, n = np.unique(c, axis=0, return_counts=True)
        n = n.astype(np.float64)
        return float(np.sum(n * (np.log(len(c)) - np.log(n))) / len(c))

    out = []
    for t in ts:
        lo, hi = t.min(), t.max()
        span = hi - lo if hi > lo else 1.0
        c = np.clip(np.floor((t - lo) / span * bins), 0, bins - 1).astype(np.int64)
        ht = h(c)
        cond = sum(np.count_nonzero(y == k) / len(y) * h(c[y == k]) for k in np.unique(y))
        out.append((ht, ht - cond))
    return [out]


def kde_plane(ts, y, s2=0.1):
    import numpy as np
    from scipy.spatial.distance import cdist
    from scipy.special import logsumexp
    m = len(y)
    classes = np.unique(y)
    up, lo = [], []
    for t in ts:
        d = cdist(t, t, "sqeuclidean")
        res = []
        for v in (s2, 4 * s2):
            lse = logsumexp(-d / (2 * v), axis=1) - np.log(m)  # log of (1/m) sum_j exp(...)
            ixt = -lse.mean()  # H(T+N) - H(N): the bound's constants cancel
            cond = 0.0
            for k in classes:
                tc = t[y == k]
                dc = cdist(tc, tc, "sqeuclidean")
                cond += len(tc) / m * -(logsumexp(-dc / (2 * v), axis=1) - np.log(len(tc))).mean()
            res.append((ixt, ixt - cond))
        up.append(res[0])
        lo.append(res[1])
    return [up, lo]


def renyi_sigma(m, d):
    return 0.8 * m ** (-1.0 / (4 + d))


def renyi_gram(a):
    import numpy as np
    from scipy.spatial.distance import cdist
    s = renyi_sigma(*a.shape)
    g = np.exp(-cdist(a, a, "sqeuclidean") / (2 * s * s))
    return g / np.trace(g)


def renyi_entropy(g, alpha=1.01):
    import numpy as np
    w = np.linalg.eigvalsh(g)
    w = w[w > 0]
    return float(np.log(np.sum(w ** alpha)) / (1 - alpha))


def renyi_setup(x, y):
    import numpy as np
    gx = renyi_gram(x)
    gy = (y[:, None] == y[None, :]).astype(np.float64)
    gy /= np.trace(gy)
    return gx, renyi_entropy(gx), gy, renyi_entropy(gy)


def renyi_plane(ts, y, setup, blocks):
    """One epoch; blocks: S(T o Y) from the per-class blocks, else from the full m x m matrix."""
    import numpy as np
    gx, hx, gy, hy = setup
    out = []
    for t in ts:
        g = renyi_gram(t)
        ht = renyi_entropy(g)
        gxt = gx * g
        hxt = renyi_entropy(gxt / np.trace(gxt))
        if blocks:
            tr = np.trace(g)  # tr(T o Y) = tr(T): the label kernel's diagonal is 1
            w = np.concatenate([np.linalg.eigvalsh(g[np.ix_(y == k, y == k)] / tr) for k in np.unique(y)])
            w = w[w > 0]
            hty = float(np.log(np.sum(w ** 1.01)) / (1 - 1.01))
        else:
            gty = g * gy
            hty = renyi_entropy(gty / np.trace(gty))
        out.append((hx + ht - hxt, ht + hy - hty))
    return [out]


def ksg_plane(x, ts, y, k=3):
    import numpy as np
    from scipy.spatial import cKDTree
    from scipy.special import digamma
    m = len(y)

    def counts(a, r):  # including the point itself, as NPEET's avgdigamma
        return cKDTree(a).query_ball_point(a, r - 1e-15, p=np.inf, return_length=True)

    def mi(a, b):  # NPEET mi(): joint tree, k+1 query, marginal counts
        ab = np.hstack([a, b])
        eps = cKDTree(ab).query(ab, k=k + 1, p=np.inf)[0][:, k]
        return digamma(k) + digamma(m) - np.mean(digamma(counts(a, eps)) + digamma(counts(b, eps)))

    def mi_labels(a, lab):  # Ross 2014
        cls, cnt = np.unique(lab, return_counts=True)
        keep = np.isin(lab, cls[cnt > k])
        a, lab = a[keep], lab[keep]
        d, my = np.empty(len(a)), np.empty(len(a))
        for c in np.unique(lab):
            sel = lab == c
            d[sel] = cKDTree(a[sel]).query(a[sel], k=k + 1, p=np.inf)[0][:, k]
            my[sel] = sel.sum()
        return digamma(len(a)) - np.mean(digamma(my)) + digamma(k) - np.mean(digamma(counts(a, d)))

    return [[(mi(x, t), mi_labels(t, y)) for t in ts]]


# ---- driver -----------------------------------------------------------------------------------

def run_c(args, name, tmp, env):
    cmd = [args.bin, "--threads", str(args.threads), "--reps", str(args.reps), "--setup-reps",
           str(args.setup_reps), "--estimator", name, "--out", tmp]
    say("== C: %s" % " ".join(cmd))
    c = subprocess.run(cmd, env=env, capture_output=True, text=True)
    sys.stdout.write(c.stdout)
    sys.stdout.flush()
    if c.returncode != 0:
        sys.stderr.write(c.stderr)
        raise SystemExit("bench_estimators.py: %s failed" % args.bin)
    res = {}
    for ln in c.stdout.splitlines():
        f = ln.split()
        if ln.startswith("result "):
            res[f[1]] = float(f[2])
        elif ln.startswith("maxrss_mb ") and f[1] == name:
            res["maxrss"] = float(f[2])
        elif ln.startswith("floor ") and f[1] == name:
            res["floor"] = float(f[2])
        elif ln.startswith("floor_alt ") and f[1] == name:
            res["floor_alt"] = float(f[2])
        elif ln.startswith("openblas_core "):
            res["core"] = f[1]
        elif ln.startswith("data "):
            res["data"] = ln[5:]
    return res


def timed(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2]), times, out


def max_rel(py, c):
    import numpy as np
    py, c = np.asarray(py, dtype=np.float64).ravel(), np.asarray(c, dtype=np.float64).ravel()
    return float(np.max(np.abs(py - c) / np.maximum(np.abs(c), 1e-300)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5, help="C epochs timed (median)")
    ap.add_argument("--setup-reps", type=int, default=3, help="C ip_plane_create calls timed (median)")
    ap.add_argument("--py-reps", type=int, default=3, help="Python epochs timed (median; KSG: 1, Renyi: at most 2)")
    ap.add_argument("--estimators", default=",".join(NAMES))
    ap.add_argument("--bin", default="build/bench_estimators")
    args = ap.parse_args()
    names = [n for n in args.estimators.split(",") if n]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    os.environ.update(OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    import numpy as np
    import scipy
    say("python: NumPy %s, SciPy %s; NumPy's OpenBLAS core: %s" % (np.__version__, scipy.__version__, openblas_core()))
    say("OPENBLAS_CORETYPE=%s, threads %d" % (os.environ.get("OPENBLAS_CORETYPE", "(not set)"), args.threads))

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        cres = {n: run_c(args, n, tmp, env) for n in names}
        x = np.fromfile(os.path.join(tmp, "x.f64")).reshape(M, DX)
        y = np.fromfile(os.path.join(tmp, "y.i32"), dtype=np.int32).astype(np.int64)
        ts = [np.fromfile(os.path.join(tmp, "t%d.f64" % (i + 1))).reshape(M, d) for i, d in enumerate(UNITS)]
        cvals = {n: np.loadtxt(os.path.join(tmp, "c_%s.txt" % n), ndmin=2) for n in names}

    for n in names:
        c = cres[n]
        cv = cvals[n]  # per setting: ixt_1..5 ity_1..5
        extra = {}
        say("\n== Python (NumPy/SciPy float64): %s; load average %s" % (n, load()))
        if n == "binning":
            t, times, v = timed(lambda: binning_plane(ts, y), args.py_reps)
        elif n == "kde":
            t, times, v = timed(lambda: kde_plane(ts, y), args.py_reps)
        elif n == "renyi":
            t0 = time.perf_counter()
            setup = renyi_setup(x, y)
            extra["py_setup"] = time.perf_counter() - t0
            r = min(args.py_reps, 2)
            t, times, v = timed(lambda: renyi_plane(ts, y, setup, blocks=False), r)
            say("load average %s (Renyi, per-class blocks variant)" % load())
            tb, times_b, vb = timed(lambda: renyi_plane(ts, y, setup, blocks=True), r)
            extra.update(py_blocks=tb, diff_blocks=max_rel([[a for a, b in s] + [b for a, b in s] for s in vb], cv))
            say("python renyi setup (X's Gram and S(X), Y's, not timed per epoch) %.3f s" % extra["py_setup"])
            say("python renyi epoch, T o Y per-class blocks: %.3f s (runs %s)" % (tb, " ".join("%.3f" % q for q in times_b)))
        else:
            say("(KSG in SciPy takes minutes: 1 rep)")
            t, times, v = timed(lambda: ksg_plane(x, ts, y), 1)
        pv = np.array([[a for a, b in s] + [b for a, b in s] for s in v])
        diff = max_rel(pv, cv)
        say("python %s epoch %.4f s (runs %s)" % (n, t, " ".join("%.3f" % q for q in times)))
        for s in range(len(pv)):
            say("  setting %d  I(X;T) py %s" % (s, " ".join("%.10g" % q for q in pv[s][:5])))
            say("              I(X;T) C  %s" % " ".join("%.10g" % q for q in cv[s][:5]))
            say("              I(T;Y) py %s" % " ".join("%.10g" % q for q in pv[s][5:]))
            say("              I(T;Y) C  %s" % " ".join("%.10g" % q for q in cv[s][5:]))
        say("agreement %s: max relative difference %.3g" % (n, diff))
        if "diff_blocks" in extra:
            say("agreement renyi (blocks variant): max relative difference %.3g" % extra["diff_blocks"])
        rows[n] = dict(c=c["%s_epoch" % n], setup=c["%s_setup" % n], py=t, floor=c.get("floor", float("nan")),
                       rss=c.get("maxrss", float("nan")), diff=diff, floor_alt=c.get("floor_alt"), **extra)
        say("load average after %s: %s" % (n, load()))

    core = next(iter(cres.values())).get("core", "?") if cres else "?"
    say("\n== estimators, one recorded epoch (m = %d, layers %s, all five layers' I(X;T), I(T;Y)); "
        "OpenBLAS core %s, OPENBLAS_CORETYPE=%s, %d thread(s); load average now %s"
        % (M, "-".join(map(str, UNITS)), core, os.environ.get("OPENBLAS_CORETYPE", "(not set)"), args.threads, load()))
    say("%-8s %10s %9s %11s %8s %7s %9s %8s %8s %9s %s" % ("est", "C s/epoch", "setup s", "py s/epoch", "py/C",
                                                          "target", "floor s", "C/floor", "peak MB", "max rdiff",
                                                          "verdict"))
    ok = True
    for n in names:
        r = rows[n]
        ratio, rf = r["py"] / r["c"], r["c"] / r["floor"]
        met_py, met_fl = ratio >= TARGET[n], rf <= 2
        ok = ok and met_py and met_fl
        verdict = "python %s, floor %s" % ("met" if met_py else "NOT met", "met" if met_fl else "NOT met")
        say("%-8s %10.4f %9.4f %11.3f %8.1f %7s %9.4f %8.2f %8.0f %9.2g %s" % (
            n, r["c"], r["setup"], r["py"], ratio, ">=%dx" % TARGET[n], r["floor"], rf, r["rss"], r["diff"], verdict))
        if r.get("floor_alt"):
            say("%-8s %10s %9s %11s %8s %7s %9.4f %8.2f   (floor with m(m-1)/2 exps per layer, by symmetry: %s)" % (
                n + "-sym", "", "", "", "", "", r["floor_alt"], r["c"] / r["floor_alt"],
                "met" if r["c"] / r["floor_alt"] <= 2 else "NOT met"))
        if "py_blocks" in r:
            rb = r["py_blocks"] / r["c"]
            say("%-8s %10s %9s %11.3f %8.1f %7s   (Python with the per-class blocks for S(T,Y): %s)" % (
                "renyi-b", "", "", r["py_blocks"], rb, ">=3x", "met" if rb >= 3 else "NOT met"))
    say("targets: binning, KSG >= 10x NumPy/SciPy; KDE, Renyi >= 3x; each <= 2x its floor: %s"
        % ("all met" if ok else "NOT all met"))


if __name__ == "__main__":
    main()
