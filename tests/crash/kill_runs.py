#!/usr/bin/python3
"""Kills `infoplane train` and `infoplane run` with SIGKILL at random moments, 150 times by
default, and checks after every kill that the run file opens as it is -- h5py.File(path) and
`h5dump -H`, no h5clear or other step first -- with every committed epoch readable and /analysis
holding complete tables or none; then that `infoplane train --resume` (or `run --resume`)
finishes it to exactly the uninterrupted run: h5diff of /layers, /state, /epochs (and /analysis
after `run`), /metrics equal but for its seconds column.

The run is tiny (gaussian data, an 8-6-3 MLP, 60 epochs, every epoch recorded: ~0.15 s to train,
~2 s with analysis and figures), so 150 kills, two at a time, take about a minute. Kills land uniformly
within training, within the analysis and within the plotting of `infoplane run`.
Prints cmocka-style totals (one test per kill) for scripts/run-tests.sh, which runs it once
(release build only: the point is the moments of the kills, not the instrumentation).

Usage: tests/crash/kill_runs.py [INFOPLANE] [KILLS]    (default build/infoplane 150)
Environment: KILL_RUNS_SEED (default: the time), KILL_RUNS_KEEP=1 keeps the directory."""

import concurrent.futures
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CONFIG = """\
# kill_runs.py: a run small enough to kill a hundred times in two minutes
seed: 3
model:
  arch: mlp
  hidden: [8, 6]
  activation: tanh
data:
  dataset: gaussian
  gaussian_samples: 2000
  gaussian_dim: 4
  gaussian_classes: 3
train:
  epochs: 60
  batch_size: 32
  optimizer: adam
  lr: 0.01
  threads: 1
record:
  samples: 1000
  test_samples: 200
  epochs: all
plot:
  width: 300
  height: 240
"""


WORKERS = 2  # kills checked at a time


class Failure(Exception):
    pass


