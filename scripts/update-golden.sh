#!/usr/bin/env bash
# update-golden.sh [BUILD_DIR] - regenerate the golden files of tests/sim and
# tests/teach from the current build:
#   tests/sim/golden/SCENARIO.ladder.txt, .jsonl   every built-in scenario
#   tests/sim/golden/SCENARIO.ladder.ko.txt        the TCPSIM_SCENARIOS_KO list of tests/sim/CMakeLists.txt
#   tests/teach/golden/LESSON.{en,ko}.txt          the TEACH_LESSONS list of tests/teach/CMakeLists.txt
# with the same options the golden tests use (tests/sim/golden.sh, tests/teach/golden.sh).
# Only run this after reading the diff of the failing golden tests by eye:
# the golden files are what a reviewer agreed the simulator should say.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli="$build/tcpsim"
[ -x "$cli" ] || { echo "update-golden.sh: $cli not built (cmake --build $build)" >&2; exit 2; }
# cmake_list FILE NAME - the words of 'set(NAME ...)' in a CMakeLists.txt (may span lines)
cmake_list() {
  awk -v n="set($2" 'index($0, n) == 1 { on = 1; sub(/^set\([A-Z_]+/, "") }
                     on { line = $0; done = sub(/\).*/, "", line); printf "%s ", line; if (done) exit }' "$1"
}
mkdir -p tests/sim/golden tests/teach/golden
for s in $("$cli" sim --list | awk '{print $1}'); do
  "$cli" sim "$s" --format ladder --ascii --no-color > "tests/sim/golden/$s.ladder.txt"
  "$cli" sim "$s" --format json --ascii --no-color > "tests/sim/golden/$s.jsonl"
done
ko=$(cmake_list tests/sim/CMakeLists.txt TCPSIM_SCENARIOS_KO)
[ -n "$ko" ] || { echo "update-golden.sh: no TCPSIM_SCENARIOS_KO in tests/sim/CMakeLists.txt" >&2; exit 2; }
for s in $ko; do
  "$cli" sim "$s" --format ladder --ascii --no-color --lang ko > "tests/sim/golden/$s.ladder.ko.txt"
done
lessons=$(cmake_list tests/teach/CMakeLists.txt TEACH_LESSONS)
[ -n "$lessons" ] || { echo "update-golden.sh: no TEACH_LESSONS in tests/teach/CMakeLists.txt" >&2; exit 2; }
for l in $lessons; do
  for lang in en ko; do
    "$cli" teach "$l" --lang "$lang" --no-pause </dev/null > "tests/teach/golden/$l.$lang.txt"
  done
done
git --no-pager diff --stat -- tests/sim/golden tests/teach/golden || true
