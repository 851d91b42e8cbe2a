#!/bin/sh
# golden.sh CLI CAPTURE GOLDEN [OPTIONS...] - compare `tcpsim replay --format ladder
# --ascii` on a bundled capture with a golden file that a reviewer read and agreed
# with (both endpoints' states on their sides, TLS on the arrows).
# Regenerate after reading the diff: TCPSIM_UPDATE_GOLDEN=1 sh golden.sh ...,
# which rewrites the file and then FAILS (as tests/teach/golden.sh: an exported
# variable must not turn every later run into a pass).
set -eu
cli=$1 cap=$2 golden=$3
shift 3
out=$("$cli" replay --format ladder --ascii --no-color --no-progress "$@" "$cap") ||
    { echo "tcpsim replay $cap failed" >&2; exit 1; }
if [ "${TCPSIM_UPDATE_GOLDEN:-}" = 1 ]; then
    printf '%s\n' "$out" > "$golden"
    echo "golden.sh: golden updated: $golden; read the diff, then re-run without TCPSIM_UPDATE_GOLDEN" >&2
    exit 1
fi
printf '%s\n' "$out" | diff -u "$golden" -
