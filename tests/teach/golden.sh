#!/usr/bin/env bash
# golden.sh CLI DIR LESSON LANG - run a lesson straight through and compare its
# text with DIR/LESSON.LANG.txt. TCPSIM_UPDATE_GOLDEN=1 rewrites the file and
# then FAILS (an exported variable must not turn every later run into a pass);
# scripts/update-golden.sh regenerates all golden files at once.
set -euo pipefail
cli=$1 dir=$2 lesson=$3 lang=$4
want=$dir/$lesson.$lang.txt
got=$(mktemp)
trap 'rm -f "$got"' EXIT
"$cli" teach "$lesson" --lang "$lang" --no-pause </dev/null >"$got"
if [ "${TCPSIM_UPDATE_GOLDEN:-}" = 1 ]; then
  cp "$got" "$want"
  echo "golden.sh: golden updated: $want; read the diff, then re-run without TCPSIM_UPDATE_GOLDEN" >&2
  exit 1
fi
if [ ! -f "$want" ]; then
  echo "golden.sh: $want missing (scripts/update-golden.sh creates it)" >&2
  exit 1
fi
# The ladder must be plain ASCII in every language; only narration may be UTF-8.
bad=$(LC_ALL=C awk 'substr($0,15,1)=="|" && /[\200-\377]/ {print NR": "$0}' "$got" | head -3)
if [ -n "$bad" ]; then
  echo "golden.sh: non-ASCII characters in ladder lines:" >&2
  echo "$bad" >&2
  exit 1
fi
diff -u "$want" "$got"
