#!/bin/sh
# tshark_check.sh CLI SCENARIO WORKDIR [OPTIONS...] - the --pcap output of a
# scenario read back by tshark: same frame count, flags, raw seq/ack and
# length as tcpsim's own JSON, and no malformed packets or bad checksums.
set -eu
cli=$1 scenario=$2 dir=$3; shift 3
mkdir -p "$dir"
"$cli" sim "$scenario" "$@" --format json --pcap "$dir/out.pcap" -o "$dir/out.jsonl"
# ours: one line per segment, in capture order
grep '"type":"segment"' "$dir/out.jsonl" | sed -E 's/.*"flags":\[([^]]*)\],"seq":([0-9]+),"ack":([0-9]+).*"len":([0-9]+),.*/\1 \2 \3 \4/; s/"//g' > "$dir/ours.txt"
# tshark's: flags as names in the same order (FIN,SYN,RST,PSH,ACK,URG,ECE,CWR)
tshark -r "$dir/out.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields \
  -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>"$dir/tshark.err" |
  awk 'function hex(h,   i, v, c) { v = 0; h = tolower(h); sub(/^0x/, "", h);
         for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }
         return v }
       { f = hex($1); split("FIN SYN RST PSH ACK URG ECE CWR", names, " "); s = "";
         for (i = 0; i < 8; i++) if (int(f / 2 ^ i) % 2) s = s (s == "" ? "" : ",") names[i + 1];
         print s, $2, $3, $4 }' > "$dir/theirs.txt"
# tshark warns about running as root; anything else on stderr is a failure
if grep -v 'Running as user' "$dir/tshark.err" >&2; then exit 1; fi
n=$(wc -l < "$dir/ours.txt")
[ "$n" -gt 0 ] || { echo "no segments" >&2; exit 1; }
diff -u "$dir/ours.txt" "$dir/theirs.txt"
tshark -r "$dir/out.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -z expert > "$dir/expert.txt" 2>&1
if grep -v 'Running as user' "$dir/expert.txt" | grep -Ei 'malformed|checksum|bad'; then
  echo "tshark expert info reports problems" >&2; exit 1
fi
echo "ok: $n segments agree"
