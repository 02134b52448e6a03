#!/usr/bin/python3
"""Independent NumPy/SciPy reference for the KDE bounds, used by tests/test_kde.c.
Squared distances by scipy.spatial.distance.cdist('sqeuclidean') on the raw data (no centring,
no Gram matrix), log-sum-exp by scipy.special.logsumexp, the formulas of docs/kde.md as written:
  H_KL(v) = d/2 - mean_i log[(1/m) sum_j exp(-D_ij / (2 v))] + (d/2) log(2 pi v)   (upper, v = s^2)
  H_BD    = H_KL(4 s^2) + (d/2) log(1/4)                                             (lower)
usage: kde_ref.py labels NOISE A.csv Y.csv   prints H_up H_lo Ixt_up Ixt_lo Ity_up Ity_lo
       kde_ref.py mi     NOISE A.csv B.csv   prints I_up I_lo (H(A)+H(B)-H([A B]), each bound)
Values in nats with 17 significant digits."""
import sys

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp


def load(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def h_kl(a, v):
    m, d = a.shape
    dist = cdist(a, a, "sqeuclidean")
    lp = logsumexp(-dist / (2 * v), axis=1) - np.log(m)
    return d / 2 - lp.mean() + d / 2 * np.log(2 * np.pi * v)


def bounds(a, s2):
    d = a.shape[1]
    return h_kl(a, s2), h_kl(a, 4 * s2) + d / 2 * np.log(0.25)


def main(argv):
    if len(argv) != 5:
        raise SystemExit(__doc__)
    what, s2, a, b = argv[1], float(argv[2]), load(argv[3]), load(argv[4])
    m, d = a.shape
    if what == "labels":
        y = b[:, 0].astype(np.int64)
        hu, hl = bounds(a, s2)
        noise = d / 2 * np.log(2 * np.pi * np.e * s2)
        cu = cl = 0.0
        for k in np.unique(y):
            u, l = bounds(a[y == k], s2)
            p = np.count_nonzero(y == k) / m
            cu, cl = cu + p * u, cl + p * l
        print("%.17g %.17g %.17g %.17g %.17g %.17g" % (hu, hl, hu - noise, hl - noise, hu - cu, hl - cl))
    else:
        ha, hb, hab = bounds(a, s2), bounds(b, s2), bounds(np.hstack([a, b]), s2)
        print("%.17g %.17g" % tuple(ha[k] + hb[k] - hab[k] for k in range(2)))


if __name__ == "__main__":
    main(sys.argv)
