#!/bin/sh
# threads.sh CLI GEN CAPTURES_DIR - 'tcpsim replay --threads 1' (read, decode and
# replay on one thread) and '--threads 2' (a reader thread ahead) write the same
# bytes, on stdout and stderr, for every bundled capture and for a bench-like
# file from bench/gen-capture.c (interleaved connections that expire, 30% TLS),
# whole, filtered, with --max-conns, and read from stdin.
set -u
cli=$1 gen=$2 caps=$3
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
"$gen" -o "$d/bench.pcap" --conns 3000 --concurrent 300 --tls 30 --seed 7 >/dev/null || { echo "gen-capture failed"; exit 1; }
fail=0 n=0
same() { # LABEL ARGS... : run both ways, compare
  label=$1; shift
  "$cli" replay --no-progress --threads 1 "$@" >"$d/1.out" 2>"$d/1.err"; rc1=$?
  "$cli" replay --no-progress --threads 2 "$@" >"$d/2.out" 2>"$d/2.err"; rc2=$?
  n=$((n + 1))
  if [ $rc1 != $rc2 ] || ! cmp -s "$d/1.out" "$d/2.out" || ! cmp -s "$d/1.err" "$d/2.err"; then
    echo "DIFFER: $label (rc $rc1 vs $rc2)"; fail=1
  fi
  [ -s "$d/1.out" ] || { echo "EMPTY: $label"; fail=1; }
}
for c in "$caps"/*.pcap "$caps"/*.pcapng; do
  [ -f "$c" ] || continue
  same "$(basename "$c") json" --format json "$c"
  same "$(basename "$c") ladder" --format ladder "$c"
done
for fmt in json summary; do
  same "bench $fmt" --format $fmt "$d/bench.pcap"
  same "bench $fmt port 443" --format $fmt "$d/bench.pcap" port 443
  same "bench $fmt --max-conns 50" --format $fmt --max-conns 50 "$d/bench.pcap"
done
"$cli" replay --no-progress --threads 1 --format json - <"$d/bench.pcap" >"$d/s1.out" 2>&1
"$cli" replay --no-progress --threads 2 --format json - <"$d/bench.pcap" >"$d/s2.out" 2>&1
n=$((n + 1))
cmp -s "$d/s1.out" "$d/s2.out" || { echo "DIFFER: bench from stdin"; fail=1; }
[ $fail = 0 ] && echo "ok: $n cases the same with one and two threads"
exit $fail
