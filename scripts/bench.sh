#!/usr/bin/env bash
# make bench: infoplane against PyTorch on this machine, in one run, on the same cores.
#  1. Training: build/bench_train trains the paper's MNIST MLP and conv net (models mnist_fnn,
#     mnist_cnn) on the 10,000 MNIST training digits; scripts/bench_train.py trains the very same
#     architectures (bench_train writes them out as manifests) in PyTorch under several thread
#     settings (ATen/OpenMP threads x OpenBLAS threads, OMP_WAIT_POLICY=passive: PyTorch's
#     OpenMP pool and OpenBLAS's pthread pool otherwise spin against each other). infoplane at
#     N threads is compared with PyTorch's best setting. Target (SPEC section 8): ratio <= 0.5.
#     The load average is printed first: other work on the same cores makes every figure
#     meaningless (on 2 cores, anything near 0.5 or above).
#  2. LogDet: scripts/bench_logdet.py (which runs build/bench_logdet itself); a missing binary
#     or PyTorch is reported and makes the exit status non-zero.
#  3. Recording: scripts/bench_record.sh (the MNIST MLP recording every 4th epoch; each recorded
#     epoch against the plain ones beside it; target: recording costs at most 10% of the epoch).
#  4. Estimators: scripts/bench_estimators.py (runs build/bench_estimators once per estimator, a
#     fresh process each): binning, KDE, Renyi, KSG, the information plane of one recorded epoch of
#     the MNIST MLP, against a NumPy/SciPy float64 implementation of the same formulas, and each
#     against its floor (the BLAS/LAPACK and kernel work it must do, measured in the same run).
#     Targets (SPEC section 8): binning, KSG >= 10x; KDE, Renyi >= 3x; each <= 2x its floor.
#     BENCH_EST_REPS (default 3) C epochs per estimator; the SciPy KSG runs once (minutes).
# Environment: BENCH_EPOCHS (default 5; the first epoch is a warm-up, the figure is the median
# of the others), BENCH_THREADS (default: nproc). OPENBLAS_CORETYPE is passed through to both.
# Exit status: non-zero when something could not be run (PyTorch missing included).
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
EPOCHS=${BENCH_EPOCHS:-5}
N=${BENCH_THREADS:-$(nproc)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
echo "machine: ${cpu:-unknown}, $(nproc) CPUs; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(not set)}"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average at start: $(load) (anything near or above 0.5 means other work shares the cores)"

if [ ! -x build/bench_train ]; then
    make --no-print-directory build/bench_train >&2 || { echo "cannot build build/bench_train"; exit 1; }
fi

threads_list=1
[ "$N" -gt 1 ] && threads_list="1 $N"

# --- infoplane
for t in $threads_list; do
    echo "== infoplane, $t thread(s)"
    if ! OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t build/bench_train --threads "$t" --epochs "$EPOCHS" \
            --arch-dir "$tmp" >"$tmp/c_$t.out" 2>&1; then
        cat "$tmp/c_$t.out"; echo "build/bench_train failed"; exit 1
    fi
    grep -E '^(openblas_core|threads|model|epoch|result)' "$tmp/c_$t.out"
done
core=$(sed -n 's/^openblas_core //p' "$tmp/c_$N.out" | head -n1)
echo "OpenBLAS core type (openblas_get_corename): ${core:-?}"

# --- PyTorch, every thread setting
have_torch=1
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "PyTorch: $PY cannot import torch (install python3-torch): no comparison"
    have_torch=0; status=1
fi
# PyTorch thread settings: ATen's OpenMP threads, OpenBLAS's threads, OMP_WAIT_POLICY.
# 1/1; 1/N (no OpenMP pool to spin, BLAS on every core); N/N as is; N/N passive.
candidates=("1 1 default")
[ "$N" -gt 1 ] && candidates+=("1 $N default" "$N $N default" "$N $N passive")
settings=()
if [ $have_torch = 1 ]; then
    for cand in "${candidates[@]}"; do
        read -r ta tb wait <<<"$cand"
        tag="aten${ta}_blas${tb}_$wait"; settings+=("$tag")
        echo "== PyTorch, ATen threads $ta, OpenBLAS threads $tb, OMP_WAIT_POLICY=$wait"
        envs=(OPENBLAS_NUM_THREADS=$tb OMP_NUM_THREADS=$ta)
        [ $wait = passive ] && envs+=(OMP_WAIT_POLICY=passive)
        if ! env "${envs[@]}" "$PY" scripts/bench_train.py "$tmp/mlp.txt" "$tmp/cnn.txt" --threads "$ta" \
                --epochs "$EPOCHS" >"$tmp/py_$tag.out" 2>&1; then
            cat "$tmp/py_$tag.out"; echo "scripts/bench_train.py failed ($tag)"; status=1; continue
        fi
        grep -E '^(torch|model|epoch|result)' "$tmp/py_$tag.out"
    done
fi

result() { sed -n "s/^result $2 //p" "$1" 2>/dev/null | head -n1; }

echo
echo "== training, seconds per epoch (10,000 MNIST digits, batch 512, median of $((EPOCHS > 1 ? EPOCHS - 1 : 1)) epochs)"
printf '%-5s %-22s %-12s %-34s %-10s %s\n' model "infoplane ($N thr)" "(1 thr)" "PyTorch best (setting)" "ratio" "target <= 0.5"
for m in mlp cnn; do
    c=$(result "$tmp/c_$N.out" $m); c1=$(result "$tmp/c_1.out" $m)
    best=""; best_tag=""
    for tag in "${settings[@]+"${settings[@]}"}"; do
        v=$(result "$tmp/py_$tag.out" $m)
        [ -n "$v" ] || continue
        if [ -z "$best" ] || awk -v a="$v" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$v; best_tag=$tag; fi
    done
    if [ -n "$best" ] && [ -n "$c" ]; then
        ratio=$(awk -v a="$c" -v b="$best" 'BEGIN{printf "%.3f", a / b}')
        met=$(awk -v r="$ratio" 'BEGIN{print (r <= 0.5) ? "met" : "NOT met"}')
    else
        ratio="-"; met="-"
    fi
    printf '%-5s %-22s %-12s %-34s %-10s %s\n' $m "${c:--}" "${c1:--}" "${best:--} (${best_tag:--})" "$ratio" "$met"
done
if [ ${#settings[@]} -gt 0 ]; then
    echo "PyTorch, every setting (mlp cnn, s/epoch):"
    for tag in "${settings[@]}"; do
        echo "  $tag: $(result "$tmp/py_$tag.out" mlp) $(result "$tmp/py_$tag.out" cnn)"
    done
fi

# --- LogDet: scripts/bench_logdet.py runs build/bench_logdet itself (its output is printed in
# full) and times PyTorch on the very same matrices, so the binary is not run a second time here.
echo
if [ ! -x build/bench_logdet ]; then
    echo "LogDet benchmark: build/bench_logdet is missing (make benches): not run"; status=1
elif [ ! -f scripts/bench_logdet.py ]; then
    echo "LogDet benchmark: scripts/bench_logdet.py is missing: not run"; status=1
elif [ $have_torch = 0 ]; then
    echo "LogDet benchmark: $PY cannot import torch (install python3-torch): no comparison, not run"; status=1
else
    echo "== LogDet: scripts/bench_logdet.py (runs build/bench_logdet, then the PyTorch reference)"
    OPENBLAS_NUM_THREADS=$N OMP_NUM_THREADS=$N "$PY" scripts/bench_logdet.py --threads "$N" \
        || { echo "scripts/bench_logdet.py failed"; status=1; }
fi

# --- Recording: the MNIST MLP trained with every epoch recorded against only epoch 0
echo
echo "== recording cost: scripts/bench_record.sh"
OPENBLAS_NUM_THREADS=$N scripts/bench_record.sh || { echo "scripts/bench_record.sh failed"; status=1; }
# --- Estimators against NumPy/SciPy
echo
if [ ! -x build/bench_estimators ]; then
    echo "estimator benchmark: build/bench_estimators is missing (make benches): not run"; status=1
else
    echo "== estimators: scripts/bench_estimators.py (runs build/bench_estimators, then NumPy/SciPy); load $(load)"
    OPENBLAS_NUM_THREADS=$N OMP_NUM_THREADS=$N "$PY" scripts/bench_estimators.py --threads "$N" \
        --reps "${BENCH_EST_REPS:-3}" || { echo "scripts/bench_estimators.py failed"; status=1; }
fi
echo "load average at the end: $(load)"
exit $status
