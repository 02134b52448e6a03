"""infoplane from Python (python/infoplane; NumPy and h5py):

- Recorder: write a network's activations epoch by epoch into a file `infoplane analyze`, `plot`
  and `info` read (docs/hdf5-layout.md, "Importing a file infoplane did not write");
- entropy, mi: infoplane's estimators on NumPy arrays (build/libinfoplane.so via ctypes), the
  command line's numbers to the last bit.

Put the repository's python/ directory on sys.path (or PYTHONPATH) to import it.
"""
from .recorder import Recorder
from .estimators import entropy, mi

__all__ = ["Recorder", "entropy", "mi"]
