#!/bin/sh
# compare-tshark.sh TCPSIM CAPTURE - run `tcpsim replay --format json` and
# tshark on one capture and compare frame by frame: connection number
# (tcp.stream), flags, raw seq/ack, payload length and every tcp.analysis flag.
# Then check each connection's endpoint state sequences against RFC 9293 for
# the exchange seen (client-closes-first etc.). POSIX sh + awk, no Python.
set -u
TCPSIM=$1
CAP=$2
TMP=${TMPDIR:-/tmp}/tcpsim-cmp.$$
mkdir -p "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT
fail=0

"$TCPSIM" replay --format json --no-progress "$CAP" > "$TMP/json" 2> "$TMP/err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: tcpsim replay exited $rc: $(cat "$TMP/err")"; exit 1
fi

# Both sides as: frame conn flags seq ack len analysis-flags (0/1 each, in the
# column order of the *.tshark.tsv references).
AN="retransmission fast_retransmission spurious_retransmission out_of_order lost_segment ack_lost_segment duplicate_ack zero_window zero_window_probe zero_window_probe_ack keep_alive keep_alive_ack window_update window_full reused_ports"
awk -v an="$AN" '
BEGIN { n = split(an, names, " ") }
/"type":"segment"/ {
    line = $0
    f = 0
    match(line, /"flags":\[[^]]*\]/); fl = substr(line, RSTART, RLENGTH)
    if (fl ~ /"FIN"/) f += 1; if (fl ~ /"SYN"/) f += 2; if (fl ~ /"RST"/) f += 4; if (fl ~ /"PSH"/) f += 8
    if (fl ~ /"ACK"/) f += 16; if (fl ~ /"URG"/) f += 32; if (fl ~ /"ECE"/) f += 64; if (fl ~ /"CWR"/) f += 128
    match(line, /"analysis":\[[^]]*\]/); a = substr(line, RSTART, RLENGTH)
    bits = ""
    for (i = 1; i <= n; i++) bits = bits (index(a, "\"" names[i] "\"") ? " 1" : " 0")
    printf "%s %s %d %s %s %s%s\n", val(line, "frame"), val(line, "conn"), f, val(line, "seq"), val(line, "ack"), val(line, "len"), bits
}
function val(s, k,   r) {
    if (!match(s, "\"" k "\":[0-9]+")) return "-"
    r = substr(s, RSTART, RLENGTH); sub(/.*:/, "", r); return r
}' "$TMP/json" > "$TMP/ours"

# The reference written beside the capture (scripts/tshark-ref.sh), else tshark now.
REF=${CAP%.pcap}
REF=${REF%.pcapng}.tshark.tsv
if [ ! -f "$REF" ]; then
    tshark -n -r "$CAP" -Y tcp -T fields -E header=y -e frame.number -e frame.time_epoch -e tcp.stream -e ip.src \
        -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw \
        -e tcp.len -e tcp.window_size -e tcp.completeness $(for f in $AN; do printf -- '-e tcp.analysis.%s ' $f; done) \
        -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str \
        -e tls.handshake.ciphersuite > "$TMP/ref.tsv" 2>/dev/null || { echo "FAIL: tshark could not read $CAP"; exit 1; }
    REF=$TMP/ref.tsv
fi
awk -F'\t' '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    bits = ""
    for (i = col["tcp.analysis.retransmission"]; i <= col["tcp.analysis.reused_ports"]; i++) {
        # captures/README.md: the analysis columns are 0/1 (D5)
        if (FILENAME !~ /ref\.tsv$/ && $i != "0" && $i != "1") { print "BAD-REFERENCE frame " $col["frame.number"] " column " i ": " $i; next }
        bits = bits ($i != "" && $i != "0" ? " 1" : " 0")
    }
    printf "%s %s %d %s %s %s%s\n", $col["frame.number"], $col["tcp.stream"], hex($col["tcp.flags"]), $col["tcp.seq_raw"], $col["tcp.ack_raw"], $col["tcp.len"], bits
}
function hex(h,   i, c, v) { sub(/^0x/, "", h); v = 0; h = tolower(h); for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }; return v % 256 }' "$REF" > "$TMP/theirs"

