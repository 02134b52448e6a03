"""Helper of tests/test_byo.c: records epochs 0, 1, 2, ... into PATH with python/infoplane's
Recorder until killed, printing "recorded N" (N complete epochs) after each record() on stdout.
Usage: record_forever.py REPO PATH [MAX_EPOCHS]"""
import sys

sys.path.insert(0, sys.argv[1] + "/python")
import numpy as np  # noqa: E402
from infoplane import Recorder  # noqa: E402

rng = np.random.default_rng(7)
X = rng.standard_normal((400, 16)).astype(np.float32)
y = rng.integers(0, 4, 400)
W1, W2 = rng.standard_normal((16, 256)), rng.standard_normal((256, 8))
rec = Recorder(sys.argv[2], X, y, description="tests/byo/record_forever.py")
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 10 ** 9
for e in range(limit):
    h1 = np.tanh(X @ (W1 * (1 + 0.01 * e)))
    rec.record(e, {"h1": h1, "h2": np.tanh(h1 @ W2 / 16)})
    print("recorded", e + 1, flush=True)
rec.close()
