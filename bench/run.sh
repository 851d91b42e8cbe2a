#!/bin/sh
# bench/run.sh [BUILD_DIR [WORK_DIR]] - the replay benchmark (not a test).
# Generates a large synthetic capture (bench/gen-capture.c: interleaved
# connections, a fixed number open at once, 30% TLS with real ClientHello /
# ServerHello records and a real certificate) and measures, on that same file
# in one run:
#   (a) a bare libpcap read loop (bench/pcap-loop.c), and (a') the same
#       reading through a 128 KiB stdio buffer as tcpsim does
#   (b) tcpsim replay --format summary (and (b1) on one thread)
#   (c) tcpsim replay --format json > /dev/null
#   (d) tshark -q -z conv,tcp and tshark -T fields with TLS fields, on the
#       whole file (the same file as every other line; tshark takes minutes
#       and GBs there, so these two lines run once, in the first round:
#       TSHARK_WHOLE=0 leaves them out) and on a slice of the file, the first
#       SLICE packets, every round, beside (c') tcpsim on the same slice
# and the peak memory of each (/usr/bin/time -v, "Maximum resident set size"),
# plus tcpsim's peak memory on a file three times shorter with the same number
# of connections open at once (memory must not grow with the file length).
# Record the table with the machine in docs/performance.md.
#
# and (e) the cost per packet as the number of connections open at once grows:
# the 1/3-length file again with SWEEP connections open at once (a flow table
# with linear lookups, as in tcpdump's or ssldump's, slows down with it; ours
# must stay flat, and what remains is the cache: 3000 open connection records
# no longer fit in a core's L2).
#
# Environment: CONNS (300000), CONC (3000), TLS (30 percent), SLICE (100000
# packets for tshark), RUNS (3: best of, for the rates), SWEEP ("30 10000":
# the other numbers open at once for (e); empty: none), TSHARK_WHOLE (1: run
# tshark on the whole file too, once).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
# The files live on tmpfs when there is one: on this VM the kernel reclaims
# page cache it thinks cold (kdamond), and a run that reads part of the file
# from disk again is no measure of the replay.
if [ -z "${2:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    work=/dev/shm/tcpsim-bench
else
    work=${2:-${TMPDIR:-/tmp}/tcpsim-bench}
fi
CONNS=${CONNS:-300000}
CONC=${CONC:-3000}
TLS=${TLS:-30}
SLICE=${SLICE:-100000}
RUNS=${RUNS:-3}
SWEEP=${SWEEP-30 10000}
TSHARK_WHOLE=${TSHARK_WHOLE:-1}
tcpsim=$build/tcpsim
[ -x "$tcpsim" ] || { echo "run.sh: $tcpsim not built (cmake --build $build --target tcpsim_cli)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time missing (scripts/deps.sh installs it)" >&2; exit 2; }
mkdir -p "$work"
cc=${CC:-cc}
$cc -std=c11 -D_DEFAULT_SOURCE -O2 -o "$work/gen-capture" "$here/gen-capture.c" -lpcap
$cc -std=c11 -D_DEFAULT_SOURCE -O2 -o "$work/pcap-loop" "$here/pcap-loop.c" -lpcap
openssl x509 -in "$here/../captures/tls-certs/server.crt" -outform DER -out "$work/server.der"

big=$work/bench-$CONNS.pcap
short=$work/bench-$((CONNS / 3)).pcap
[ -f "$big" ] || "$work/gen-capture" -o "$big" --conns "$CONNS" --concurrent "$CONC" --tls "$TLS" --cert "$work/server.der"
[ -f "$short" ] || "$work/gen-capture" -o "$short" --conns $((CONNS / 3)) --concurrent "$CONC" --tls "$TLS" \
    --cert "$work/server.der"
slice=$work/slice-$SLICE.pcap
[ -f "$slice" ] || editcap -r "$big" "$slice" "1-$SLICE"
cat "$big" "$short" > /dev/null # page cache: every run reads from memory

packets=$("$work/pcap-loop" "$big" | cut -d' ' -f1)
spackets=$("$work/pcap-loop" "$slice" | cut -d' ' -f1)

# job NAME PACKETS CMD...: one line of the table (once NAME PACKETS CMD...: the
# same, run in the first round only). All jobs run in RUNS rounds,
# interleaved (round 1 runs every job, then round 2, ...), and each line keeps
# its fastest run: on a shared machine whose speed drifts over minutes, the
# ratios between lines (the targets are ratios) are then measured under the
# same conditions, not minutes apart.
njobs=0
job() {
    njobs=$((njobs + 1))
    printf '%s\n' "$1" > "$work/job.$njobs.name"
    printf '%s\n' "$2" > "$work/job.$njobs.n"
    shift 2
    printf '%s\n' "$*" > "$work/job.$njobs.cmd"
}
once() {
    job "$@"
    : > "$work/job.$njobs.once"
}

run_jobs() {
    : > "$work/table.txt"
    r=1
    while [ $r -le "$RUNS" ]; do
        j=1
        while [ $j -le $njobs ]; do
            [ $r -gt 1 ] && [ -f "$work/job.$j.once" ] && { j=$((j + 1)); continue; }
            /usr/bin/time -f "%e %U %S %M" -o "$work/job.$j.t.$r" sh -c "$(cat "$work/job.$j.cmd") > /dev/null 2>&1"
            j=$((j + 1))
        done
        r=$((r + 1))
    done
    j=1
    while [ $j -le $njobs ]; do
        cat "$work"/job.$j.t.* | grep -E '^[0-9.]+ ' | sort -n -k1,1 | head -1 |
            awk -v name="$(cat "$work/job.$j.name")" -v n="$(cat "$work/job.$j.n")" '{
            cpu = $2 + $3
            printf "%-34s %10d %8.2f %10.0f %8.2f %10.0f %9.1f\n", name, n, $1, n / ($1 > 0 ? $1 : 0.01), cpu, n / (cpu > 0 ? cpu : 0.01), $4 / 1024
        }' | tee -a "$work/table.txt"
        rm -f "$work"/job.$j.*
        j=$((j + 1))
    done
}

