#!/usr/bin/python3
"""Independent SciPy reference for the KSG estimators (tests/test_ksg.c), as NPEET does it:
scipy.spatial.cKDTree with p = inf, the k-th neighbour from a query of k + 1 points (the point
itself first), strict counts by query_ball_point at r = nextafter(eps, 0) (every point closer than
eps, none at eps), scipy.special.digamma.
usage: ksg_ref.py K A.csv B.csv Y.csv
prints I(A;B) (algorithm 1), I(A;Y) (Ross, classes with <= k samples left out), H(A) (KL) in nats."""
import sys

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma


def kth(x, k):
    d, _ = cKDTree(x).query(x, k=k + 1, p=np.inf)
    return d[:, -1]


def strict_counts(x, r):
    """#{j != i : |x_j - x_i|_inf < r_i}."""
    tree = cKDTree(x)
    return np.array([len(tree.query_ball_point(x[i], np.nextafter(r[i], 0), p=np.inf)) - 1
                     for i in range(len(x))])


def ksg(a, b, k):
    m = len(a)
    eps = kth(np.hstack([a, b]), k)
    na, nb = strict_counts(a, eps), strict_counts(b, eps)
    return digamma(k) + digamma(m) - np.mean(digamma(na + 1) + digamma(nb + 1))


def ross(a, y, k):
    classes, counts = np.unique(y, return_counts=True)
    keep = np.isin(y, classes[counts > k])
    a, y = a[keep], y[keep]
    d = np.empty(len(a))
    my = np.empty(len(a))
    for c in np.unique(y):
        sel = y == c
        d[sel] = kth(a[sel], k)
        my[sel] = sel.sum()
    n = strict_counts(a, d)
    return digamma(len(a)) - np.mean(digamma(my)) + digamma(k) - np.mean(digamma(n + 1))


def kl(a, k):
    m, d = a.shape
    r = kth(a, k)
    return digamma(m) - digamma(k) + d * np.mean(np.log(2 * r))


def main(argv):
    if len(argv) != 5:
        raise SystemExit(__doc__)
    k = int(argv[1])
    a = np.loadtxt(argv[2], delimiter=",", ndmin=2)
    b = np.loadtxt(argv[3], delimiter=",", ndmin=2)
    y = np.loadtxt(argv[4], delimiter=",", ndmin=1).astype(int)
    print("%.17g %.17g %.17g" % (ksg(a, b, k), ross(a, y, k), kl(a, k)))


if __name__ == "__main__":
    main(sys.argv)