if ! cmp -s "$TMP/ours" "$TMP/theirs"; then
    echo "FAIL: segments differ; columns: frame conn flags seq ack len then 0/1 for: $AN"
    diff "$TMP/ours" "$TMP/theirs" | head -30
    fail=1
fi

# TLS, when the reference has tshark's TLS columns: per frame, the handshake
# types (RFC 8446 §4 numbers; encrypted handshake records have none in tshark
# either), the SNI and ALPN values and the ServerHello's cipher suite.
if head -1 "$REF" | tr '\t' '\n' | grep -qx tls.handshake.type; then
    awk '
    BEGIN {
        split("HelloRequest 0 ClientHello 1 ServerHello 2 HelloRetryRequest 2 NewSessionTicket 4 EndOfEarlyData 5 EncryptedExtensions 8 Certificate 11 ServerKeyExchange 12 CertificateRequest 13 ServerHelloDone 14 CertificateVerify 15 ClientKeyExchange 16 Finished 20 CertificateStatus 22 KeyUpdate 24 CompressedCertificate 25", t, " ")
        for (i = 1; i < 34; i += 2) hs[t[i]] = t[i + 1]
        # IANA TLS cipher suite registry: the suites our captures and tools use
        split("TLS_AES_128_GCM_SHA256 0x1301 TLS_AES_256_GCM_SHA384 0x1302 TLS_CHACHA20_POLY1305_SHA256 0x1303 TLS_AES_128_CCM_SHA256 0x1304 TLS_AES_128_CCM_8_SHA256 0x1305 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0xc02b TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0xc02c TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0xc02f TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 0xc030 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 0xcca8 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 0xcca9 TLS_RSA_WITH_AES_128_GCM_SHA256 0x009c TLS_RSA_WITH_AES_256_GCM_SHA384 0x009d TLS_RSA_WITH_AES_128_CBC_SHA 0x002f TLS_RSA_WITH_AES_256_CBC_SHA 0x0035 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA 0xc013 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 0xc014 TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 0x009e TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 0x009f", c, " ")
        for (i = 1; i < 38; i += 2) cs[c[i]] = c[i + 1]
    }
    function str(s, k,   r) {
        if (!match(s, "\"" k "\":\"[^\"]*\"")) return ""
        r = substr(s, RSTART + length(k) + 4, RLENGTH - length(k) - 5); return r
    }
    /"type":"segment"/ {
        if (!match($0, /"tls":\[.*\]/)) next
        arr = substr($0, RSTART + 7, RLENGTH - 8)
        if (arr == "") next
        n = split(arr, it, /\{"dir":/)
        types = ""; sni = ""; alpn = ""; cipher = ""
        for (i = 2; i <= n; i++) {
            h = str(it[i], "handshake")
            if (h == "" || h == "encrypted") continue
            types = types (types == "" ? "" : ",") (h in hs ? hs[h] : "?" h)
            if (h == "ClientHello") {
                v = str(it[i], "sni"); if (v != "") sni = sni (sni == "" ? "" : ",") v
                if (match(it[i], /"alpn":\[[^]]*\]/)) {
                    a = substr(it[i], RSTART + 8, RLENGTH - 9); gsub(/"/, "", a)
                    if (a != "") alpn = alpn (alpn == "" ? "" : ",") a
                }
            }
            if (h == "ServerHello" || h == "HelloRetryRequest") {
                v = str(it[i], "alpn"); if (v != "") alpn = alpn (alpn == "" ? "" : ",") v
                v = str(it[i], "cipher"); cipher = (v in cs) ? cs[v] : (v ~ /^0x/ ? v : "?" v)
            }
        }
        match($0, /"frame":[0-9]+/); f = substr($0, RSTART + 8, RLENGTH - 8)
        if (types != "" || sni != "" || alpn != "") printf "%s|%s|%s|%s|%s\n", f, types, sni, alpn, cipher
    }' "$TMP/json" > "$TMP/tls-ours"
    awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
        types = $col["tls.handshake.type"]; sni = $col["tls.handshake.extensions_server_name"]
        alpn = $col["tls.handshake.extensions_alpn_str"]; cipher = ""
        if (("," types ",") ~ /,2,/ && ("," types ",") !~ /,1,/) { cipher = $col["tls.handshake.ciphersuite"]; sub(/,.*/, "", cipher) }
        if (types != "" || sni != "" || alpn != "") printf "%s|%s|%s|%s|%s\n", $col["frame.number"], types, sni, alpn, cipher
    }' "$REF" > "$TMP/tls-theirs"
    if ! cmp -s "$TMP/tls-ours" "$TMP/tls-theirs"; then
        echo "FAIL: TLS differs; columns: frame|handshake types|SNI|ALPN|ServerHello cipher (< ours, > tshark)"
        diff "$TMP/tls-ours" "$TMP/tls-theirs" | head -30
        fail=1
    elif [ ! -s "$TMP/tls-theirs" ]; then
        case $(basename "$CAP") in
        tls*) echo "FAIL: no TLS handshake found in $CAP (by either tool)"; fail=1 ;;
        *) echo "ok: no TLS in $CAP (tshark agrees)" ;;
        esac
    else
        echo "ok: $(wc -l < "$TMP/tls-ours") TLS frames of $CAP match tshark (types, SNI, ALPN, cipher)"
    fi
