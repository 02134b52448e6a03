#!/usr/bin/env bash
# Installs the Debian packages infoplane needs, when any is missing: apt-get update, then
# apt-get install -y, as root or through sudo. Says clearly what to do when neither works.
set -euo pipefail
PACKAGES="build-essential pkg-config libopenblas-dev liblapacke-dev libyaml-dev libhdf5-dev hdf5-tools
zlib1g-dev gnuplot-nox libcmocka-dev valgrind python3-numpy python3-scipy python3-torch python3-h5py
chromium fonts-dejavu-core dataset-fashion-mnist
slurmctld slurmd slurm-client munge"
# slurmctld slurmd slurm-client munge (what Debian 12's slurm-wlm pulls in): tests/slurm/slurm_sweep.py
# starts a single-node Slurm of its own to test `infoplane sweep --slurm` (docs/cluster.md)
# make fuzz: libFuzzer comes with clang's runtime
[ "${FUZZ:-}" = 1 ] && PACKAGES="$PACKAGES clang libclang-rt-14-dev"
missing=()
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "infoplane: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
else
    echo "infoplane: cannot install packages (not root and no password-less sudo)." >&2
    echo "  run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
