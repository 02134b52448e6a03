#!/usr/bin/python3
"""`infoplane sweep --slurm` on a real single-node Slurm (docs/cluster.md).

Starts munged, slurmctld and slurmd in a temporary directory on loopback (Debian's Slurm 22.05,
as root, no systemd, no cgroups: proctrack/linuxproc, task/none, no accounting), then:
  1. a 2 x 2 sweep (two activations x two seeds, ~1-2 s a run) is submitted with --slurm
     --max-running 2; as soon as one array task runs it is cancelled with scancel;
  2. once the job has left the queue, that run is not done (--status), and the next --slurm
     submits exactly the runs not complete (the cancelled one), and they complete;
  3. --collect, and the aggregate CSVs are byte-identical to those of a local `-j 2` sweep of
     the same file;
  4. the overhead of one array task against the same run started locally is measured and printed.
Every daemon it started is stopped, also on failure. Prints cmocka-style totals for
scripts/run-tests.sh; reports itself SKIPPED (never passed) when Slurm or munge is not installed,
when not root, when the daemons do not start, or under valgrind or the sanitizers.

Usage: tests/slurm/slurm_sweep.py [INFOPLANE]   (default build/infoplane)
Environment: SLURM_TEST_KEEP=1 keeps the temporary directory."""

import filecmp
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CONFIG = """\
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
record:
  samples: 1000
  test_samples: 200
  epochs: all
plot:
  width: 300
  height: 240
"""

SWEEP = """\
base: run.yaml
grid:
  model.activation: [tanh, relu]
seeds: [1, 2]
slurm:
  options: ["--comment=infoplane-test"]
"""