fi

# Per connection: Wireshark's tcp.completeness as the two-pass reading gives it
# (NAME.completeness.tsv: the connection's final mask; single-pass tshark shows
# less on early frames), and the JA3/JA3S fingerprints of the first ClientHello
# and of the ServerHello (not a HelloRetryRequest, RFC 8446 4.1.3) from
# NAME.ja3.tsv. Both are written by scripts/tshark-ref.sh; without a reference
# at all (a capture of your own) tshark is asked now.
BASE=${CAP%.pcap}
BASE=${BASE%.pcapng}
COMPL=$BASE.completeness.tsv
JA3REF=$BASE.ja3.tsv
if [ "$REF" = "$TMP/ref.tsv" ]; then
    COMPL=$TMP/completeness.tsv
    JA3REF=$TMP/ja3.tsv
    tshark -2 -r "$CAP" -Y tcp -T fields -E header=y -e tcp.stream -e tcp.completeness 2>/dev/null |
        awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { last[$1] = $2 } END { for (s in last) print s, last[s] }' \
        > "$COMPL" || { echo "FAIL: tshark -2 could not read $CAP"; exit 1; }
    tshark -r "$CAP" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields -E header=y -E occurrence=a \
        -E 'aggregator=;' -e frame.number -e tcp.stream -e tls.handshake.type -e tls.handshake.random \
        -e tls.handshake.ja3 -e tls.handshake.ja3_full -e tls.handshake.ja3s -e tls.handshake.ja3s_full \
        > "$JA3REF" 2>/dev/null || { echo "FAIL: tshark could not read $CAP (JA3)"; exit 1; }
fi
for f in "$COMPL" "$JA3REF"; do
    if [ ! -f "$f" ]; then
        echo "FAIL: missing reference $f (run scripts/tshark-ref.sh $CAP)"; exit 1
    fi
done
# ours: conn completeness ja3 ja3_full ja3s ja3s_full ("-" for null)
awk '
function str(s, k,   r) {
    if (!match(s, "\"" k "\":\"[^\"]*\"")) return "-"
    r = substr(s, RSTART + length(k) + 4, RLENGTH - length(k) - 5); return r == "" ? "-" : r
}
function num(s, k,   r) {
    if (!match(s, "\"" k "\":[0-9]+")) return "-"
    r = substr(s, RSTART, RLENGTH); sub(/.*:/, "", r); return r
}
/"type":"conn"/ {
    print num($0, "conn"), num($0, "completeness") > "/dev/stderr"
    a = str($0, "ja3"); b = str($0, "ja3_full"); c = str($0, "ja3s"); d = str($0, "ja3s_full")
    if (a != "-" || c != "-") print num($0, "conn"), a, b, c, d
}' "$TMP/json" 2> "$TMP/compl-ours.u" | sort -n > "$TMP/ja3-ours"
sort -n "$TMP/compl-ours.u" > "$TMP/compl-ours"
awk -F'\t' 'NR > 1 { print $1, $2 }' "$COMPL" | sort -n > "$TMP/compl-theirs"
if ! cmp -s "$TMP/compl-ours" "$TMP/compl-theirs"; then
    echo "FAIL: completeness differs; columns: conn completeness (< ours, > tshark -2)"
    diff "$TMP/compl-ours" "$TMP/compl-theirs" | head -30
    fail=1
