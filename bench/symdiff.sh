#!/bin/sh
# bench/symdiff.sh N FILE FORMAT A_CMD B_CMD - where the replay thread's time
# goes, per function, for two runs of tcpsim side by side (not a test): N
# rounds of `A_CMD replay --no-progress --format FORMAT FILE` and the same
# with B_CMD, A and B alternating, each sampled by `perf record -e cpu-clock`
# at 2 kHz (wall-clock sampling: no hardware counters needed). Prints the
# samples per run of the replay thread (the thread whose samples include
# `look_ahead`) in total, then per function: A, B and B - A, the largest
# rises first and the largest falls after them.
#
# A_CMD and B_CMD are a binary, or `env NAME=VALUE binary` for a switch read
# from the environment by a scratch build. Alternating matters on a shared
# virtual machine whose speed drifts by tens of percent from minute to
# minute: two series run one after the other differ by more than most
# changes (docs/performance.md, round 15). Even alternated, totals over 6-10
# rounds move by about 5% between two series of the same pair.
#
# `perf report --tid` does not restrict the report to one thread with the
# perf of this machine; the thread is picked from the `pid` column of
# `--sort pid,sym` instead (docs/performance.md, round 14).
#
#   sh bench/symdiff.sh 8 /dev/shm/tcpsim-bench/bench-300000.pcap json old/tcpsim build/tcpsim
set -eu
[ $# -eq 5 ] || { echo "usage: symdiff.sh N FILE FORMAT A_CMD B_CMD" >&2; exit 2; }
n=$1 f=$2 fmt=$3 a=$4 b=$5
command -v perf > /dev/null || { echo "symdiff.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
t=$(mktemp -d "${TMPDIR:-/tmp}/symdiff.XXXXXX")
trap 'rm -rf "$t"' EXIT
: > "$t/1"
: > "$t/2"
i=0
while [ "$i" -lt "$n" ]; do
    i=$((i + 1))
    k=0
    for cmd in "$a" "$b"; do
        k=$((k + 1))
        # shellcheck disable=SC2086 # the command is words on purpose (env NAME=VALUE bin)
        perf record -q -e cpu-clock -F 2000 -o "$t/data" $cmd replay --no-progress --format "$fmt" "$f" \
            > /dev/null 2> "$t/err" || { cat "$t/err" >&2; echo "symdiff.sh: failed: $cmd replay ... $f" >&2; exit 1; }
        perf report -i "$t/data" --sort pid,sym -n --stdio 2> /dev/null | grep -v '^#' | grep -v '^$' > "$t/all" || true
        tid=$(awk '$NF == "look_ahead" { print $3; exit }' "$t/all")
        [ -n "$tid" ] || { echo "symdiff.sh: no look_ahead samples (not a replay?): $cmd" >&2; exit 1; }
        awk -v t="$tid" '$3 == t { print $NF, $2 }' "$t/all" >> "$t/$k"
    done
done
awk -v n="$n" 'FNR == 1 { k++ } { s[k, $1] += $2; tot[k] += $2; names[$1] = 1 } END {
    printf "replay thread, samples per run (2 kHz, %d runs each): A %d, B %d, B - A %+d (%+.1f%%)\n",
        n, tot[1] / n, tot[2] / n, (tot[2] - tot[1]) / n, 100 * (tot[2] - tot[1]) / tot[1];
    printf "%9s %9s %9s  %s\n", "A", "B", "B - A", "function";
    for (x in names) printf "%9.1f %9.1f %+9.1f  %s\n", s[1, x] / n, s[2, x] / n, (s[2, x] - s[1, x]) / n, x
}' "$t/1" "$t/2" > "$t/table"
head -2 "$t/table"
tail -n +3 "$t/table" | sort -k3,3 -g -r | head -"${TOP:-15}"
echo "..."
tail -n +3 "$t/table" | sort -k3,3 -g | head -"${TOP:-15}" | sort -k3,3 -g -r
