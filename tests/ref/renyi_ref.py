#!/usr/bin/python3
"""Independent NumPy/SciPy reference for the matrix-based Renyi entropy (tests/test_renyi.c).
Straight from the definition: scipy cdist for squared distances, the full Gram, np.linalg.eigvalsh
of full m x m matrices (the labels' joint too: no blocks).
usage: renyi_ref.py ALPHA SIGMA_A SIGMA_B A.csv B.csv Y.csv
prints S(A) S(B) S(A,B) I(A;B) S(Y) S(A,Y) I(A;Y) in nats, 17 significant digits."""
import sys

import numpy as np
from scipy.spatial.distance import cdist


def gram(x, sigma):
    k = np.exp(-cdist(x, x, "sqeuclidean") / (2 * sigma * sigma))
    return k / np.trace(k)


def entropy(g, alpha):
    w = np.linalg.eigvalsh(g)
    w = w[w > 0]
    return np.log(np.sum(w ** alpha)) / (1 - alpha)


def joint(g1, g2, alpha):
    h = g1 * g2
    return entropy(h / np.trace(h), alpha)


def main(argv):
    if len(argv) != 7:
        raise SystemExit(__doc__)
    alpha, sa, sb = float(argv[1]), float(argv[2]), float(argv[3])
    a = np.loadtxt(argv[4], delimiter=",", ndmin=2)
    b = np.loadtxt(argv[5], delimiter=",", ndmin=2)
    y = np.loadtxt(argv[6], delimiter=",", ndmin=1).astype(int)
    ga, gb = gram(a, sa), gram(b, sb)
    gy = (y[:, None] == y[None, :]).astype(float)
    gy /= np.trace(gy)
    ha, hb, hab = entropy(ga, alpha), entropy(gb, alpha), joint(ga, gb, alpha)
    hy, hay = entropy(gy, alpha), joint(ga, gy, alpha)
    print(" ".join("%.17g" % v for v in (ha, hb, hab, ha + hb - hab, hy, hay, ha + hy - hay)))


if __name__ == "__main__":
    main(sys.argv)
