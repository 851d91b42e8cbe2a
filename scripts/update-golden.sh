#!/usr/bin/env bash
# update-golden.sh [BUILD_DIR] - regenerate tests/sim/golden/ from the current
# 'tcpsim sim' output (ladder --ascii and JSON for every built-in scenario).
# Only run this after reading the diff of the failing golden tests by eye:
# the golden files are what a reviewer agreed the simulator should say.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli="$build/tcpsim"
[ -x "$cli" ] || { echo "update-golden.sh: $cli not built (cmake --build $build)" >&2; exit 2; }
mkdir -p tests/sim/golden
for s in $("$cli" sim --list | awk '{print $1}'); do
  "$cli" sim "$s" --format ladder --ascii --no-color > "tests/sim/golden/$s.ladder.txt"
  "$cli" sim "$s" --format json > "tests/sim/golden/$s.jsonl"
done
git --no-pager diff --stat -- tests/sim/golden || true