SLURM_CONF = """\
ClusterName=iptest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={tmp}/munge/munge.socket
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/log/slurmctld.log
SlurmdLogFile={tmp}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
ReturnToService=2
KillWait=2
InactiveLimit=0
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class Skip(Exception):
    pass


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(args, env=None, timeout=120):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)


class Cluster:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []  # (name, Popen) of the daemons started here
        self.env = dict(os.environ, SLURM_CONF=f"{tmp}/slurm.conf")

    def start(self):
        tmp = self.tmp
        try:
            munge = pwd.getpwnam("munge")
        except KeyError:
            raise Skip("no munge user (munge is not installed)")
        os.chmod(tmp, 0o755)  # munged runs as munge and must reach its files
        for d in ("munge", "state", "spool", "log"):
            os.makedirs(f"{tmp}/{d}", exist_ok=True)
        os.makedirs("/run/munge", exist_ok=True)  # munged's default places (made by systemd elsewhere)
        with open(f"{tmp}/munge/munge.key", "wb") as f:
            f.write(os.urandom(1024))
        for p in (f"{tmp}/munge", f"{tmp}/munge/munge.key"):
            os.chown(p, munge.pw_uid, munge.pw_gid)
        os.chmod(f"{tmp}/munge", 0o700)
        os.chmod(f"{tmp}/munge/munge.key", 0o600)
        self.spawn("munged", ["/usr/sbin/munged", "-F", "--force",
                              f"--socket={tmp}/munge/munge.socket", f"--key-file={tmp}/munge/munge.key",
                              f"--pid-file={tmp}/munge/munged.pid", f"--log-file={tmp}/munge/munged.log",
                              f"--seed-file={tmp}/munge/munged.seed"], user=munge.pw_uid, group=munge.pw_gid,
                   extra_groups=[])
        self.wait_for(lambda: os.path.exists(f"{tmp}/munge/munge.socket"), 10, "munged did not start")
        host = socket.gethostname().split(".")[0]
        with open(f"{tmp}/slurm.conf", "w") as f:
            f.write(SLURM_CONF.format(host=host, tmp=tmp, ctld_port=free_port(), d_port=free_port(),
                                      cpus=os.cpu_count() or 1))
        self.spawn("slurmctld", ["/usr/sbin/slurmctld", "-D", "-c", "-f", f"{tmp}/slurm.conf"])
        self.spawn("slurmd", ["/usr/sbin/slurmd", "-D", "-f", f"{tmp}/slurm.conf", "-N", host])

        def idle():
            r = sh(["sinfo", "-h", "-o", "%t"], env=self.env, timeout=10)
            return r.returncode == 0 and r.stdout.strip() in ("idle", "mix", "alloc")
        self.wait_for(idle, 20, "the node did not come up")

    def spawn(self, name, argv, **kw):  # in the foreground (-D, -F): a child of ours, stopped and reaped by stop()
        log = open(f"{self.tmp}/log/{name}.out", "w")
        self.procs.append((name, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, **kw)))

    def wait_for(self, ok, seconds, what):
        end = time.time() + seconds
        while time.time() < end:
            for name, p in self.procs:
                if p.poll() is not None:
                    raise Skip(f"{name} exited ({p.returncode}): {self.tail(name)}")
            if ok():
                return
            time.sleep(0.1)
        raise Skip(f"{what} in {seconds} s: {self.tail('slurmctld')} {self.tail('slurmd')}")

    def tail(self, name):
        for path in (f"{self.tmp}/log/{name}.log", f"{self.tmp}/log/{name}.out"):
            try:
                with open(path) as f:
                    lines = f.read().strip().splitlines()
                if lines:
                    return f"{name}: {lines[-1]}"
            except OSError:
                pass
        return ""

    def stop(self):
        if any(n == "slurmctld" and p.poll() is None for n, p in self.procs):
            sh(["scancel", "--full", "--user=root"], env=self.env, timeout=10)
            end = time.time() + 10  # the tasks' slurmstepd end once their jobs are gone
            while time.time() < end:
                r = sh(["squeue", "-h"], env=self.env, timeout=10)
                if r.returncode != 0 or not r.stdout.strip():
                    break
                time.sleep(0.2)
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def queued(env, job):
    r = sh(["squeue", "-h", "-r", "-j", str(job), "-o", "%i %T"], env=env, timeout=10)
    if r.returncode != 0:
        return {}
    return dict(line.split() for line in r.stdout.splitlines() if line.strip())


def wait_job(env, job, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if not queued(env, job):
            return
        time.sleep(0.1)
    raise Failure(f"job {job} still queued after {seconds} s")


def submit(bin_, env, args):
    r = subprocess.run([bin_, "sweep", "sweep.yaml", "--out", "slurm_sweep", "--slurm"] + args, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        raise Failure(f"--slurm failed ({r.returncode}): {r.stderr}")
    first = r.stdout.strip()
    return (int(first) if first.isdigit() else 0), r.stdout + r.stderr


def run_test(bin_, tmp):
    cluster = Cluster(tmp)
    try:
        cluster.start()
        env = cluster.env
        work = f"{tmp}/work"
        os.makedirs(work)
        os.chdir(work)
        with open("run.yaml", "w") as f:
            f.write(CONFIG)
        with open("sweep.yaml", "w") as f:
            f.write(SWEEP)

        # 1. submit, cancel a running task
        t0 = time.time()
        job, out = submit(bin_, env, ["--max-running", "2", "--time", "10"])
        if not job:
            raise Failure(f"no job id printed: {out}")
        with open(f"slurm_sweep/slurm/array-1.sh") as f:
            script = f.read()
        for want in ("#SBATCH --array=0-3%2", "#SBATCH --time=10", "#SBATCH --comment=infoplane-test", "--slurm-task"):
            if want not in script:
                raise Failure(f"the script lacks {want!r}:\n{script}")
        victim = None
        end = time.time() + 30
        while victim is None and time.time() < end:
            for tid, state in queued(env, job).items():
                if state == "RUNNING":
                    victim = tid
                    break
            time.sleep(0.05)
        if victim is None:
            raise Failure("no array task ran within 30 s")
        again, out2 = submit(bin_, env, [])  # all queued or running: nothing new
        if again:
            raise Failure(f"a second --slurm while the job runs submitted job {again}: {out2}")
        sh(["scancel", victim], env=env)
        wait_job(env, job, 60)
        first_pass = time.time() - t0
        with open(f"slurm_sweep/slurm/array-1.points") as f:
            names = f.read().split()
        victim_name = names[int(victim.split("_")[1])]
        st = sh([bin_, "sweep", "sweep.yaml", "--out", "slurm_sweep", "--status"], env=env)
        done = [l.split()[1] for l in st.stdout.splitlines() if l.startswith("done ")]
        if victim_name in done:
            raise Failure(f"the cancelled task's run {victim_name} counts as done:\n{st.stdout}")

        # 2. the next --slurm submits the runs not complete, and the sweep completes
        job2, out = submit(bin_, env, [])
        if not job2:
            raise Failure(f"the cancelled run was not resubmitted: {out}")
        with open(f"slurm_sweep/slurm/array-2.points") as f:
            names2 = f.read().split()
        if victim_name not in names2 or any(n in done for n in names2):
            raise Failure(f"resubmitted {names2}; cancelled {victim_name}, done before {done}")
        wait_job(env, job2, 60)
        st = sh([bin_, "sweep", "sweep.yaml", "--out", "slurm_sweep", "--status"], env=env)
        if "4 runs: 4 done" not in st.stdout:
            raise Failure(f"not complete after the second job:\n{st.stdout}\n" +
                          "".join(open(p).read() for p in sorted(
                              os.path.join("slurm_sweep/slurm/logs", x) for x in os.listdir("slurm_sweep/slurm/logs"))))

        # 3. collect; the same bytes as a local -j 2 sweep
        r = sh([bin_, "sweep", "sweep.yaml", "--out", "slurm_sweep", "--collect", "--quiet"], env=env)
        if r.returncode != 0:
            raise Failure(f"--collect failed: {r.stdout}")
        t1 = time.time()
        r = sh([bin_, "sweep", "sweep.yaml", "--out", "local_sweep", "-j", "2", "--quiet"], env=env)
        local = time.time() - t1
        if r.returncode != 0:
            raise Failure(f"the local sweep failed: {r.stdout}")
        for name in ("results.csv", "aggregate.csv", "compression.csv"):
            a, b = f"slurm_sweep/aggregate/{name}", f"local_sweep/aggregate/{name}"
            if not os.path.exists(a) or not filecmp.cmp(a, b, shallow=False):
                raise Failure(f"{a} differs from {b}")

        # 4. the overhead of one array task against the same run started here (SLURM_TEST_MEASURE=N:
        # N times each, alternating; the minimum and the median are printed)
        slurm_t, local_t = [], []
        for k in range(max(1, int(os.environ.get("SLURM_TEST_MEASURE", "1")))):
            shutil.rmtree("slurm_sweep/activation=tanh_seed=1")
            t2 = time.time()
            job3, out = submit(bin_, env, [])
            wait_job(env, job3, 60)
            slurm_t.append(time.time() - t2)
            if not os.path.exists("slurm_sweep/activation=tanh_seed=1/sweep.done"):
                raise Failure(f"the one-run job {job3} did not complete the run")
            shutil.rmtree("one_local", ignore_errors=True)
            t3 = time.time()
            r = sh([bin_, "run", "run.yaml", "--out", "one_local", "--quiet", "--set", "model.activation=tanh",
                    "--set", "seed=1", "--set", "train.threads=1"], env=env)
            local_t.append(time.time() - t3)
            if r.returncode != 0:
                raise Failure(f"the local run failed: {r.stdout}")
        slurm_t.sort()
        local_t.sort()
        n = len(slurm_t)
        print(f"slurm_sweep: 2 x 2 sweep on Slurm with one task cancelled: {first_pass:.1f} s to the end of the first "
              f"job; local -j 2: {local:.1f} s")
        print(f"slurm_sweep: one run, {n} time(s) each: sbatch to sweep.done min {slurm_t[0]:.2f} s median "
              f"{slurm_t[n // 2]:.2f} s; the same run locally min {local_t[0]:.2f} s median {local_t[n // 2]:.2f} s; "
              f"overhead per array task (min - min) {slurm_t[0] - local_t[0]:.2f} s")
    finally:
        os.chdir("/")
        cluster.stop()


def main():
    bin_ = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/infoplane")
    if os.environ.get("IP_UNDER_VALGRIND") or os.environ.get("IP_UNDER_SANITIZER"):
        print("[  SKIPPED ] 1 test(s): slurm_sweep runs in the release pass only")
        return 0
    need = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged"]
    missing = [p for p in need if not os.access(p, os.X_OK)] + \
              [c for c in ("sbatch", "squeue", "scancel", "sinfo") if not shutil.which(c)]
    if missing:
        print(f"[  SKIPPED ] 1 test(s): Slurm is not installed ({', '.join(missing)} missing; "
              "scripts/install-deps.sh installs slurmctld slurmd slurm-client munge)")
        return 0
    if os.geteuid() != 0:
        print("[  SKIPPED ] 1 test(s): starting slurmctld, slurmd and munged takes root")
        return 0
    tmp = tempfile.mkdtemp(prefix="ip_slurm_")
    t0 = time.time()
    try:
        run_test(bin_, tmp)
        print(f"[  PASSED  ] 1 test(s). ({time.time() - t0:.1f} s)")
        return 0
    except Skip as e:
        print(f"[  SKIPPED ] 1 test(s): Slurm could not start here: {e}")
        return 0
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"[  FAILED  ] 1 test(s): {e} (daemon logs in {tmp}/log)")
        os.environ["SLURM_TEST_KEEP"] = "1"
        return 1
    finally:
        if not os.environ.get("SLURM_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
