"""Helper of tests/test_byo.c: writes DIR/A.csv, DIR/B.csv, DIR/y.csv and prints, for every
setting of SETTINGS (one per line in tests/test_byo.c's order), python/infoplane's entropy(A),
mi(A, B) and mi(A, y, labels=True) with %.17g. Usage: estimators.py REPO DIR"""
import os
import sys

sys.path.insert(0, sys.argv[1] + "/python")
import numpy as np  # noqa: E402
from infoplane import entropy, mi  # noqa: E402

SETTINGS = [  # the same as test_byo.c's `settings`
    ("logdet", {}),
    ("logdet", {"mode": "pearson", "beta": 2.5}),
    ("binning", {"bins": 10}),
    ("binning", {"range": "width", "width": 0.5}),
    ("kde", {"noise": 0.1}),
    ("kde", {"noise": 0.05, "bound": "lower"}),
    ("renyi", {"alpha": 1.01}),
    ("renyi", {"alpha": 2.0, "sigma": 0.8}),
    ("ksg", {"k": 3}),
]
d = sys.argv[2]
rng = np.random.default_rng(11)
A = rng.standard_normal((150, 4))
B = A[:, :2] + 0.5 * rng.standard_normal((150, 2))
y = rng.integers(0, 3, 150)
np.savetxt(os.path.join(d, "A.csv"), A, delimiter=",", fmt="%.17g")
np.savetxt(os.path.join(d, "B.csv"), B, delimiter=",", fmt="%.17g")
np.savetxt(os.path.join(d, "y.csv"), y, fmt="%d")
At = np.asfortranarray(A)          # converted (not float64 C rows): must give the same numbers
A32 = A.astype(np.float32).astype(np.float64)
for est, p in SETTINGS:
    h, i, il = entropy(A, est, **p), mi(A, B, est, **p), mi(A, y, est, labels=True, **p)
    assert mi(At, B, est, **p) == i
    assert mi(A[:, :], B.copy(), est, **p) == i
    print("%.17g %.17g %.17g" % (h, i, il))
try:
    mi(A, B, "binning", noise=0.1)
    print("no error")
except ValueError as e:
    print("refused:", e, file=sys.stderr)
