#!/bin/sh
# golden.sh CLI SCENARIO FORMAT GOLDEN - compare 'tcpsim sim' output with a golden file.
# Regenerate with scripts/update-golden.sh (and read the diff first).
set -eu
cli=$1 scenario=$2 format=$3 golden=$4
out=$("$cli" sim "$scenario" --format "$format" --ascii --no-color) || { echo "tcpsim sim $scenario failed" >&2; exit 1; }
printf '%s\n' "$out" | diff -u "$golden" -
