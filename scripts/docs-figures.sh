#!/bin/sh
# Runs the commands of docs/tutorial.md (every line that starts with four or more spaces and "$ ") in order,
# in a scratch directory where configs/ is this repository's, with this build's infoplane first on
# PATH; then copies the figures the tutorial shows into docs/figures/ (make docs-figures), or with
# --check only verifies that each was produced (tests/test_tutorial.c). Either way it then checks the
# outcomes the tutorial promises (its *Expect* lines and the summaries it quotes) against what
# `infoplane info` says of each run. Exits non-zero on the first failing command, a missing figure
# or an outcome that no longer holds.
#   scripts/docs-figures.sh [--check] [BUILD_DIR] [WORK_DIR]
set -eu
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=${2:-$build/docs-runs}
[ -x "$build/infoplane" ] || { echo "docs-figures: $build/infoplane is missing (make all)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" && ln -s "$root/configs" "$work/configs"
PATH="$build:$PATH"; export PATH
# The tutorial's commands, one per line; a failing one stops the script (set -e in the shell).
sed -n 's/^ \{4,\}\$ //p' "$root/docs/tutorial.md" >"$work/commands.sh"
start=$(date +%s)
(cd "$work" && sh -eux ./commands.sh >"$work/log.txt" 2>&1) || {
    echo "docs-figures: a command of docs/tutorial.md failed; the end of $work/log.txt:" >&2
    tail -20 "$work/log.txt" >&2
    exit 1
}
echo "docs-figures: the tutorial's commands ran in $(($(date +%s) - start)) s ($work)"
# The figures the tutorial shows: run figure -> docs/figures/NAME.
fail=0
while read -r from to; do
    [ -n "$from" ] || continue
    if [ ! -s "$work/$from" ]; then echo "docs-figures: $from was not produced" >&2; fail=1; continue; fi
    [ $check = 1 ] || cp "$work/$from" "$root/docs/figures/$to"
done <<'LIST'
runs/teach/tanh/figures/plane_logdet.png tutorial_tanh_plane.png
runs/teach/tanh/figures/curves.png tutorial_tanh_curves.png
runs/teach/tanh/figures/mi_epochs_logdet.png tutorial_tanh_mi_epochs.png
runs/teach/relu/figures/plane_logdet.png tutorial_relu_plane.png
runs/teach/narrow/figures/plane_logdet.png tutorial_narrow_plane.png
runs/teach/wide/figures/plane_logdet.png tutorial_wide_plane.png
runs/teach/noise/figures/curves.png tutorial_noise_curves.png
runs/teach/noise/figures/mi_epochs_logdet.png tutorial_noise_mi_epochs.png
runs/teach/few/figures/planes_estimators.png tutorial_few_planes.png
runs/teach/bins/figures/plane_binning.png tutorial_bins_plane.png
runs/teach/beta/figures/plane_logdet.png tutorial_beta_plane.png
LIST
# The outcomes the tutorial promises, as words `infoplane info RUN` must say (run, then an extended
# regular expression; "!" before it: must not say it; run LOG: what the commands printed). Words rather than digits, so a last-digit change in
# the BLAS does not fail them, while a change in what the run shows does.
claims=0
while IFS='|' read -r run words; do
    [ -n "$run" ] || continue
    claims=$((claims + 1))
    if [ "$run" = LOG ]; then said=$(cat "$work/log.txt") # what the commands printed
    else said=$(cd "$work" && infoplane info "$run" 2>&1) || { echo "docs-figures: infoplane info $run failed" >&2; fail=1; continue; }
    fi
    case $words in
    '!'*) if printf '%s' "$said" | grep -qE -- "${words#!}"; then echo "docs-figures: $run: info says \"${words#!}\"; the tutorial says it does not" >&2; fail=1; fi ;;
    *) if ! printf '%s' "$said" | grep -qE -- "$words"; then echo "docs-figures: $run: info does not say \"$words\", as the tutorial promises" >&2; fail=1; fi ;;
    esac
done <<'CLAIMS'
runs/teach/tanh|fits the training set well
LOG|analysis beside training: .* of CPU on its own thread
LOG|final: epoch=10000 
LOG|beta = 12, 4096 samples x 12 units, 12 bits\) in nats: 8\.3177661667
LOG|beta = 1200, 4096 samples x 12 units, 49\.4017180605
LOG|beta = 120000, 4096 samples x 12 units, 89\.2363378158
runs/teach/tanh|logdet_cov_beta1200: 6 of 6 layers compressed
runs/teach/tanh|!warning \(logdet_cov_beta1200\)
runs/teach/tanh|warning \(binning_layer_bins30\): saturated: 2 of 6 layers are at log m = 12 
runs/teach/relu|logdet_cov_beta1200: 5 of 6 layers compressed: layer2 layer3 layer4 layer5 layer6\.
runs/teach/narrow|train accuracy 9[01]\.
runs/teach/wide|fits the training set \(almost\) perfectly
runs/teach/wide|it generalises
runs/teach/noise|test set 7[0-9]\..*it overfits
runs/teach/bins|binning_layer_bins4: 6 of 6 layers compressed
runs/teach/bins|binning_layer_bins30: 3 of 6 layers compressed
runs/teach/bins|binning_layer_bins300: 2 of 6 layers compressed
runs/teach/few|binning_layer_bins30\): saturated: .* at log m = 6 at the last epoch
runs/teach/few512|binning_layer_bins30\): saturated: .* at log m = 9 at the last epoch
runs/teach/beta|warning \(logdet_cov_beta12\): [0-9]{3,} estimates break the data-processing inequality
runs/teach/beta|!warning \(logdet_cov_beta1200\)
runs/teach/narrow_noise|fits the training set only partly .* it generalises
runs/teach/few512|warning \(kde_upper_noise0\.001\): saturated: 
runs/teach/few512|warning \(kde_upper_noise10\): [0-9]+ estimates break the data-processing inequality.*layer 5 to 6
CLAIMS
[ $fail = 0 ] || exit 1
echo "docs-figures: the tutorial's $claims promised outcomes hold"
[ $check = 1 ] || echo "docs-figures: figures copied into docs/figures/"
