#!/bin/sh
# tshark_check.sh CLI SCENARIO WORKDIR [OPTIONS...] - the --pcap output of a
# scenario read back by tshark:
#  - tshark's frame.number, flags, raw seq/ack and length equal the JSON's
#    "frame", flags, seq, ack and len (the capture is a sender-side tap: every
#    segment, lost ones too, is recorded once, when it is sent; a link-made
#    duplicate is not in the file and carries its original's frame number);
#  - tshark's analysis agrees with what happened at the capture point: never
#    lost_segment / ack_lost_segment (the sender sends no gap), out_of_order
#    only on a segment the simulator retransmitted (Wireshark's 3 ms rule calls
#    some retransmissions out-of-order), every retransmission flagged as one;
#  - no malformed packets or bad checksums.
set -eu
cli=$1 scenario=$2 dir=$3; shift 3
mkdir -p "$dir"
"$cli" sim "$scenario" "$@" --format json --pcap "$dir/out.pcap" -o "$dir/out.jsonl"
# ours: "frame flags seq ack len retransmission", one line per captured record
grep '"type":"segment"' "$dir/out.jsonl" | grep -v '"duplicated":true' |
  sed -E 's/.*"frame":([0-9]+),.*"flags":\[([^]]*)\],"seq":([0-9]+),"ack":([0-9]+).*"len":([0-9]+),.*"retransmission":(true|false).*/\1 \2 \3 \4 \5 \6/; s/"//g' |
  sort -n -k1,1 > "$dir/ours-rtx.txt"
cut -d' ' -f1-5 "$dir/ours-rtx.txt" > "$dir/ours.txt"
# tshark's: flags as names in the same order (FIN,SYN,RST,PSH,ACK,URG,ECE,CWR)
tshark -r "$dir/out.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields \
  -e frame.number -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>"$dir/tshark.err" |
  awk 'function hex(h,   i, v, c) { v = 0; h = tolower(h); sub(/^0x/, "", h);
         for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }
         return v }
       { f = hex($2); split("FIN SYN RST PSH ACK URG ECE CWR", names, " "); s = "";
         for (i = 0; i < 8; i++) if (int(f / 2 ^ i) % 2) s = s (s == "" ? "" : ",") names[i + 1];
         print $1, s, $3, $4, $5 }' > "$dir/theirs.txt"
# tshark warns about running as root; anything else on stderr is a failure
if grep -v 'Running as user' "$dir/tshark.err" >&2; then exit 1; fi
n=$(wc -l < "$dir/ours.txt")
[ "$n" -gt 0 ] || { echo "no segments" >&2; exit 1; }
diff -u "$dir/ours.txt" "$dir/theirs.txt"
# analysis flags per frame: L(ost) A(ck of lost) O(ut of order) R(etransmission, any kind)
# (tshark writes to a file first: in a pipe its failure would leave an empty
# analysis.txt and the checks below would pass vacuously)
tshark -r "$dir/out.pcap" -T fields -e frame.number -e tcp.analysis.lost_segment -e tcp.analysis.ack_lost_segment \
  -e tcp.analysis.out_of_order -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
  -e tcp.analysis.spurious_retransmission -E occurrence=f > "$dir/analysis.raw" 2>"$dir/tshark-analysis.err" ||
  { echo "tshark (analysis fields) failed:" >&2; cat "$dir/tshark-analysis.err" >&2; exit 1; }
if grep -v 'Running as user' "$dir/tshark-analysis.err" >&2; then exit 1; fi
awk -F'\t' '{ printf "%s %s%s%s%s\n", $1, $2 != "" ? "L" : "", $3 != "" ? "A" : "", $4 != "" ? "O" : "",
              ($5 != "" || $6 != "" || $7 != "") ? "R" : "" }' "$dir/analysis.raw" > "$dir/analysis.txt"
[ -s "$dir/analysis.txt" ] || { echo "tshark gave no analysis lines for $dir/out.pcap" >&2; exit 1; }
na=$(wc -l < "$dir/analysis.txt")
[ "$na" -eq "$n" ] || { echo "tshark gave $na analysis lines for $n frames" >&2; exit 1; }
bad=$(awk 'NR == FNR { rtx[$1] = $6; next }
           { f = $2 }
           f ~ /[LA]/ { print "frame " $1 ": tshark reports a segment not captured (" f "), the tap saw every one" }
           f ~ /O/ && rtx[$1] != "true" { print "frame " $1 ": tshark says out-of-order, but it was sent in order" }
           rtx[$1] == "true" && f !~ /[RO]/ { print "frame " $1 ": a retransmission tshark does not flag" }' \
      "$dir/ours-rtx.txt" "$dir/analysis.txt")
if [ -n "$bad" ]; then echo "$bad" >&2; exit 1; fi
# The scenarios carry filler bytes on port 80, not HTTP: decode them as data, or
# the HTTP dissector's reassembly reports a retransmitted (identical) segment as
# "new fragment overlaps old data".
tshark -r "$dir/out.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -d tcp.port==80,data \
  -q -z expert > "$dir/expert.txt" 2>&1
if grep -v 'Running as user' "$dir/expert.txt" | grep -Ei 'malformed|checksum|bad'; then
  echo "tshark expert info reports problems" >&2; exit 1
fi
echo "ok: $n frames agree"
