#!/usr/bin/python3
"""Independent NumPy reference for the LogDet estimator, used by tests/test_logdet.c.
Straight from the definition: centre, C = A^T A / m (cov) or the Pearson matrix, then
numpy.linalg.slogdet(I_d + beta C) on the d x d matrix (LU, no Sylvester, no blocks).
usage: logdet_ref.py entropy MODE BETA A.csv | mi MODE BETA A.csv B.csv | joint MODE BETA A.csv B.csv
                     | all MODE BETA A.csv B.csv      (prints H(A), I(A;B), H(A,B) on one line)
prints values in nats with 17 significant digits."""
import sys

import numpy as np

EPS = 1e-8  # as framework/estimate/logdet.h: column scale 1/sqrt(||a_i||^2 + EPS)


def load(path):
    a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    return a


def entropy(a, mode, beta):
    m, d = a.shape
    if d == 0:
        return 0.0
    a = a - a.mean(axis=0)
    if mode == "cov":
        c = a.T @ a / m
    else:
        s = 1.0 / np.sqrt((a * a).sum(axis=0) + EPS)
        c = (a * s).T @ (a * s)
    sign, ld = np.linalg.slogdet(np.eye(d) + beta * c)
    if sign <= 0:
        raise SystemExit("reference: I + beta C is not positive definite")
    return 0.5 * ld


def main(argv):
    if len(argv) < 5:
        raise SystemExit(__doc__)
    what, mode, beta = argv[1], argv[2], float(argv[3])
    a = load(argv[4])
    if what == "entropy":
        v = entropy(a, mode, beta)
    else:
        b = load(argv[5])
        hab = entropy(np.hstack([a, b]), mode, beta)
        ha = entropy(a, mode, beta)
        v = ha + entropy(b, mode, beta) - hab
        if what == "all":
            print("%.17g %.17g %.17g" % (ha, v, hab))
            return
        v = hab if what == "joint" else v
    print("%.17g" % v)


if __name__ == "__main__":
    main(sys.argv)
