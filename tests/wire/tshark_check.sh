#!/bin/sh
# tshark_check.sh GEN TSHARK DIR - frames from tcpsim_packet_encode must show no
# malformed packets, no expert errors and correct IP/TCP checksums in tshark.
set -eu
gen=$1 tshark=$2 dir=$3
pcap=$dir/wire_tshark_check.pcap
n=$("$gen" "$pcap")
[ "$n" -gt 0 ] || { echo "generator wrote no frames"; exit 1; }
opts="-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"
total=$("$tshark" -n -r "$pcap" $opts -T fields -e frame.number 2>/dev/null | wc -l)
good=$("$tshark" -n -r "$pcap" $opts -Y 'tcp.checksum.status == 1 && !_ws.malformed && !(ip.checksum.status == 0)' \
       -T fields -e frame.number 2>/dev/null | wc -l)
errors=$("$tshark" -n -r "$pcap" $opts -Y '_ws.expert.severity >= 8388608' -T fields -e frame.number \
         -e _ws.expert.message 2>/dev/null)
echo "frames: $n written, $total read, $good with good checksums"
if [ "$total" -ne "$n" ] || [ "$good" -ne "$n" ] || [ -n "$errors" ]; then
    "$tshark" -n -r "$pcap" $opts 2>/dev/null
    echo "expert errors: $errors"
    exit 1
fi
# The SYN carries Linux's option layout.
syn=$("$tshark" -n -r "$pcap" -Y 'frame.number == 1' -T fields -e tcp.option_kind 2>/dev/null)
[ "$syn" = "2,4,8,1,3" ] || { echo "SYN options: '$syn', expected 2,4,8,1,3"; exit 1; }
echo "ok"
