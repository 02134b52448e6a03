#!/usr/bin/env bash
# Runs every cmocka test binary three ways: the release build, the ASan+UBSan build, and the
# release build under valgrind (tests shrink their sizes when IP_UNDER_VALGRIND is set); and the
# kill test tests/crash/kill_runs.py and the Slurm test tests/slurm/slurm_sweep.py once, with the
# release build.
# Prints each binary's cmocka report and ends with one line "N passed, N failed, N skipped";
# exits non-zero when anything failed or crashed.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; skipped=0; crashed=()
log=$(mktemp); trap 'rm -f "$log"' EXIT

run_one() { # label, command...
    local label=$1; shift
    local t0=$SECONDS
    "$@" >"$log" 2>&1; local rc=$?
    cat "$log"
    echo "--- $label: $((SECONDS - t0)) s"
    local p f s
    p=$(grep -aoE '\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$NF} END{print s+0}')
    f=$(grep -aoE '\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$NF} END{print s+0}')
    s=$(grep -aoE '\[  SKIPPED \] [0-9]+' "$log" | awk '{s+=$NF} END{print s+0}')
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); crashed+=("$label (exit $rc)"); fi
}

for t in build/tests/test_*; do
    [ -x "$t" ] || continue
    echo "=== $t"; run_one "$t" "$t"
done
# Runs killed at random moments, 150 times (tests/crash/kill_runs.py): once, with the release
# build -- what it tests is where the kills land, which sanitizers or valgrind would only slow.
echo "=== tests/crash/kill_runs.py"; run_one "tests/crash/kill_runs.py" /usr/bin/python3 tests/crash/kill_runs.py build/infoplane
# `sweep --slurm` on a real single-node Slurm it starts and stops itself (tests/slurm/slurm_sweep.py):
# once, with the release build; it reports itself skipped where Slurm is not installed or cannot start.
echo "=== tests/slurm/slurm_sweep.py"; run_one "tests/slurm/slurm_sweep.py" /usr/bin/python3 tests/slurm/slurm_sweep.py build/infoplane
for t in build/san/tests/test_*; do
    [ -x "$t" ] || continue
    echo "=== [asan+ubsan] $t"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        IP_UNDER_SANITIZER=1 run_one "[san] $t" "$t"
done
if command -v valgrind >/dev/null; then
    for t in build/tests/test_*; do
        [ -x "$t" ] || continue
        echo "=== [valgrind] $t"
        OPENBLAS_NUM_THREADS=1 IP_UNDER_VALGRIND=1 run_one "[valgrind] $t" \
            valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t"
    done
else
    echo "valgrind missing: counted as a failure"; failed=$((failed + 1))
fi
for c in "${crashed[@]+"${crashed[@]}"}"; do echo "crashed or exited non-zero: $c"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
