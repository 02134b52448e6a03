#!/usr/bin/env bash
# What recording costs: the paper's MNIST MLP (configs/mnist_fnn_tanh.yaml, SGD batch 512, 3000
# analysis samples) trained by `infoplane train` with every 4th epoch recorded; each recorded
# epoch (and the next, during which the writer thread writes it) is compared with the two plain
# epochs that follow, within the same second of the same run (scripts/record_cost.py explains).
# Comparing separate runs (every epoch recorded against only epoch 0) was tried first: on these
# VMs their medians moved by 20-30% from one run to the next, more than the effect measured.
# An epoch's seconds (metrics.csv) cover training, the test-set evaluation, the recording and the
# per-epoch resume checkpoint. Also prints the file's growth per recorded epoch, from two short
# runs (4 epochs, all recorded, against only epoch 0).
# Environment: BENCH_RECORD_EPOCHS (default 400: ~70 s, 98 groups of four epochs).
# Usage: scripts/bench_record.sh [INFOPLANE]   (default build/infoplane)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build/infoplane}
epochs=${BENCH_RECORD_EPOCHS:-400}
[ -x "$bin" ] || make --no-print-directory "$bin" >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

train() { # OUT EPOCHS SCHEDULE
    if ! "$bin" train configs/mnist_fnn_tanh.yaml --out "$1" --set train.epochs="$2" --set "record.epochs=$3" \
            --quiet >"$tmp/log" 2>&1; then
        cat "$tmp/log"; echo "bench_record: $bin train failed"; exit 1
    fi
}
train "$tmp/all4" 4 all
train "$tmp/none4" 4 '[0]'
grown=$(( $(stat -c %s "$tmp/all4/run.h5") - $(stat -c %s "$tmp/none4/run.h5") ))
train "$tmp/every4" "$epochs" '{every: 4}'
echo "recording, MNIST MLP 784-1024-20-20-20-10, 3000 analysis samples, $epochs epochs, every 4th recorded"
/usr/bin/python3 scripts/record_cost.py "$tmp/every4/metrics.csv" $((grown / 4))
