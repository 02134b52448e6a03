#!/usr/bin/env bash
# SPEC 6.1 in one command: build build/verify_estimators, run it (tables and gnuplot scripts into
# OUT, default experiments/estimators/out), render every figure with gnuplot. Arguments go to the
# program: --quick (a smoke test of a few seconds), --only saturation, --estimators logdet,kde,
# --sat-n 3000 ... (see README.md and `build/verify_estimators --help`).
# OUT=DIR sets the output directory (or --out DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-experiments/estimators/out}
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT="$2"; shift 2 ;;
        --out=*) OUT="${1#--out=}"; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
command -v gnuplot >/dev/null || { echo "run.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
make --no-print-directory estimators >/dev/null
mkdir -p "$OUT"
start=$(date +%s)
marker="$OUT/.run_started"
touch "$marker"
build/verify_estimators --out "$OUT" ${args[@]+"${args[@]}"}
# Render the scripts this run wrote (not those of an earlier --only run); each .gp names its
# .dat relative to OUT, so gnuplot runs there.
made=()
while IFS= read -r gp; do
    (cd "$OUT" && gnuplot "$(basename "$gp")")
    made+=("$OUT/$(basename "$gp" .gp).png")
done < <(find "$OUT" -maxdepth 1 -name '*.gp' -newer "$marker" | sort)
rm -f "$marker"
echo "figures:"
printf '  %s\n' "${made[@]}"
echo "run.sh: done in $(( $(date +%s) - start )) s (build excluded)"
