#!/usr/bin/env bash
# tshark-ref.sh - write tshark's reading of a capture beside it, as the reference the
# replay tests compare with (TCP analysis: RFC 9293 + Wireshark's packet-tcp.c; TLS: RFC 8446).
#
#   scripts/tshark-ref.sh [--conv] CAPTURE...
#
# For each CAPTURE (NAME.pcap or NAME.pcapng) writes NAME.tshark.tsv and, with --conv,
# NAME.conv.txt (`tshark -q -z conv,tcp`). The TSV has one header line and one line per
# frame that tshark's display filter `tcp` keeps; columns are described in
# captures/README.md. It is tshark's single-pass reading (as `tshark -r` prints it).
# Also writes, for every CAPTURE:
#   NAME.completeness.tsv  tcp.stream<TAB>tcp.completeness, one line per stream: the
#       last value of a two-pass reading (`tshark -2`). Single-pass tshark shows on each
#       frame only what it has seen so far (tcp-refused, tcp-rst-abort, tcp-syn-retrans
#       end below the connection's value); the second pass gives every frame the
#       connection's final mask, which is what our conn record reports.
#   NAME.ja3.tsv  frame.number tcp.stream tls.handshake.type tls.handshake.random
#       tls.handshake.ja3 ja3_full ja3s ja3s_full, one line per frame that carries a
#       ClientHello or ServerHello (header line only when there is none). Several values
#       in one field are joined with ';' (a JA3 string has commas of its own). The random
#       tells a HelloRetryRequest (RFC 8446 4.1.3) from the ServerHello.
set -euo pipefail

FIELDS=(frame.number frame.time_epoch tcp.stream ip.src ipv6.src tcp.srcport ip.dst ipv6.dst
        tcp.dstport tcp.flags tcp.seq_raw tcp.ack_raw tcp.len tcp.window_size tcp.completeness)
# Expert flags of tcp.analysis, one column each (tshark prints 1 when set, nothing otherwise;
# we turn that into 0/1).
FLAGS=(tcp.analysis.retransmission tcp.analysis.fast_retransmission
       tcp.analysis.spurious_retransmission tcp.analysis.out_of_order tcp.analysis.lost_segment
       tcp.analysis.ack_lost_segment tcp.analysis.duplicate_ack tcp.analysis.zero_window
       tcp.analysis.zero_window_probe tcp.analysis.zero_window_probe_ack tcp.analysis.keep_alive
       tcp.analysis.keep_alive_ack tcp.analysis.window_update tcp.analysis.window_full
       tcp.analysis.reused_ports)
JA3=(frame.number tcp.stream tls.handshake.type tls.handshake.random tls.handshake.ja3
     tls.handshake.ja3_full tls.handshake.ja3s tls.handshake.ja3s_full)
TAIL=(tcp.analysis.initial_rtt tls.record.content_type tls.handshake.type
      tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
      tls.handshake.ciphersuite tls.handshake.version tls.handshake.extensions.supported_version
      tls.record.opaque_type tls.record.version tls.record.length)

die() { echo "tshark-ref.sh: $*" >&2; exit 1; }

