#!/usr/bin/env bash
# Experiment 2 of SPEC section 6: the Tishby 12-bit network with tanh and with relu, trained,
# recorded on all 4096 inputs at log-spaced epochs, analysed with LogDet, and drawn side by side
# on shared axes. EPOCHS (default 2000; the full experiment is 10000) and SEEDS (default "1")
# can be set; with several seeds each activation's panel shows the mean and spread over seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-2000}
SEEDS=${SEEDS:-1}
OUT=${OUT:-runs/tishby_tanh_vs_relu}
make --no-print-directory all >/dev/null
dirs=()
for act in tanh relu; do
    for seed in $SEEDS; do
        d="$OUT/${act}_seed$seed"
        if [ ! -e "$d/run.h5" ]; then
            build/infoplane run "configs/tishby_$act.yaml" --out "$d" --quiet \
                --set train.epochs="$EPOCHS" --set seed="$seed"
        fi
        dirs+=("$d")
    done
done
build/infoplane plot "${dirs[@]}" --out "$OUT/compare"
echo "Side-by-side information planes: $OUT/compare/"
