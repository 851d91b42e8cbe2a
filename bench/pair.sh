#!/bin/sh
# bench/pair.sh N FILE FORMAT OLD_BIN NEW_BIN - a paired A/B of two tcpsim
# binaries (not a test): N back-to-back pairs of `replay --format FORMAT
# FILE`, the order alternating, and the median and quartiles of the ratio
# new/old over the pairs, with each binary's best time. On a shared virtual
# machine whose speed drifts by tens of percent from minute to minute, two
# runs a second apart see the same machine: the median ratio of 25-40 pairs
# separates a 5% change where best-of-N and medians of separate series do
# not (docs/performance.md, round 7).
#
#   sh bench/pair.sh 31 /dev/shm/tcpsim-bench/bench-100000.pcap summary old/tcpsim build/tcpsim
set -eu
[ $# -eq 5 ] || { echo "usage: pair.sh N FILE FORMAT OLD_BIN NEW_BIN" >&2; exit 2; }
n=$1 f=$2 fmt=$3 a=$4 b=$5
now() { date +%s%N; }
run() {
    s=$(now)
    "$1" replay --no-progress --format "$fmt" "$f" > /dev/null 2>&1 || { echo "pair.sh: $1 failed on $f" >&2; exit 1; }
    echo $(($(now) - s))
}
i=0
while [ $i -lt "$n" ]; do
    if [ $((i % 2)) -eq 0 ]; then tb=$(run "$b"); ta=$(run "$a"); else ta=$(run "$a"); tb=$(run "$b"); fi
    echo "$ta $tb"
    i=$((i + 1))
done > "${TMPDIR:-/tmp}/pair.$$"
sort -n -k1,1 "${TMPDIR:-/tmp}/pair.$$" | head -1 | awk '{ printf "best old %.3f s, ", $1 / 1e9 }'
sort -n -k2,2 "${TMPDIR:-/tmp}/pair.$$" | head -1 | awk '{ printf "best new %.3f s; ", $2 / 1e9 }'
awk '{ print $2 / $1 }' "${TMPDIR:-/tmp}/pair.$$" | sort -g | awk '{ r[NR] = $1 } END {
    printf "new/old: median %.3f (quartiles %.3f %.3f) over %d pairs\n", r[int((NR + 1) / 2)], r[int((NR + 3) / 4)],
        r[int((3 * NR + 1) / 4)], NR }'
rm -f "${TMPDIR:-/tmp}/pair.$$"