def sh(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def plain_open_check(h5py, np, path, ref):
    """The file opens with plain h5py and h5dump; every committed epoch and table reads back."""
    try:
        with h5py.File(path, "r") as f:
            ck = f["checkpoint"][()]
            n_rec, n_met, last = int(ck["n_recorded"]), int(ck["n_metrics"]), int(ck["epoch"])
            if n_rec < 1 or n_met != last + 1:
                raise Failure(f"checkpoint {ck} is not a committed epoch")
            epochs = f["epochs"][:n_rec]
            if list(epochs) != list(range(n_rec)):
                raise Failure(f"/epochs {list(epochs)}")
            for name in f["layers"]:
                rows = f["layers"][name][:n_rec]
                if not np.array_equal(rows, ref["layers"][name][:n_rec]):
                    raise Failure(f"/layers/{name}: committed rows differ from the uninterrupted run")
            met = f["metrics"][:n_met]
            if not np.array_equal(met[:, :5], ref["metrics"][:n_met, :5]):
                raise Failure("/metrics: committed rows differ from the uninterrupted run")
            for name in f["state"]:
                f["state"][name][()]
            tables = {}
            if "analysis" in f:
                f["analysis"].visititems(lambda n, o: tables.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
            groups = {t.rsplit("/", 1)[0] for t in tables}
            for g in groups:  # a group holds both of its tables, complete, or is absent
                for t in ("layers", "pairs"):
                    want = ref["analysis"][g][t][()]
                    got = tables.get(f"{g}/{t}")
                    if got is None or not np.array_equal(got, want):
                        raise Failure(f"/analysis/{g}/{t} is missing or incomplete")
    except Failure:
        raise
    except Exception as e:
        raise Failure(f"h5py.File('{path}'): {type(e).__name__}: {e}")
    r = sh(["h5dump", "-H", path])
    if r.returncode != 0:
        raise Failure(f"h5dump -H {path}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return last, len(groups)


def same_as_reference(h5py, np, path, ref_path, analysis):
    objs = ["/layers", "/state", "/epochs"] + (["/analysis"] if analysis else [])
    for obj in objs:
        r = sh(["h5diff", ref_path, path, obj, obj])
        if r.returncode != 0:
            raise Failure(f"h5diff {obj}: {(r.stdout + r.stderr).strip()[:300]}")
    with h5py.File(path, "r") as f, h5py.File(ref_path, "r") as g:
        a, b = f["metrics"][()], g["metrics"][()]
        if a.shape != b.shape or not np.array_equal(a[:, :5], b[:, :5]):
            raise Failure("/metrics (without seconds) differs from the uninterrupted run")


def start(bin_, cmd, cfg, out, quiet):
    args = [bin_, cmd, cfg, "--out", out] + (["--quiet"] if quiet else [])
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def watch(proc, marker):
    """An event set when `marker` appears on the process's stderr (read by a thread)."""
    ev = threading.Event()

    def reader():
        for line in proc.stderr:
            if marker and marker in line:
                ev.set()
        ev.set()  # (ended without it: set, the kill finds the process gone)

    threading.Thread(target=reader, daemon=True).start()
    return ev


def main():
    bin_ = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/infoplane")
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    seed = int(os.environ.get("KILL_RUNS_SEED", int(time.time())))
    rng = random.Random(seed)
    print(f"[==========] kill_runs.py: {kills} SIGKILLs of {bin_} (seed {seed})", flush=True)
    try:
        import h5py
        import numpy as np
    except ImportError as e:
        print(f"[  FAILED  ] 1 test(s): h5py and numpy are needed (/usr/bin/python3, python3-h5py): {e}")
        return 1
    if not os.access(bin_, os.X_OK) or not shutil.which("h5dump") or not shutil.which("h5diff"):
        print(f"[  FAILED  ] 1 test(s): {bin_}, h5dump and h5diff are needed (make all; hdf5-tools)")
        return 1
    tmp = tempfile.mkdtemp(prefix="ip_kill_runs.")
    cfg = os.path.join(tmp, "tiny.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    t0 = time.monotonic()
    # The uninterrupted run, and how long each phase of `run` takes here.
    ref_dir = os.path.join(tmp, "ref")
    p = start(bin_, "run", cfg, ref_dir, False)
    marks, phase = {}, threading.Event()

    def stamp():
        for line in p.stderr:
            for m in ("[2/3]", "[3/3]"):
                if m in line:
                    marks[m] = time.monotonic()
        phase.set()

    began = time.monotonic()
    threading.Thread(target=stamp, daemon=True).start()
    if p.wait() != 0 or not phase.wait(10) or len(marks) != 2:
        print(f"[  FAILED  ] 1 test(s): the uninterrupted run failed (exit {p.returncode})")
        return 1
    ended = time.monotonic()
    t_train, t_analyze, t_plot = marks["[2/3]"] - began, marks["[3/3]"] - marks["[2/3]"], ended - marks["[3/3]"]
    print(f"phases of `run`: training {t_train:.3f} s, analysis {t_analyze:.3f} s, plotting {t_plot:.3f} s")
    ref_path = os.path.join(ref_dir, "run.h5")
    ref = h5py.File(ref_path, "r")

    counts = {"training": 0, "analysis": 0, "plotting": 0, "before run.h5": 0}
    tally = {"passed": 0, "failed": 0, "finished_first": 0}
    lock = threading.Lock()

    def one_kill(k):
        """Kill k: its own random stream (seed, k), retried with the next draw when the run ends
        before its kill lands; returns when one kill has been checked."""
        krng = random.Random(seed * 1000003 + k)
        for attempt in range(20):
            d = os.path.join(tmp, f"k{k}_{attempt}")
            where = krng.choices(["training", "analysis", "plotting"], weights=[0.6, 0.25, 0.15])[0]
            if where == "training":
                proc = start(bin_, "train", cfg, d, True)
                watch(proc, None)
                time.sleep(krng.uniform(0, t_train))
            else:
                proc = start(bin_, "run", cfg, d, False)
                ev = watch(proc, "[2/3]" if where == "analysis" else "[3/3]")
                ev.wait(30)
                time.sleep(krng.uniform(0, t_analyze if where == "analysis" else t_plot))
            proc.send_signal(signal.SIGKILL)
            if proc.wait() != -signal.SIGKILL:
                with lock:
                    tally["finished_first"] += 1
                shutil.rmtree(d, ignore_errors=True)
                continue
            run_h5 = os.path.join(d, "run.h5")
            try:
                if not os.path.exists(run_h5):
                    where = "before run.h5"  # killed before epoch 0 was committed: a fresh start
                    r = sh([bin_, "train", cfg, "--out", d, "--quiet"])
                    if r.returncode != 0:
                        raise Failure(f"train after a kill before run.h5 existed: {r.stderr.strip()[:300]}")
                    same_as_reference(h5py, np, run_h5, ref_path, False)
                else:
                    last, groups = plain_open_check(h5py, np, run_h5, ref)
                    # After `run`, every fifth kill resumes the whole pipeline; the others the training.
                    whole = where != "training" and k % 5 == 0
                    r = sh([bin_, "run" if whole else "train", cfg, "--out", d, "--resume", "--quiet"])
                    if r.returncode != 0:
                        raise Failure(f"--resume after epoch {last}: exit {r.returncode}: {r.stderr.strip()[:300]}")
                    same_as_reference(h5py, np, run_h5, ref_path, whole)
                with lock:
                    counts[where] += 1
                    tally["passed"] += 1
                shutil.rmtree(d, ignore_errors=True)
            except Failure as e:
                with lock:
                    tally["failed"] += 1
                    print(f"[  ERROR   ] kill {k} ({where}): {e}  [kept: {d}]", flush=True)
            return
        with lock:
            tally["failed"] += 1
            print(f"[  ERROR   ] kill {k}: 20 runs in a row ended before their kill", flush=True)

    # Two kills at a time (each run trains on one thread): the same kills in half the time. The
    # phases are measured alone, so under the shared load the kills land somewhat earlier in each.
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(one_kill, range(kills)))
    passed, failed, finished_first = tally["passed"], tally["failed"], tally["finished_first"]
    ref.close()
    took = time.monotonic() - t0
    print(f"kills: {passed + failed} ({counts['training']} during training, {counts['analysis']} during analysis, "
          f"{counts['plotting']} during plotting, {counts['before run.h5']} before run.h5 existed); "
          f"{finished_first} runs ended before their kill; {took:.1f} s")
    if failed == 0 and os.environ.get("KILL_RUNS_KEEP") != "1":
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s), seed {seed}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