conv=0
if [ "${1:-}" = "--conv" ]; then conv=1; shift; fi
[ $# -gt 0 ] || die "usage: scripts/tshark-ref.sh [--conv] CAPTURE..."
command -v tshark >/dev/null || die "tshark not found (run scripts/deps.sh)"

# Every field must exist in this tshark, or -T fields would fail or print nothing.
known=$(tshark -G fields 2>/dev/null | awk -F'\t' '$1=="F"{print $3}')
for f in "${FIELDS[@]}" "${FLAGS[@]}" "${TAIL[@]}" "${JA3[@]}"; do
  grep -qx -- "$f" <<<"$known" || die "field '$f' is unknown to $(tshark --version | head -1)"
done

args=()
for f in "${FIELDS[@]}" "${FLAGS[@]}" "${TAIL[@]}"; do args+=(-e "$f"); done
first_flag=$(( ${#FIELDS[@]} + 1 ))
last_flag=$(( ${#FIELDS[@]} + ${#FLAGS[@]} ))
hs_col=$(( last_flag + 3 ))     # tls.handshake.type
cs_col=$(( last_flag + 6 ))     # tls.handshake.ciphersuite

for cap in "$@"; do
  [ -r "$cap" ] || die "$cap: cannot read"
  base="${cap%.pcapng}"; base="${base%.pcap}"
  tsv="$base.tshark.tsv"
  # stderr apart: tshark's "Running as user root" note is not data.
  tshark -r "$cap" -o tcp.relative_sequence_numbers:FALSE -o tcp.analyze_sequence_numbers:TRUE \
    -o tcp.calculate_timestamps:TRUE -Y tcp -T fields -E header=y -E separator=/t \
    -E occurrence=a -E aggregator=, "${args[@]}" 2>"$base.tshark.err" >"$tsv.tmp" ||
    { cat "$base.tshark.err" >&2; rm -f "$tsv.tmp" "$base.tshark.err"; die "$cap: tshark failed"; }
  rm -f "$base.tshark.err"
  # Flags: empty -> 0, set -> 1 (tshark prints "1,1" when a frame carries the
  # flag twice, e.g. duplicate_ack with SACK; captures/README.md documents 0/1).
  # Cipher suite: tls.handshake.ciphersuite is also ClientHello's offered list; keep it only
  # on frames that carry a ServerHello (handshake type 2, also HelloRetryRequest).
  awk -F'\t' -v OFS='\t' -v a="$first_flag" -v b="$last_flag" -v hs="$hs_col" -v cs="$cs_col" '
    NR == 1 { print; next }
    {
      for (i = a; i <= b; i++) $i = ($i == "") ? 0 : 1
      n = split($hs, t, ","); keep = 0
      for (j = 1; j <= n; j++) if (t[j] == "2") keep = 1
      if (!keep) $cs = ""
      print
    }' "$tsv.tmp" >"$tsv"
  rm -f "$tsv.tmp"
  [ "$(wc -l <"$tsv")" -gt 1 ] || die "$cap: tshark shows no TCP frame"
  # Two-pass completeness per stream (see the top of this file).
  tshark -2 -r "$cap" -o tcp.analyze_sequence_numbers:TRUE -Y tcp -T fields -E header=y \
    -E separator=/t -e tcp.stream -e tcp.completeness 2>/dev/null >"$base.completeness.tmp" ||
    { rm -f "$base.completeness.tmp"; die "$cap: tshark -2 failed"; }
  awk -F'\t' -v OFS='\t' 'NR == 1 { print; next }
    !($1 in last) { order[n++] = $1 }
    { last[$1] = $2 }
    END { for (i = 0; i < n; i++) print order[i], last[order[i]] }' \
    "$base.completeness.tmp" >"$base.completeness.tsv"
  rm -f "$base.completeness.tmp"
  ja3args=()
  for f in "${JA3[@]}"; do ja3args+=(-e "$f"); done
  tshark -r "$cap" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields -E header=y \
    -E separator=/t -E occurrence=a -E 'aggregator=;' "${ja3args[@]}" 2>/dev/null >"$base.ja3.tsv" ||
    { rm -f "$base.ja3.tsv"; die "$cap: tshark failed (JA3)"; }
  if [ $conv -eq 1 ]; then
    tshark -r "$cap" -q -z conv,tcp 2>/dev/null >"$base.conv.txt"
  fi
  echo "tshark-ref.sh: wrote $tsv ($(( $(wc -l <"$tsv") - 1 )) TCP frames), $base.completeness.tsv," \
    "$base.ja3.tsv ($(( $(wc -l <"$base.ja3.tsv") - 1 )) hellos)" >&2
done
