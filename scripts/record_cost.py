#!/usr/bin/python3
"""What recording one epoch costs, from the metrics.csv of a run that recorded every 4th epoch.

Usage: record_cost.py METRICS_CSV BYTES_PER_RECORDED_EPOCH

Epoch k (k = 0 mod 4) is recorded: its seconds include the analysis set's forward pass and the
hand-over to the writer thread, which then writes while epoch k+1 trains. Epochs k+2 and k+3 are
plain. The cost of recording is therefore (t[k] + t[k+1]) - (t[k+2] + t[k+3]), compared with a
plain epoch, (t[k+2] + t[k+3]) / 2. The four epochs take under a second, so the machine's drift
(20-30% over minutes on these VMs) cancels within each comparison; the figure is the median over
all groups of four, with a 95% bootstrap interval. Recording every epoch costs every epoch this
much: the writer finishes an epoch's activations well within the next epoch, so recorded epochs
do not queue behind each other. The first 8 epochs (warm-up) are left out.
Python's standard library only.
"""
import random
import statistics
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    path, bytes_per_epoch = sys.argv[1], float(sys.argv[2])
    seconds = {}
    with open(path) as f:
        header = f.readline().strip().split(",")
        col = header.index("seconds")
        for line in f:
            fields = line.strip().split(",")
            seconds[int(fields[0])] = float(fields[col])
    last = max(seconds)
    costs, plain = [], []
    for k in range(8, last - 2, 4):
        clean = seconds[k + 2] + seconds[k + 3]
        costs.append(seconds[k] + seconds[k + 1] - clean)
        plain.append(clean / 2)
    if len(costs) < 10:
        sys.exit("record_cost: %s has %d groups of four epochs; need at least 10" % (path, len(costs)))
    ratios = [c / p for c, p in zip(costs, plain)]
    rng = random.Random(1)
    boot = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    print("  plain epoch: %.4f s (median of %d)" % (statistics.median(plain), len(plain)))
    print("  recording one epoch: +%.4f s (median)" % statistics.median(costs))
    print("  recording costs %.1f%% of the epoch (median of %d groups of four epochs; 95%% interval %.1f%% to %.1f%%;"
          " target <= 10%%)" % (100 * statistics.median(ratios), len(ratios), 100 * boot[50], 100 * boot[1949]))
    print("  run.h5 grows by %.1f MB per recorded epoch" % (bytes_per_epoch / 1e6))


if __name__ == "__main__":
    main()