elif [ ! -s "$TMP/compl-theirs" ]; then
    echo "FAIL: no connection in $COMPL"; fail=1
else
    echo "ok: completeness of $(wc -l < "$TMP/compl-ours") connections of $CAP matches tshark -2"
fi
awk -F'\t' '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
function first(v) { sub(/;.*/, "", v); return v == "" ? "-" : v }
{
    st = $col["tcp.stream"]; types = ";" $col["tls.handshake.type"] ";"
    rnd = first($col["tls.handshake.random"])
    if (!(st in seen)) { seen[st] = 1; order[n++] = st; ja3[st] = ja3f[st] = ja3s[st] = ja3sf[st] = "-" }
    if (types ~ /;1;/ && ja3[st] == "-") { ja3[st] = first($col["tls.handshake.ja3"]); ja3f[st] = first($col["tls.handshake.ja3_full"]) }
    # RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random
    if (types ~ /;2;/ && ja3s[st] == "-" && rnd != "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c") {
        ja3s[st] = first($col["tls.handshake.ja3s"]); ja3sf[st] = first($col["tls.handshake.ja3s_full"])
    }
}
END { for (i = 0; i < n; i++) { s = order[i]; if (ja3[s] != "-" || ja3s[s] != "-") print s, ja3[s], ja3f[s], ja3s[s], ja3sf[s] } }
' "$JA3REF" | sort -n > "$TMP/ja3-theirs"
if ! cmp -s "$TMP/ja3-ours" "$TMP/ja3-theirs"; then
    echo "FAIL: JA3/JA3S differ; columns: conn ja3 ja3_full ja3s ja3s_full (< ours, > tshark)"
    diff "$TMP/ja3-ours" "$TMP/ja3-theirs" | head -30
    fail=1
else
    case $(basename "$CAP") in
    tls*) if [ ! -s "$TMP/ja3-theirs" ]; then echo "FAIL: no JA3 in $CAP (by either tool)"; fail=1; fi ;;
    esac
    [ -s "$TMP/ja3-theirs" ] && echo "ok: JA3/JA3S of $(wc -l < "$TMP/ja3-ours") connections of $CAP match tshark"
    [ -s "$TMP/ja3-theirs" ] || echo "ok: no JA3 in $CAP (tshark agrees)"
fi

