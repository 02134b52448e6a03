#!/usr/bin/python3
"""Independent NumPy reference for the binning estimator, used by tests/test_binning.c.
Bin codes with NumPy's array arithmetic, symbols with numpy.unique(axis=0, return_counts=True),
plug-in entropies H = sum_k n_k (log m - log n_k) / m.
usage: binning_ref.py labels RANGE BINS LO HI WIDTH A.csv Y.csv   prints H(A) I(A;Y) H(Y) H(A,Y)
       binning_ref.py mi     RANGE BINS LO HI WIDTH A.csv B.csv   prints H(A) H(B) H(A,B) I(A;B)
RANGE is layer, unit, fixed or width (framework/estimate/binning.h). Values in nats, 17 digits."""
import sys

import numpy as np


def load(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def codes(a, rng, bins, lo, hi, width):
    if rng == "width":
        return np.floor(a / width)
    if rng == "layer":
        lo, hi = a.min(), a.max()
    elif rng == "unit":
        lo, hi = a.min(axis=0), a.max(axis=0)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), a.shape[1:])
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), a.shape[1:])
    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.floor((a - lo) / span * bins)
    q[:, span == 0] = 0  # a constant column: one bin
    return np.clip(q, 0, bins - 1)


def entropy(c):
    m = c.shape[0]
    _, n = np.unique(c, axis=0, return_counts=True)
    n = n.astype(np.float64)
    return float(np.sum(n * (np.log(m) - np.log(n))) / m)


def main(argv):
    if len(argv) != 9:
        raise SystemExit(__doc__)
    what, rng, bins, lo, hi, width = argv[1], argv[2], int(argv[3]), float(argv[4]), float(argv[5]), float(argv[6])
    a = codes(load(argv[7]), rng, bins, lo, hi, width)
    b = load(argv[8])
    m = a.shape[0]
    if what == "labels":
        y = b[:, 0].astype(np.int64)
        ha, hy, hay = entropy(a), entropy(y[:, None]), entropy(np.hstack([a, y[:, None]]))
        cond = sum(np.count_nonzero(y == k) / m * entropy(a[y == k]) for k in np.unique(y))
        print("%.17g %.17g %.17g %.17g" % (ha, ha - cond, hy, hay))
    else:
        b = codes(b, rng, bins, lo, hi, width)
        ha, hb, hab = entropy(a), entropy(b), entropy(np.hstack([a, b]))
        print("%.17g %.17g %.17g %.17g" % (ha, hb, hab, ha + hb - hab))


if __name__ == "__main__":
    main(sys.argv)
