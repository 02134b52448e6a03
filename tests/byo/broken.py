"""Helper of tests/test_byo.c: writes files that break the import contract one path at a time
(docs/hdf5-layout.md, "Importing") into DIR, one per line on stdout as "FILE PATH_NAMED", after
a valid one (ok.h5). Usage: broken.py DIR"""
import os
import sys

import h5py
import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(3)
m = 40


def write(name, skip=(), change=None):
    p = os.path.join(d, name)
    with h5py.File(p, "w") as f:
        parts = {
            "inputs": rng.standard_normal((m, 3)),
            "labels": rng.integers(0, 2, m),
            "epochs": np.array([0, 1, 2]),
            "layers/a": rng.standard_normal((3, m, 4)).astype(np.float32),
            "layers/b": rng.standard_normal((3, m, 2)),
        }
        if change:
            parts.update(change)
        for k, v in parts.items():
            if k not in skip and not (k.startswith("layers/") and "layers" in skip):
                f.create_dataset(k, data=v)
        if "layers/a" in skip:  # the layers named by the order attribute must all be there
            f["layers"].attrs["order"] = ["a", "b"]
    return p


print(write("ok.h5"), "-")
print(write("ok_order.h5", change={"layers/c": np.zeros((3, m, 1))}), "-")
for path in ["inputs", "labels", "epochs", "layers", "layers/a"]:
    print(write("no_" + path.replace("/", "_") + ".h5", skip=(path,)), "/" + path)
print(write("int_layer.h5", change={"layers/a": rng.integers(0, 3, (3, m, 4))}), "/layers/a")
print(write("float_labels.h5", change={"labels": rng.standard_normal(m)}), "/labels")
print(write("short_labels.h5", change={"labels": np.zeros(m - 1, dtype=np.int64)}), "/labels")
print(write("descending.h5", change={"epochs": np.array([0, 2, 1])}), "/epochs")
print(write("short_layer.h5", change={"layers/b": rng.standard_normal((2, m, 2))}), "/layers/b")
print(write("wrong_samples.h5", change={"layers/b": rng.standard_normal((3, m + 1, 2))}), "/layers/b")
print(write("inputs_1d.h5", change={"inputs": rng.standard_normal(m)}), "/inputs")
print(write("metrics_cols.h5", change={"metrics": np.zeros((3, 4))}), "/metrics")
