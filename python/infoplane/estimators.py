"""infoplane's estimators on NumPy arrays, through ctypes and build/libinfoplane.so
(framework/capi/capi.h): the numbers of `infoplane entropy` and `infoplane mi` with the same
parameters, to the last bit.

    from infoplane import entropy, mi
    h = entropy(T)                                   # LogDet, nats
    i = mi(X, T, estimator="kde", noise=0.1)         # any estimator and its parameters
    i = mi(T, y, labels=True, estimator="binning", bins=30)

Parameters are the command line's options without the dashes (`-` as `_`): mode, beta (LogDet),
bins, range, width (binning), noise, bound (KDE), alpha, sigma (Renyi), k (KSG). A float64
C-contiguous 2-D array is passed without a copy (its rows may be strided); anything else is
converted to one first. A 1-D array is one column. Results are in nats.
The library: $INFOPLANE_LIB, else build/libinfoplane.so of this repository (`make`).
"""
import ctypes
import os

import numpy as np

__all__ = ["entropy", "mi", "library_path"]

_lib = None
_P = ctypes.POINTER(ctypes.c_double)


def library_path():
    env = os.environ.get("INFOPLANE_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "libinfoplane.so"))


def _load():
    global _lib
    if _lib is None:
        path = library_path()
        if not os.path.exists(path):
            raise OSError("%s missing: run `make` in the infoplane repository (or set INFOPLANE_LIB)" % path)
        lib = ctypes.CDLL(path)
        opts = ctypes.POINTER(ctypes.c_char_p)
        i, d = ctypes.c_int, ctypes.POINTER(ctypes.c_double)
        lib.ip_capi_entropy.argtypes = [_P, i, i, i, i, opts, d]
        lib.ip_capi_mi.argtypes = [_P, i, i, i, _P, i, i, i, opts, d]
        lib.ip_capi_mi_labels.argtypes = [_P, i, i, i, ctypes.POINTER(ctypes.c_int), i, opts, d]
        lib.ip_capi_error.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def _matrix(a, name):
    """(array, rows, cols, row stride in doubles); no copy for float64 with contiguous rows."""
    a = np.asarray(a)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError("%s must be 1-D or 2-D, got shape %s" % (name, a.shape))
    if a.dtype != np.float64 or a.strides[1] != 8 or a.strides[0] % 8 or a.strides[0] < 8 * a.shape[1]:
        a = np.ascontiguousarray(a, dtype=np.float64)
    ld = a.strides[0] // 8 if a.shape[0] > 1 else a.shape[1]
    return a, a.shape[0], a.shape[1], ld


def _options(estimator, params):
    out = ["--estimator", str(estimator)]
    for key, v in params.items():
        if isinstance(v, float):
            v = repr(v)   # round-trips: the command line's strtod reads the same double
        elif isinstance(v, (tuple, list)) and key == "range":
            v = "%r:%r" % (float(v[0]), float(v[1]))
        out += ["--" + key.replace("_", "-"), str(v)]
    arr = (ctypes.c_char_p * len(out))(*[s.encode() for s in out])
    return len(out), arr


def _fail(lib):
    raise ValueError((lib.ip_capi_error() or b"infoplane: failed").decode(errors="replace"))


def entropy(A, estimator="logdet", **params):
    """H(A) in nats (`infoplane entropy A --estimator ESTIMATOR --PARAM VALUE ...`)."""
    lib = _load()
    a, m, d, ld = _matrix(A, "A")
    n, opts = _options(estimator, params)
    out = ctypes.c_double()
    if lib.ip_capi_entropy(a.ctypes.data_as(_P), m, d, ld, n, opts, ctypes.byref(out)):
        _fail(lib)
    return out.value


def mi(A, B, estimator="logdet", labels=False, **params):
    """I(A;B) in nats (`infoplane mi A B ...`); labels=True: B holds class indices 0..K-1
    (`infoplane mi A B --labels ...`)."""
    lib = _load()
    a, m, da, lda = _matrix(A, "A")
    n, opts = _options(estimator, params)
    out = ctypes.c_double()
    if labels:
        y = np.asarray(B)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or y.shape[0] != m:
            raise ValueError("labels must be %d class indices, got shape %s" % (m, y.shape))
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(y == np.floor(y)):
                raise ValueError("labels must be integers 0..K-1")
        y = np.ascontiguousarray(y, dtype=np.intc)
        rc = lib.ip_capi_mi_labels(a.ctypes.data_as(_P), m, da, lda, y.ctypes.data_as(ctypes.POINTER(ctypes.c_int)),
                                   n, opts, ctypes.byref(out))
    else:
        b, mb, db, ldb = _matrix(B, "B")
        if mb != m:
            raise ValueError("A has %d rows but B has %d: the rows must pair up" % (m, mb))
        rc = lib.ip_capi_mi(a.ctypes.data_as(_P), m, da, lda, b.ctypes.data_as(_P), db, ldb, n, opts,
                            ctypes.byref(out))
    if rc:
        _fail(lib)
    return out.value
