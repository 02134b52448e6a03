#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target (build/fuzz/fuzz_*) for FUZZ_SECONDS (default 600)
# from its seed corpus tests/fuzz/TARGET/, keeping what it learns in build/fuzz/corpus/TARGET/
# and anything that crashed, hung, leaked or ran out of memory in build/fuzz/crashes/TARGET/.
# FUZZ_TARGETS="config idx" limits the targets. The targets in FUZZ_FORK (default: runfile) run in
# libFuzzer's fork mode, which goes on after a failure: HDF5's own reader crashes and hangs on some
# damaged files, and stopping at the first of those would leave infoplane's code unfuzzed; their
# artifacts are then sorted by scripts/fuzz-triage.sh into infoplane's and libhdf5's. Ends with one
# line per target and a non-zero exit when any target failed in infoplane's code.
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-$(ls build/fuzz/fuzz_* 2>/dev/null | sed 's|.*/fuzz_||' | grep -v '\.d$')}
summary=(); failed=0
for t in $targets; do
    bin=build/fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz: $bin missing (make VARIANT=fuzz fuzzers)"; failed=1; continue; }
    corpus=build/fuzz/corpus/$t; crashes=build/fuzz/crashes/$t; log=build/fuzz/$t.log
    mkdir -p "$corpus" "$crashes"
    echo "=== fuzz_$t for ${seconds}s (log: $log)"
    fork=""
    case " ${FUZZ_FORK-runfile} " in *" $t "*) fork="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1";; esac
    # -rss_limit_mb: a reader that allocates what a header claims, not what the file holds, is a bug.
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=fuzz/lsan.supp \
        "$bin" $fork -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "tests/fuzz/$t" >"$log" 2>&1
    rc=$?
    if [ -n "$fork" ]; then # the parent's progress lines count every job's executions
        runs=$(grep -aoE '^#[0-9]+:' "$log" | tail -1 | tr -d '#:')
        secs=$(( ${runs:-0} / seconds ))
        triage=$(scripts/fuzz-triage.sh "$t"); rc=$?
        printf '%s\n' "$triage" > "build/fuzz/$t.triage"
        echo "$triage"
    else
        runs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
        secs=$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
    fi
    cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    found=$(ls "$crashes" | wc -l)
    line="fuzz_$t: ${seconds}s, ${runs:-?} executions, ${secs:-?}/s, coverage ${cov:-?} edges, exit $rc, $found artifact(s) in $crashes"
    [ -n "$fork" ] && line="$line ($(tail -1 "build/fuzz/$t.triage"))"
    echo "$line"; summary+=("$line")
    [ $rc -ne 0 ] && failed=1
done
echo; printf '%s\n' "${summary[@]}"
exit $failed
