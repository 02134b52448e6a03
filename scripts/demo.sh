#!/usr/bin/env bash
# The README's main job: the Tishby 12-bit network (tanh) trained, recorded, analysed with
# the LogDet estimator and drawn as information-plane pictures, in a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DEMO_OUT:-runs/demo_tishby}
if [ -e "$out/run.h5" ]; then
    echo "infoplane: $out already holds a demo run; moving it to $out.old"
    rm -rf "$out.old"; mv "$out" "$out.old"
fi
build/infoplane run configs/demo_tishby.yaml --out "$out" "$@"
echo
echo "Pictures: $out/figures/   (start with plane_logdet.png)"
echo "Report:   $out/index.html (open it in a browser)"
