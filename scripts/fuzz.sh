#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets with clang (ASan + UBSan) and run each
# for N seconds (default 30) on its seed corpus; exits non-zero on a crash.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 60 fuzz_tls
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
dir=build-fuzz
CC=clang cmake -S . -B "$dir" -DTCPSIM_FUZZ=ON -DTCPSIM_ASAN=ON -DTCPSIM_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
cmake --build "$dir" --target "${targets[@]}" -j2
status=0
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/${t#fuzz_}"
  work="$dir/corpus-$t"
  mkdir -p "$work" "$dir/artifacts-$t"
  args=("$work")
  [ -d "$seeds" ] && args+=("$seeds")
  echo "fuzz.sh: running $t for ${secs}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$dir/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$dir/artifacts-$t/" "${args[@]}" 2>"$dir/$t.log"; then
    echo "fuzz.sh: $t FAILED, see $dir/$t.log and $dir/artifacts-$t/" >&2
    tail -40 "$dir/$t.log" >&2
    status=1
  else
    tail -2 "$dir/$t.log" >&2
  fi
done
exit $status
