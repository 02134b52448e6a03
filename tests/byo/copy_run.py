"""Helper of tests/test_byo.c: writes an infoplane run's analysis set and recorded layers into a
new file through python/infoplane's Recorder, epoch by epoch (as a training script would), with
its metrics when it has them. Usage: copy_run.py REPO RUN.h5 OUT.h5"""
import sys

sys.path.insert(0, sys.argv[1] + "/python")
import h5py  # noqa: E402
from infoplane import Recorder  # noqa: E402

with h5py.File(sys.argv[2], "r") as f:
    n = int(f["checkpoint"][()]["n_recorded"])
    names = [s.decode() if isinstance(s, bytes) else s for s in f["layers"].attrs["order"]]
    rec = Recorder(sys.argv[3], f["inputs"][()], f["labels"][()], description="copied from " + sys.argv[2],
                   n_classes=int(f.attrs["n_classes"]))
    for k, epoch in enumerate(f["epochs"][:n]):
        rec.record(int(epoch), {name: f["layers/" + name][k] for name in names})
    rec.close()