# RFC 9293 state sequences for the exchanges we can recognise from the
# Zeek history of each connection (upper case = client).
awk -v fail=0 '
# B1: every state is one of the 11 RFC 9293 names (never null); the
# state lists of a conn are never empty; a server that never sent is LISTEN, flagged
# "server_inferred":true, and only then.
/"type":"segment"/ {
    match($0, /"conn":[0-9]+/); id = substr($0, RSTART + 7, RLENGTH - 7)
    if ($0 ~ /"dir":"s2c"/) spoke[id] = 1
    if ($0 !~ /"client_state":"(CLOSED|LISTEN|SYN_SENT|SYN_RECEIVED|ESTABLISHED|FIN_WAIT_1|FIN_WAIT_2|CLOSE_WAIT|CLOSING|LAST_ACK|TIME_WAIT)","server_state":"(CLOSED|LISTEN|SYN_SENT|SYN_RECEIVED|ESTABLISHED|FIN_WAIT_1|FIN_WAIT_2|CLOSE_WAIT|CLOSING|LAST_ACK|TIME_WAIT)"/) {
        print "FAIL: conn " id ": a segment state is not an RFC 9293 state name"; fail = 1
    }
    # FINs: the first of each side, and whether the second one acknowledges
    # the first FIN itself (SEG.ACK > its sequence number) or not (crossed).
    if ($0 ~ /"flags":\[[^]]*"FIN"/ && $0 !~ /"RST"/) {
        d = ($0 ~ /"dir":"c2s"/) ? "c" : "s"
        match($0, /"seq":[0-9]+/); sq = substr($0, RSTART + 6, RLENGTH - 6) + 0
        match($0, /"ack":[0-9]+/); ak = substr($0, RSTART + 6, RLENGTH - 6) + 0
        if (!((id, d) in finseq)) {
            finseq[id, d] = sq
            o = (d == "c") ? "s" : "c"
            if ((id, o) in finseq) crossed[id] = (ak == finseq[id, o])
        }
    }
}
/"type":"conn"/ {
    match($0, /"conn":[0-9]+/); cid = substr($0, RSTART + 7, RLENGTH - 7)
    if ($0 ~ /"(client|server)_states":\[\]/) { print "FAIL: conn " cid ": empty state list"; fail = 1 }
    inf = $0 ~ /"server_inferred":true/
    if ($0 !~ /"inferred":true/ && inf != !spoke[cid]) { print "FAIL: conn " cid ": server_inferred " inf " but the server " (spoke[cid] ? "sent" : "never sent"); fail = 1 }
    if (inf && $0 !~ /"server_states":\["LISTEN"\]/) { print "FAIL: conn " cid ": a silent server must be [LISTEN]"; fail = 1 }
    # RFC 9293 §3.6 case 2: FINs that crossed take both sides through CLOSING.
    if (crossed[cid] && ($0 !~ /"client_states":\[[^]]*"FIN_WAIT_1","CLOSING","TIME_WAIT"\]/ || $0 !~ /"server_states":\[[^]]*"FIN_WAIT_1","CLOSING","TIME_WAIT"\]/)) {
        print "FAIL: conn " cid ": the FINs crossed, both sides must go FIN_WAIT_1>CLOSING>TIME_WAIT"; fail = 1
    }
}
/"type":"conn"/ {
    match($0, /"history":"[^"]*"/); h = substr($0, RSTART + 11, RLENGTH - 12)
    match($0, /"client_states":\[[^]]*\]/); cs = substr($0, RSTART + 16, RLENGTH - 16)
    match($0, /"server_states":\[[^]]*\]/); ss = substr($0, RSTART + 16, RLENGTH - 16)
    match($0, /"conn":[0-9]+/); id = substr($0, RSTART + 7, RLENGTH - 7)
    gsub(/"/, "", cs); gsub(/"/, "", ss)
    if (h !~ /[Rr]/ && h ~ /^ShA/ && index(h, "F") && index(h, "f")) {
        if (index(h, "F") < index(h, "f")) {
            wc = "[CLOSED,SYN_SENT,ESTABLISHED,FIN_WAIT_1,FIN_WAIT_2,TIME_WAIT]"
            ws = "[LISTEN,SYN_RECEIVED,ESTABLISHED,CLOSE_WAIT,LAST_ACK,CLOSED]"
            wc2 = "[CLOSED,SYN_SENT,ESTABLISHED,FIN_WAIT_1,TIME_WAIT]"
            # the server FIN crossed ours: it does not ACK our FIN (RFC 9293 §3.6 case 2)
            wc3 = "[CLOSED,SYN_SENT,ESTABLISHED,FIN_WAIT_1,CLOSING,TIME_WAIT]"
            ws2 = ws
        } else {
            wc = "[CLOSED,SYN_SENT,ESTABLISHED,CLOSE_WAIT,LAST_ACK,CLOSED]"
            ws = "[LISTEN,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,FIN_WAIT_2,TIME_WAIT]"
            wc2 = wc
            wc3 = wc
            ws2 = "[LISTEN,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,TIME_WAIT]"
        }
        if (crossed[id]) { wc = wc2 = wc3; ws = ws2 = "[LISTEN,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,CLOSING,TIME_WAIT]" }
        if ((cs != wc && cs != wc2) || (ss != ws && ss != ws2)) {
            print "FAIL: conn " id " (history " h "): client " cs " server " ss ", RFC 9293 expects client " wc " server " ws
            fail = 1
        }
    }
    if (h ~ /^S$/ || h ~ /^S+r$/ || h ~ /^Sr/) {
        if (h ~ /r/ && ss != "[CLOSED]") { print "FAIL: conn " id " refused, server states " ss " expected [CLOSED]"; fail = 1 }
    }
}
END { exit fail }' "$TMP/json" || fail=1

if [ $fail -eq 0 ]; then
    echo "ok: $(wc -l < "$TMP/ours") segments of $CAP match tshark"
fi
exit $fail
