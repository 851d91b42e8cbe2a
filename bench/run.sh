#!/bin/sh
# bench/run.sh [BUILD_DIR [WORK_DIR]] - the replay benchmark (not a test).
# Generates a large synthetic capture (bench/gen-capture.c: interleaved
# connections, a fixed number open at once, 30% TLS with real ClientHello /
# ServerHello records and a real certificate) and measures, on that same file
# in one run:
#   (a) a bare libpcap read loop (bench/pcap-loop.c), and (a') the same
#       reading through a 1 MiB stdio buffer as tcpsim does
#   (b) tcpsim replay --format summary (and (b1) on one thread)
#   (c) tcpsim replay --format json > /dev/null
#   (d) tshark -q -z conv,tcp and tshark -T fields with TLS fields, on a slice
#       of the file (tshark is ~100x slower; the slice is scaled, see SLICE)
# and the peak memory of each (/usr/bin/time -v, "Maximum resident set size"),
# plus tcpsim's peak memory on a file three times shorter with the same number
# of connections open at once (memory must not grow with the file length).
# Record the table with the machine in docs/performance.md.
#
# Environment: CONNS (300000), CONC (3000), TLS (30 percent), SLICE (100000
# packets for tshark), RUNS (3: best of, for the rates).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
work=${2:-${TMPDIR:-/tmp}/tcpsim-bench}
CONNS=${CONNS:-300000}
CONC=${CONC:-3000}
TLS=${TLS:-30}
SLICE=${SLICE:-100000}
RUNS=${RUNS:-3}
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

# measure NAME PACKETS CMD...: best of RUNS; prints wall s, cpu s, peak RSS KB
measure() {
    name=$1 n=$2
    shift 2
    best=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" sh -c "$* > /dev/null 2>&1"
        set -- "$@"
        line=$(tail -1 "$work/time.txt")
        if [ -z "$best" ] || [ "$(echo "$line" | awk '{print $1}')" \< "$(echo "$best" | awk '{print $1}')" ]; then
            best=$line
        fi
        i=$((i + 1))
    done
    echo "$best" | awk -v name="$name" -v n="$n" '{
        cpu = $2 + $3
        printf "%-34s %10d %8.2f %10.0f %8.2f %10.0f %9.1f\n", name, n, $1, n / ($1 > 0 ? $1 : 0.01), cpu, n / (cpu > 0 ? cpu : 0.01), $4 / 1024
    }'
}

echo "machine: $(nproc) cpu, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $big ($packets packets, $(du -h "$big" | cut -f1)), $CONNS connections, $CONC open at once, $TLS% TLS"
printf "%-34s %10s %8s %10s %8s %10s %9s\n" "what" "packets" "wall s" "pkt/s" "cpu s" "pkt/cpu-s" "peak MB"
measure "(a) libpcap read loop" "$packets" "$work/pcap-loop" "$big"
measure "(a') the same, 1 MiB stdio buffer" "$packets" "$work/pcap-loop" "$big" 1048576
measure "(b) replay --format summary" "$packets" "$tcpsim" replay --no-progress --format summary "$big"
if "$tcpsim" replay --help 2>&1 | grep -q -- --threads; then
    measure "(b1) summary --threads 1" "$packets" "$tcpsim" replay --threads 1 --no-progress --format summary "$big"
fi
measure "(c) replay --format json" "$packets" "$tcpsim" replay --no-progress --format json "$big"
measure "(c') replay json, slice" "$spackets" "$tcpsim" replay --no-progress --format json "$slice"
measure "(d) tshark -z conv,tcp, slice" "$spackets" tshark -n -r "$slice" -q -z conv,tcp
measure "(d) tshark -T fields +TLS, slice" "$spackets" tshark -n -r "$slice" -T fields -e frame.number -e tcp.stream \
    -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.analysis.flags -e tls.record.content_type \
    -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str \
    -e tls.handshake.ciphersuite
spk=$("$work/pcap-loop" "$short" | cut -d' ' -f1)
RUNS=1 measure "(b) summary, 1/3 of the file" "$spk" "$tcpsim" replay --no-progress --format summary "$short"
