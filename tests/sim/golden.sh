#!/bin/sh
# golden.sh CLI SCENARIO FORMAT GOLDEN [OPTIONS...] - compare 'tcpsim sim' output
# with a golden file (OPTIONS, e.g. --lang ko, go to tcpsim sim as well).
# Regenerate with scripts/update-golden.sh (and read the diff first).
set -eu
cli=$1 scenario=$2 format=$3 golden=$4; shift 4
out=$("$cli" sim "$scenario" --format "$format" --ascii --no-color "$@") || { echo "tcpsim sim $scenario failed" >&2; exit 1; }
printf '%s\n' "$out" | diff -u "$golden" -
