#!/usr/bin/env bash
# What recording costs: the paper's MNIST MLP (configs/mnist_fnn_tanh.yaml) trained by
# `infoplane train` with every epoch recorded (record.epochs: all, 3000 analysis samples) against
# the same run recording only epoch 0 (record.epochs: [0]). Both write metrics and the resume
# state every epoch; the difference is the analysis set's forward pass, gathering its activations
# and writing them. The runs alternate (recorded, plain, recorded, plain, ...) so that drift in
# the machine's speed hits both alike; the figure per setting is the median of the second half
# of every run's epochs: the steady state of a long run, where the kernel's writeback of earlier
# epochs (dirty pages are written after 30 s) is part of the cost. A short run would hide it: its
# plain run never reaches the disk before the run is deleted. An epoch's seconds (metrics.csv)
# cover training, the test-set evaluation and the recording. Also prints the file's growth per
# recorded epoch (13 MB here: 2.6 GB per 200-epoch run, deleted after each run).
# Environment: BENCH_RECORD_EPOCHS (default 200: ~40 s a run), BENCH_RECORD_RUNS (default 2 of each).
# Usage: scripts/bench_record.sh [INFOPLANE]   (default build/infoplane)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build/infoplane}
epochs=${BENCH_RECORD_EPOCHS:-200}
runs=${BENCH_RECORD_RUNS:-2}
[ -x "$bin" ] || make --no-print-directory "$bin" >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

: >"$tmp/all.txt"; : >"$tmp/none.txt"
for i in $(seq 1 "$runs"); do
    for mode in all none; do
        sched=all; [ $mode = none ] && sched='[0]'
        out="$tmp/${mode}_$i"
        if ! "$bin" train configs/mnist_fnn_tanh.yaml --out "$out" --set train.epochs="$epochs" \
                --set "record.epochs=$sched" --quiet >"$tmp/log" 2>&1; then
            cat "$tmp/log"; echo "bench_record: $bin train failed"; exit 1
        fi
        # the second half of the run's epochs (epoch 0 is the initial network)
        tail -n +2 "$out/metrics.csv" | awk -F, -v h=$((epochs / 2)) '$1 > h {print $6}' >>"$tmp/$mode.txt"
        [ $mode = all ] && stat -c %s "$out/run.h5" >"$tmp/size_all"
        [ $mode = none ] && stat -c %s "$out/run.h5" >"$tmp/size_none"
        rm -rf "$out"
    done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_all=$(median "$tmp/all.txt"); m_none=$(median "$tmp/none.txt")
size_all=$(cat "$tmp/size_all"); size_none=$(cat "$tmp/size_none")
awk -v a="$m_all" -v n="$m_none" -v sa="$size_all" -v sn="$size_none" -v e="$epochs" -v r="$runs" 'BEGIN {
    printf "recording, MNIST MLP 784-1024-20-20-20-10, 3000 analysis samples, %d runs x %d epochs each way, second halves\n", r, e
    printf "  epoch, every epoch recorded: %.4f s (median)\n", a
    printf "  epoch, only epoch 0 recorded: %.4f s (median)\n", n
    printf "  recording costs %.1f%% of the epoch (target <= 10%%)\n", 100 * (a - n) / n
    printf "  run.h5 grows by %.1f MB per recorded epoch (%.0f bytes with %d recorded epochs, %.0f with 1)\n",
        (sa - sn) / e / 1e6, sa, e + 1, sn
}'
