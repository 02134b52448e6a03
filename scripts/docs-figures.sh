#!/bin/sh
# Runs the commands of docs/tutorial.md (every line that starts with four spaces and "$ ") in order,
# in a scratch directory where configs/ is this repository's, with this build's infoplane first on
# PATH; then copies the figures the tutorial shows into docs/figures/ (make docs-figures), or with
# --check only verifies that each was produced (tests/test_tutorial.c). Exits non-zero on the first
# failing command or missing figure.
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
sed -n 's/^    \$ //p' "$root/docs/tutorial.md" >"$work/commands.sh"
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
runs/teach/few/figures/planes_estimators.png tutorial_few_planes.png
runs/teach/bins/figures/plane_binning.png tutorial_bins_plane.png
runs/teach/beta/figures/plane_logdet.png tutorial_beta_plane.png
LIST
[ $fail = 0 ] || exit 1
[ $check = 1 ] || echo "docs-figures: figures copied into docs/figures/"
