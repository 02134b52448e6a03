#!/usr/bin/env python3
# Usage (from the repository root): python3 experiments/mnist_fnn/ixt_relative.py SWEEP_DIR/aggregate/aggregate.csv ixt_relative.dat
#   then gnuplot experiments/mnist_fnn/ixt_relative.gp (in the directory of ixt_relative.dat) draws fnn_ixt_relative.png.
# I(X;T) relative to its value at epoch 0, median over seeds, per layer and activation: the
# layers' trajectories on one scale (the 1024-unit layer is at ~1900 bits, the others at 10-80).
import csv, sys
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
key = 'point'
series = {}
for r in rows:
    series.setdefault((r[key], int(r['layer'])), []).append((int(r['epoch']), float(r['i_xt_median'])))
with open(out, 'w') as f:
    for (act, layer), pts in series.items():
        pts.sort(); x0 = pts[0][1]
        f.write(f'# {act} layer {layer}\n')
        for e, v in pts: f.write(f'{max(e,0.5)} {v/x0}\n')
        f.write('\n\n')
    print('\n'.join(f'index {i}: {k[0]} layer {k[1]}' for i, k in enumerate(series)))
