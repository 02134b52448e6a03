"""Recorder: write a network's activations, epoch by epoch, in the form `infoplane analyze`,
`plot` and `info` read (docs/hdf5-layout.md, "Importing a file infoplane did not write").

    rec = Recorder("runs/mine/run.h5", inputs, labels, description="my MLP, SGD 0.01")
    for epoch in range(epochs):
        ...train...
        rec.record(epoch, {"layer1": a1, "layer2": a2})   # each [samples x units]
    rec.close()

Every recorded epoch is complete on disk when record() returns: each layer gets one more row,
then /epochs gets the epoch number, and the file is flushed. A reader takes len(/epochs) as the
number of complete epochs, so a process killed at any moment (SIGKILL included) leaves a file
that analyses up to its last complete epoch. The file is written in HDF5's SWMR mode (HDF5
>= 1.10), which orders every metadata write so that the file on disk is valid at all times;
`swmr=False` writes the plainest h5py file instead (no such guarantee during a write).
"""
import fcntl
import os
import struct

import numpy as np
import h5py

__all__ = ["Recorder"]


def _ofd_lock(path):
    """The lock infoplane's own writers hold (framework/record/run_file.c): an open-file-description
    write lock on the file, dropped by the kernel when the process dies. infoplane's readers see it
    and read the live file in SWMR mode (and `analyze` waits for the recording to end) instead of
    taking a file still being written for one a killed writer left. None where locks are missing."""
    setlk = getattr(fcntl, "F_OFD_SETLK", 37)
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.fcntl(fd, setlk, struct.pack("@hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    except OSError:
        os.close(fd)
        return None
    return fd


class Recorder:
    def __init__(self, path, inputs, labels, description="", metrics=False, swmr=True, dtype=np.float32,
                 n_classes=None):
        """inputs: [samples x features] (any float; stored as float32 unless float64),
        labels: [samples] class indices 0, 1, ... The file must not exist yet (as `infoplane train`,
        a Recorder never overwrites a run). description: free text `infoplane info` shows.
        metrics=True adds /metrics rows (see record's metrics argument). dtype: of the layers.
        n_classes: stored as the root attribute n_classes (default: readers take max(labels) + 1)."""
        inputs = np.asarray(inputs)
        if inputs.dtype != np.float64:
            inputs = inputs.astype(np.float32)
        if inputs.ndim != 2:
            raise ValueError("inputs must be [samples x features], got shape %s" % (inputs.shape,))
        labels = np.asarray(labels)
        if labels.shape != (inputs.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError("labels must be [samples] integers matching inputs")
        if labels.size and labels.min() < 0:
            raise ValueError("labels must be class indices 0, 1, ...")
        self.path = path
        self.n = inputs.shape[0]
        self.dtype = np.dtype(dtype)
        self.swmr = swmr
        self.metrics = metrics
        self.names = None
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = h5py.File(path, "w-", libver="latest" if swmr else "earliest")
        self._lock = _ofd_lock(path)
        self.f.attrs["description"] = str(description)
        if n_classes is not None:
            self.f.attrs["n_classes"] = np.int64(n_classes)
        self.f.create_dataset("inputs", data=inputs)
        self.f.create_dataset("labels", data=labels.astype(np.int32))
        self.f.flush()

    def _start(self, acts):
        self.names = list(acts)
        g = self.f.create_group("layers")
        g.attrs["order"] = np.array(self.names, dtype=h5py.string_dtype())
        for name in self.names:
            a = np.asarray(acts[name])
            units = int(np.prod(a.shape[1:])) if a.ndim > 1 else 1
            g.create_dataset(name, shape=(0, self.n, units), maxshape=(None, self.n, units),
                             chunks=(1, self.n, units), dtype=self.dtype)
        self.f.create_dataset("epochs", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1024,))
        if self.metrics:
            self.f.create_dataset("metrics", shape=(0, 6), maxshape=(None, 6), dtype=np.float64, chunks=(256, 6))
            self.f["metrics"].attrs["columns"] = np.array(
                ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"], dtype=h5py.string_dtype())
        self.f.flush()
        if self.swmr:
            self.f.swmr_mode = True

    def record(self, epoch, acts, metrics=None):
        """acts: {name: array [samples x ...]} for every layer (flattened past the first axis),
        the same names every epoch (the first call fixes them and their order). Epochs strictly
        ascending. metrics (with metrics=True): (train_loss, train_acc, test_loss, test_acc,
        seconds), NaN where unknown."""
        if self.f is None:
            raise ValueError("recorder is closed")
        if self.names is None:
            self._start(acts)
        if list(acts) != self.names:
            raise ValueError("record() needs the layers %s, got %s" % (self.names, list(acts)))
        ep = self.f["epochs"]
        k = ep.shape[0]
        if k and epoch <= int(ep[k - 1]):
            raise ValueError("epochs must be strictly ascending: %d after %d" % (epoch, int(ep[k - 1])))
        for name in self.names:
            a = np.asarray(acts[name]).reshape(self.n, -1)
            ds = self.f["layers/" + name]
            if a.shape[1] != ds.shape[2]:
                raise ValueError("layer %s: %d units, %d before" % (name, a.shape[1], ds.shape[2]))
            ds.resize(k + 1, axis=0)   # a row past len(/epochs) is ignored by readers until it counts
            ds[k] = a.astype(self.dtype, copy=False)
        self.f.flush()
        if self.metrics:
            m = self.f["metrics"]
            row = [epoch] + list(metrics if metrics is not None else [np.nan] * 5)
            m.resize(m.shape[0] + 1, axis=0)
            m[m.shape[0] - 1] = np.asarray(row, dtype=np.float64)
        ep.resize(k + 1, axis=0)       # last: the epoch now counts
        ep[k] = epoch
        self.f.flush()

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None
        if self._lock is not None:
            os.close(self._lock)   # only once the file is closed
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