echo "machine: $(nproc) cpu, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $big ($packets packets, $(du -h "$big" | cut -f1)), $CONNS connections, $CONC open at once, $TLS% TLS"
printf "%-34s %10s %8s %10s %8s %10s %9s\n" "what" "packets" "wall s" "pkt/s" "cpu s" "pkt/cpu-s" "peak MB"
job "(a) libpcap read loop" "$packets" "$work/pcap-loop" "$big"
job "(a') the same, 128 KiB stdio buf" "$packets" "$work/pcap-loop" "$big" 131072
job "(b) replay --format summary" "$packets" "$tcpsim" replay --no-progress --format summary "$big"
if "$tcpsim" replay --help 2>&1 | grep -q -- --threads; then
    job "(b1) summary --threads 1" "$packets" "$tcpsim" replay --threads 1 --no-progress --format summary "$big"
fi
job "(c) replay --format json" "$packets" "$tcpsim" replay --no-progress --format json "$big"
job "(c') replay json, slice" "$spackets" "$tcpsim" replay --no-progress --format json "$slice"
fields="-T fields -e frame.number -e tcp.stream -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len
    -e tcp.analysis.flags -e tls.record.content_type -e tls.handshake.type -e tls.handshake.extensions_server_name
    -e tls.handshake.extensions_alpn_str -e tls.handshake.ciphersuite"
if [ "$TSHARK_WHOLE" = 1 ]; then
    once "(d) tshark -z conv,tcp" "$packets" tshark -n -r "$big" -q -z conv,tcp
    once "(d) tshark -T fields +TLS" "$packets" tshark -n -r "$big" $fields
fi
job "(d) tshark -z conv,tcp, slice" "$spackets" tshark -n -r "$slice" -q -z conv,tcp
job "(d) tshark -T fields +TLS, slice" "$spackets" tshark -n -r "$slice" $fields
spk=$("$work/pcap-loop" "$short" | cut -d' ' -f1)
job "(b) summary, 1/3 of the file" "$spk" "$tcpsim" replay --no-progress --format summary "$short"
for k in $SWEEP; do
    sw=$work/bench-$((CONNS / 3))-open$k.pcap
    [ -f "$sw" ] || "$work/gen-capture" -o "$sw" --conns $((CONNS / 3)) --concurrent "$k" --tls "$TLS" \
        --cert "$work/server.der"
    cat "$sw" > /dev/null
    job "(e) summary, 1/3, $k open" "$("$work/pcap-loop" "$sw" | cut -d' ' -f1)" "$tcpsim" replay --no-progress \
        --format summary "$sw"
done
run_jobs
# the targets, as ratios of the lines above (pkt/s is the 4th column from the right)
awk '{ rate[substr($0, 1, 34)] = $(NF - 3) }
END {
    a = rate[sprintf("%-34s", "(a) libpcap read loop")]; b = rate[sprintf("%-34s", "(b) replay --format summary")]
    c = rate[sprintf("%-34s", "(c'"'"') replay json, slice")]; d = rate[sprintf("%-34s", "(d) tshark -T fields +TLS, slice")]
    cw = rate[sprintf("%-34s", "(c) replay --format json")]; dw = rate[sprintf("%-34s", "(d) tshark -T fields +TLS")]
    if (a > 0 && d > 0)
        printf "targets: (b) = %.0f%% of (a) (target 50%%); (c) on the slice = %.1fx tshark fields (target 100x)", 100 * b / a, c / d
    if (a > 0 && dw > 0)
        printf "; (c) on the whole file = %.1fx", cw / dw
    if (a > 0 && d > 0)
        printf "\n"
}' "$work/table.txt"
# (e): wall nanoseconds per packet at each number open at once
awk -v conc="$CONC" '/^\(b\) summary, 1\/3 of the file/ || /^\(e\) summary, 1\/3, [0-9]+ open/ {
    k = conc
    if ($0 ~ /^\(e\)/) { k = $0; sub(/^\(e\) summary, 1\/3, /, "", k); sub(/ open.*/, "", k) }
    line = line sprintf("%s%s open: %.0f ns", line == "" ? "" : "; ", k, 1e9 / $(NF - 3))
}
END { if (line != "") print "(e) wall time per packet, summary, by connections open at once: " line }' "$work/table.txt"
