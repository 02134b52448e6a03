#!/usr/bin/env bash
# Replays every artifact a fuzz target left (build/fuzz/crashes/TARGET/*) and says where each one
# fails: "hdf5" when the first frame below the sanitizer and libFuzzer is inside libhdf5 (a bug of
# HDF5's own reader on a damaged file, which infoplane cannot fix), "infoplane" otherwise, "gone"
# when it no longer fails. Prints one line per artifact and a count; exits 1 when any failure is
# infoplane's. Usage: scripts/fuzz-triage.sh TARGET
set -u
cd "$(dirname "$0")/.."
t=$1; bin=build/fuzz/fuzz_$t; dir=build/fuzz/crashes/$t
ours=0; hdf5=0; gone=0
for a in "$dir"/*; do
    [ -f "$a" ] || continue
    log=$(ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=fuzz/lsan.supp \
          timeout 120 "$bin" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 "$a" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then where=gone; gone=$((gone + 1))
    else
        # the first stack frame that is neither the sanitizer's nor libFuzzer's
        frame=$(printf '%s\n' "$log" | grep -aE '^ +#[0-9]+ ' | grep -avE '__sanitizer|__interceptor|fuzzer::|__asan|__lsan|__ubsan|in malloc|in calloc|in realloc|in free|libc\.so|libc_start|_start ' | head -1)
        if printf '%s' "$frame" | grep -q 'libhdf5'; then where=hdf5; hdf5=$((hdf5 + 1)); else where=infoplane; ours=$((ours + 1)); fi
    fi
    kind=$(printf '%s\n' "$log" | grep -aoE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-z -]+' | head -1)
    echo "$where: $(basename "$a"): ${kind:-exit $rc} ${frame:+at$(printf '%s' "$frame" | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+//; s/\(BuildId.*//')}"
done
echo "fuzz_$t artifacts: $ours in infoplane, $hdf5 inside libhdf5, $gone no longer failing"
[ $ours -eq 0 ]
