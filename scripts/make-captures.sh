#!/usr/bin/env bash
# make-captures.sh - record the real captures in captures/ (TCP: RFC 9293, RFC 6298;
# TLS: RFC 5246, RFC 8446) between two network namespaces, and their tshark references.
#
#   sudo scripts/make-captures.sh            every scenario
#   sudo scripts/make-captures.sh NAME...    only these (see --list)
#   scripts/make-captures.sh --list
#   sudo CAPTURES_DIR=/tmp/c scripts/make-captures.sh   write there instead of captures/
#
# Traffic never leaves the two namespaces made here (tcpsim-c, tcpsim-s), joined by one
# veth pair: 10.99.0.1/24 + fd00:99::1/64 (client) and 10.99.0.2/24 + fd00:99::2/64
# (server). Offloads are off on both ends so the capture shows wire-size segments with
# correct checksums. tcpdump runs inside tcpsim-c on veth-c. Everything is bounded by
# `timeout`; the namespaces are removed on exit (trap), also after an error.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# CAPTURES_DIR: write somewhere else (e.g. to try a change without touching captures/).
OUT="${CAPTURES_DIR:-$ROOT/captures}"
CERTS="$OUT/tls-certs"
APP="$ROOT/scripts/capture/tcpapp.py"
NS_C=tcpsim-c
NS_S=tcpsim-s
C4=10.99.0.1 S4=10.99.0.2 C6=fd00:99::1 S6=fd00:99::2

TCP_SCENARIOS=(tcp-client-close tcp-server-close tcp-refused tcp-rst-abort tcp-half-close
               tcp-syn-retrans tcp-zero-window tcp-many-v4v6 tcp-loss-reorder
               fmt-pcapng-half-close fmt-sll2-v6-client-close)
TLS_SCENARIOS=(tls12-rsa tls12-ecdhe tls13-sni-alpn tls13-hrr tls12-long-chain
               tls12-small-mtu tls13-port-4433 http-plain-443)
ALL=("${TCP_SCENARIOS[@]}" "${TLS_SCENARIOS[@]}")

die() { echo "make-captures.sh: $*" >&2; exit 1; }
say() { echo "make-captures.sh: $*" >&2; }

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${ALL[@]}"; exit 0; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,14p' "$0"; exit 0; fi
[ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces, sets sysctls/qdiscs and runs tcpdump); try: sudo scripts/make-captures.sh ${*:-}"

want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${ALL[@]}")
for n in "${want[@]}"; do
  printf '%s\n' "${ALL[@]}" | grep -qx -- "$n" || die "unknown scenario '$n' (expected one of: ${ALL[*]})"
done

bash "$ROOT/scripts/deps.sh"
for t in ip nft tcpdump ethtool tc tshark editcap openssl python3 timeout ss; do
  command -v "$t" >/dev/null || die "'$t' not found (scripts/deps.sh should have installed it)"
done
mkdir -p "$OUT" "$CERTS"

# ---- namespaces ----------------------------------------------------------------------
TCPDUMP_PID=""
BG_PIDS=()
nsc() { ip netns exec "$NS_C" "$@"; }
nss() { ip netns exec "$NS_S" "$@"; }

net_down() {
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
}

cleanup() {
  local p
  for p in "${BG_PIDS[@]}" $TCPDUMP_PID; do kill "$p" 2>/dev/null || true; done
  net_down
  rm -f "$OUT/.tcpdump.err" "$OUT/.s_client.err" "$OUT/.s_server.log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# net_up [MTU]: fresh namespaces for each scenario, so no state (TIME_WAIT, qdiscs,
# sysctls, route MTU cache) leaks from one capture into the next.
net_up() {
  local mtu="${1:-1500}"
  net_down
  ip netns add "$NS_C"
  ip netns add "$NS_S"
  local ns dev a4 a6
  # Set before the veth exists so its per-device copies inherit them: no router
  # solicitations, no DAD, MLD reports sent at once (1 ms) rather than over the next
  # seconds, so ICMPv6 chatter stays out of the captures. Only ND/ARP that the
  # scenario's own traffic needs remain.
  for ns in "$NS_C" "$NS_S"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0 \
      net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.dad_transmits=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.mldv1_unsolicited_report_interval=1 \
      net.ipv6.conf.default.mldv2_unsolicited_report_interval=1
  done
  ip link add veth-c netns "$NS_C" type veth peer name veth-s netns "$NS_S"
  for ns in "$NS_C" "$NS_S"; do
    if [ "$ns" = "$NS_C" ]; then dev=veth-c a4=$C4 a6=$C6; else dev=veth-s a4=$S4 a6=$S6; fi
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip link set "$dev" mtu "$mtu"
    ip netns exec "$ns" ip addr add "$a4/24" dev "$dev"
    # IPv6 needs an MTU of at least 1280 (RFC 8200 §5); below that the device has none.
    [ "$mtu" -lt 1280 ] || ip netns exec "$ns" ip -6 addr add "$a6/64" dev "$dev" nodad
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
      ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null
    ip netns exec "$ns" ip link set "$dev" up
  done
  # Wait until both ends report carrier and IPv6 can reach the peer's address.
  local i
  for i in $(seq 50); do
    nsc ip route get "$S4" >/dev/null 2>&1 && nsc ip link show veth-c | grep -q 'state UP' && break
    sleep 0.1
  done
  sleep 0.5   # let the link-up MLD reports pass before the capture starts
}

# The one capture filter: drop IPv6 packets whose next header is Hop-by-Hop, i.e. the MLD
# reports the kernel sends when a link comes up (RFC 3810 §5.2.14); ARP and ICMPv6
# neighbour discovery stay, so every capture also has a few non-TCP frames.
CAP_FILTER='not (ip6 and ip6[6] == 0)'
# cap_start NAME [tcpdump interface] [extra tcpdump args...]
cap_start() {
  CAP_NAME="$1"; shift
  local ifc="${1:-veth-c}"; [ $# -gt 0 ] && shift
  CAP_FILE="$OUT/$CAP_NAME.pcap"
  rm -f "$CAP_FILE" "$OUT/$CAP_NAME.tshark.tsv" "$OUT/$CAP_NAME.conv.txt"
  : >"$OUT/.tcpdump.err"
  # Started through `ip netns exec` directly (it execs timeout, which passes our SIGINT on
  # to tcpdump), so $! is a process we can signal. --immediate-mode: with TPACKET_V3 the
  # last packets would otherwise still sit in a kernel ring block when we stop it.
  ip netns exec "$NS_C" timeout 120 tcpdump -Z root -n -U --immediate-mode -i "$ifc" "$@" -w "$CAP_FILE" \
    "$CAP_FILTER" 2>"$OUT/.tcpdump.err" &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 100); do
    grep -q 'listening on' "$OUT/.tcpdump.err" && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "$CAP_NAME: tcpdump did not start: $(cat "$OUT/.tcpdump.err")"
    sleep 0.05
  done
  sleep 0.2
}

cap_stop() {
  sleep 0.3
  kill -INT "$TCPDUMP_PID" 2>/dev/null || true
  wait "$TCPDUMP_PID" 2>/dev/null || true
  TCPDUMP_PID=""
  rm -f "$OUT/.tcpdump.err"
  [ -s "$CAP_FILE" ] || die "$CAP_NAME: no capture written to $CAP_FILE"
}

# bg_srv CMD...: start a server in tcpsim-s in the background (bounded by timeout).
bg_srv() { ip netns exec "$NS_S" timeout 30 "$@" & BG_PIDS+=($!); }
wait_srv() {
  local p rc=0
  for p in "${BG_PIDS[@]}"; do wait "$p" || rc=$?; done
  BG_PIDS=()
  return $rc
}
# wait_listen PORT: until something in tcpsim-s listens on PORT.
wait_listen() {
  local i
  for i in $(seq 100); do
    nss ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  die "nothing listens on port $1 in $NS_S"
}
app() { python3 "$APP" "$@"; }

# ---- TCP scenarios ---------------------------------------------------------------------
sc_tcp-client-close() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-echo --addr "$S4" --port 5001 --close-delay 0.1
  wait_listen 5001
  nsc timeout 20 python3 "$APP" cli-echo --addr "$S4" --port 5001 --cport 40001 --message "client closes first"
  wait_srv; cap_stop
}

sc_tcp-server-close() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-echo --addr "$S4" --port 5002 --close-first
  wait_listen 5002
  nsc timeout 20 python3 "$APP" cli-echo --addr "$S4" --port 5002 --cport 40002 --wait-eof --close-delay 0.1 --message "server closes first"
  wait_srv; cap_stop
}

sc_tcp-refused() {
  net_up; cap_start "$1"
  nsc timeout 20 python3 "$APP" cli-refused --addr "$S4" --port 5999 --cport 40003
  nsc timeout 20 python3 "$APP" cli-refused --addr "$S6" --port 5999 --cport 40003
  cap_stop
}

sc_tcp-rst-abort() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-echo --addr "$S4" --port 5004
  wait_listen 5004
  nsc timeout 20 python3 "$APP" cli-abort --addr "$S4" --port 5004 --cport 40004
  wait_srv || true   # the server sees ECONNRESET: expected
  cap_stop
}

run_half_close() {
  bg_srv python3 "$APP" srv-halfclose --addr "$S4" --port 5005 --chunks 4 --chunk-size 1000
  wait_listen 5005
  nsc timeout 20 python3 "$APP" cli-halfclose --addr "$S4" --port 5005 --cport 40005
  wait_srv
}
sc_tcp-half-close() { net_up; cap_start "$1"; run_half_close; cap_stop; }

# pcapng: tcpdump writes only pcap, so convert with editcap from Wireshark's package.
sc_fmt-pcapng-half-close() {
  net_up; cap_start "$1"; run_half_close; cap_stop
  editcap -F pcapng "$CAP_FILE" "$OUT/$1.pcapng"
  rm -f "$CAP_FILE"
  CAP_FILE="$OUT/$1.pcapng"
}

# Linux cooked capture v2 (SLL2, DLT 276): what `tcpdump -i any` writes.
sc_fmt-sll2-v6-client-close() {
  net_up; cap_start "$1" any -y LINUX_SLL2
  bg_srv python3 "$APP" srv-echo --addr "$S6" --port 5011
  wait_listen 5011
  nsc timeout 20 python3 "$APP" cli-echo --addr "$S6" --port 5011 --cport 40011 --message "ipv6 over sll2"
  wait_srv; cap_stop
}

# A full accept queue: listen(backlog 0) and never accept(). Linux then drops new SYNs
# (no SYN cookies, no abort_on_overflow; per-netns sysctls) so the clients retransmit
# their SYN (RFC 6298 §2.1 initial RTO 1 s; Linux >= 6.5 keeps the first 4 SYN timeouts
# linear, net.ipv4.tcp_syn_linear_timeouts, instead of the §5.5 doubling).
sc_tcp-syn-retrans() {
  net_up
  nss sysctl -qw net.ipv4.tcp_syncookies=0 net.ipv4.tcp_abort_on_overflow=0
  cap_start "$1"
  bg_srv python3 "$APP" srv-noaccept --addr "$S4" --port 5006 --backlog 0 --hold 6
  wait_listen 5006
  nsc timeout 20 python3 "$APP" cli-synflood --addr "$S4" --port 5006 --cport 40060 --count 3 --timeout 3.6
  wait_srv; cap_stop
}

# Small receive buffer, receiver pauses: the window closes (zero window), the sender
# probes (RFC 9293 §3.8.6.1 persist timer), then reads open it again (window updates).
sc_tcp-zero-window() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-sink --addr "$S4" --port 5007 --rcvbuf 4096 --pause 1.5 --read-size 2048 --read-delay 0.01
  wait_listen 5007
  nsc timeout 25 python3 "$APP" cli-bulk --addr "$S4" --port 5007 --cport 40007 --bytes 49152
  wait_srv; cap_stop
}

# 20 IPv4 + 20 IPv6 short connections; the server closes first so it, not the client,
# holds TIME_WAIT, and every 5th connection reuses client port 41000, i.e. the same
# 4-tuple (Wireshark: tcp.analysis.reused_ports, a new tcp.stream).
sc_tcp-many-v4v6() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-echo --addr "$S4" --port 5008 --count 20 --close-first
  wait_listen 5008
  nsc timeout 25 python3 "$APP" cli-many --addr "$S4" --port 5008 --cport 41000 --count 20 --reuse-every 5
  wait_srv
  bg_srv python3 "$APP" srv-echo --addr "$S6" --port 5008 --count 20 --close-first
  wait_listen 5008
  nsc timeout 25 python3 "$APP" cli-many --addr "$S6" --port 5008 --cport 41000 --count 20 --reuse-every 5
  wait_srv; cap_stop
}

# Upload with deterministic loss and reordering. This kernel has no netem (sch_netem is
# not built), so: nftables' numgen counter in the server namespace drops every 23rd data
# segment arriving from the client (after the capture point, so tshark sees the original
# and its retransmission); and in the client namespace every 10th data segment is put
# (skb priority) into a slow HTB class, so the segments behind it overtake it on the wire
# (out-of-order, dup ACKs, SACK). Counter based, so the pattern is the same on every run.
sc_tcp-loss-reorder() {
  net_up
  nss nft -f - <<'NFT'
table inet tcpsim_loss {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    tcp dport 5009 meta length > 200 numgen inc mod 23 == 11 counter drop
  }
}
NFT
  nsc tc qdisc add dev veth-c root handle 1: htb default 10
  nsc tc class add dev veth-c parent 1: classid 1:10 htb rate 10gbit quantum 60000
  nsc tc class add dev veth-c parent 1: classid 1:20 htb rate 50mbit burst 2k quantum 1514
  nsc nft -f - <<'NFT'
table inet tcpsim_reorder {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp dport 5009 meta length > 200 numgen inc mod 10 == 5 meta priority set 1:20
  }
}
NFT
  cap_start "$1"
  bg_srv python3 "$APP" srv-sink --addr "$S4" --port 5009
  wait_listen 5009
  nsc timeout 25 python3 "$APP" cli-bulk --addr "$S4" --port 5009 --cport 40009 --bytes 98304
  wait_srv; cap_stop
  say "$1: $(nss nft list chain inet tcpsim_loss pre | grep -o 'packets [0-9]*') dropped"
}

# ---- TLS scenarios ---------------------------------------------------------------------
# Certificates (made once, kept in captures/tls-certs/ as the reference for tests of
# certificate fields): a CA and a server cert; and a 4-deep chain with 4096-bit keys and
# many SANs so the Certificate message spans several TCP segments.
mk_cert() { # NAME SUBJECT ISSUER BITS EXTFILE
  local n=$1 subj=$2 iss=$3 bits=$4 ext=$5
  openssl req -new -newkey "rsa:$bits" -nodes -keyout "$CERTS/$n.key" -subj "$subj" \
    -out "$CERTS/$n.csr" 2>/dev/null
  if [ "$iss" = self ]; then
    openssl x509 -req -in "$CERTS/$n.csr" -signkey "$CERTS/$n.key" -days 3650 -sha256 \
      -set_serial "0x$(printf '%s' "$n" | od -An -tx1 | tr -d ' \n' | cut -c1-16)" \
      -extfile "$ext" -out "$CERTS/$n.crt" 2>/dev/null
  else
    openssl x509 -req -in "$CERTS/$n.csr" -CA "$CERTS/$iss.crt" -CAkey "$CERTS/$iss.key" \
      -days 3650 -sha256 -set_serial "0x$(printf '%s' "$n" | od -An -tx1 | tr -d ' \n' | cut -c1-16)" \
      -extfile "$ext" -out "$CERTS/$n.crt" 2>/dev/null
  fi
  rm -f "$CERTS/$n.csr"
}

make_certs() {
  [ -s "$CERTS/server.crt" ] && [ -s "$CERTS/chain-leaf.crt" ] && return 0
  say "generating certificates in $CERTS"
  local t; t=$(mktemp -d)
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$t/ca.ext"
  printf 'basicConstraints=critical,CA:TRUE,pathlen:1\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$t/int.ext"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=DNS:www.tcpsim.test,DNS:tcpsim.test,IP:10.99.0.2,IP:fd00:99::2\n' >"$t/leaf.ext"
  {
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=DNS:www.tcpsim.test,DNS:tcpsim.test,IP:10.99.0.2'
    local i; for i in $(seq -w 1 60); do printf ',DNS:host%s.long-chain.tcpsim.test' "$i"; done
    printf '\n'
  } >"$t/bigleaf.ext"
  mk_cert ca "/C=KR/O=tcpsim test/CN=tcpsim Test Root CA" self 2048 "$t/ca.ext"
  mk_cert server "/C=KR/O=tcpsim test/CN=www.tcpsim.test" ca 2048 "$t/leaf.ext"
  mk_cert chain-root "/C=KR/O=tcpsim test/OU=long chain/CN=tcpsim Long Chain Root CA" self 4096 "$t/ca.ext"
  mk_cert chain-int1 "/C=KR/O=tcpsim test/OU=long chain/CN=tcpsim Intermediate CA 1" chain-root 4096 "$t/int.ext"
  mk_cert chain-int2 "/C=KR/O=tcpsim test/OU=long chain/CN=tcpsim Intermediate CA 2" chain-int1 4096 "$t/ca.ext"
  mk_cert chain-leaf "/C=KR/O=tcpsim test/OU=long chain/CN=www.tcpsim.test" chain-int2 4096 "$t/bigleaf.ext"
  # What the server sends after its own certificate (RFC 5246 §7.4.2: each one certifies
  # the one before it).
  cat "$CERTS/chain-int2.crt" "$CERTS/chain-int1.crt" >"$CERTS/chain-intermediates.pem"
  rm -rf "$t"
}

# tls_run NAME PORT "SERVER OPTS" "CLIENT OPTS" [CAfile]: one connection; the client sends
# an HTTP request, s_server -www answers it and closes (close_notify, FIN); -naccept 1 makes
# it exit; s_client -quiet ignores stdin EOF and leaves when the server closes.
tls_run() {
  local name=$1 port=$2 sopts=$3 copts=$4 ca=${5:-$CERTS/ca.crt}
  rm -f "$OUT/$name.keylog"
  # shellcheck disable=SC2086
  ip netns exec "$NS_S" timeout 30 openssl s_server -accept "$port" -naccept 1 -www $sopts \
    >"$OUT/.s_server.log" 2>&1 &
  BG_PIDS+=($!)
  wait_listen "$port"
  # shellcheck disable=SC2086
  printf 'GET / HTTP/1.0\r\nHost: www.tcpsim.test\r\n\r\n' |
    nsc timeout 15 openssl s_client -connect "$S4:$port" -CAfile "$ca" -verify_return_error \
      -quiet -keylogfile "$OUT/$name.keylog" $copts >/dev/null 2>"$OUT/.s_client.err" ||
    { cat "$OUT/.s_client.err" >&2; die "$name: s_client failed"; }
  rm -f "$OUT/.s_client.err"
  wait_srv || { cat "$OUT/.s_server.log" >&2; die "$name: s_server failed"; }
  rm -f "$OUT/.s_server.log"
}

SRV_CERT="-cert $CERTS/server.crt -key $CERTS/server.key"

sc_tls12-rsa() {
  net_up; cap_start "$1"
  tls_run "$1" 443 "$SRV_CERT -tls1_2 -cipher AES128-GCM-SHA256" "-tls1_2 -cipher AES128-GCM-SHA256"
  cap_stop
}
sc_tls12-ecdhe() {
  net_up; cap_start "$1"
  tls_run "$1" 443 "$SRV_CERT -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256" "-tls1_2 -servername www.tcpsim.test"
  cap_stop
}
sc_tls13-sni-alpn() {
  net_up; cap_start "$1"
  tls_run "$1" 443 "$SRV_CERT -tls1_3 -alpn h2,http/1.1" "-tls1_3 -servername www.tcpsim.test -alpn h2,http/1.1"
  cap_stop
}
# Server accepts only P-256; the client's key_share carries only its first group, X25519,
# so the server answers with HelloRetryRequest (RFC 8446 §4.1.4).
sc_tls13-hrr() {
  net_up; cap_start "$1"
  tls_run "$1" 443 "$SRV_CERT -tls1_3 -groups P-256" "-tls1_3 -groups X25519:P-256 -servername www.tcpsim.test"
  cap_stop
}
# TLS 1.2 so the Certificate message is in clear text (in 1.3 it is encrypted).
sc_tls12-long-chain() {
  net_up; cap_start "$1"
  tls_run "$1" 443 "-cert $CERTS/chain-leaf.crt -key $CERTS/chain-leaf.key -cert_chain $CERTS/chain-intermediates.pem -tls1_2" \
    "-tls1_2 -servername www.tcpsim.test" "$CERTS/chain-root.crt"
  cap_stop
}
sc_tls12-small-mtu() {
  net_up 576; cap_start "$1"
  tls_run "$1" 443 "$SRV_CERT -tls1_2" "-tls1_2 -servername www.tcpsim.test"
  cap_stop
}
sc_tls13-port-4433() {
  net_up; cap_start "$1"
  tls_run "$1" 4433 "$SRV_CERT -tls1_3" "-tls1_3 -servername www.tcpsim.test"
  cap_stop
}
sc_http-plain-443() {
  net_up; cap_start "$1"
  bg_srv python3 "$APP" srv-http --addr "$S4" --port 443
  wait_listen 443
  nsc timeout 20 python3 "$APP" cli-http --addr "$S4" --port 443 --cport 40443
  wait_srv; cap_stop
}

# ---- checks ------------------------------------------------------------------------------
# What each capture must show, as tshark counts it; a re-run that records something else
# (a changed kernel default, a scenario that misfired) stops here instead of silently
# replacing a good reference. Format: NAME|display filter|operator|count.
EXPECT='
tcp-client-close|tcp.flags.fin == 1|-eq|2
tcp-server-close|tcp.flags.fin == 1|-eq|2
tcp-refused|tcp.flags.reset == 1 && tcp.flags.ack == 1|-eq|2
tcp-rst-abort|tcp.flags.reset == 1 && tcp.srcport == 40004|-eq|1
tcp-half-close|tcp.len > 0 && tcp.srcport == 5005|-ge|4
tcp-syn-retrans|tcp.flags.syn == 1 && tcp.analysis.retransmission|-ge|4
tcp-zero-window|tcp.analysis.zero_window|-ge|1
tcp-zero-window|tcp.analysis.window_update|-ge|1
tcp-many-v4v6|tcp.flags.syn == 1 && tcp.flags.ack == 0|-eq|40
tcp-many-v4v6|tcp.analysis.reused_ports|-eq|6
tcp-loss-reorder|tcp.analysis.retransmission or tcp.analysis.fast_retransmission or tcp.analysis.out_of_order|-ge|2
tcp-loss-reorder|tcp.analysis.duplicate_ack|-ge|2
fmt-pcapng-half-close|frame.interface_id == 0 && tcp|-eq|16
fmt-sll2-v6-client-close|sll && ipv6 && tcp|-eq|10
tls12-rsa|tls.handshake.type == 2 && tls.handshake.ciphersuite == 0x009c|-eq|1
tls12-rsa|tls.handshake.type == 16|-eq|1
tls12-ecdhe|tls.handshake.type == 12|-eq|1
tls13-sni-alpn|tls.handshake.extensions_server_name == "www.tcpsim.test" && tls.handshake.extensions_alpn_str == "h2"|-eq|1
tls13-sni-alpn|tls.handshake.extensions.supported_version == 0x0304 && tls.handshake.type == 2|-eq|1
tls13-hrr|tls.handshake.type == 1|-eq|2
tls12-long-chain|tls.handshake.certificate|-eq|3
tls12-long-chain|tcp.segments|-ge|1
tls12-small-mtu|tcp.len == 524|-ge|4
tls13-port-4433|tls.handshake.type == 1 && tcp.dstport == 4433|-eq|1
http-plain-443|tls|-eq|0
http-plain-443|http.request && tcp.dstport == 443|-eq|1
'
check_capture() {
  local name=$1 file=$2 cname filt op n got ok
  while IFS='|' read -r cname filt op n; do
    [ "$cname" = "$name" ] || continue
    got=$(tshark -r "$file" -Y "$filt" -T fields -e frame.number 2>/dev/null | wc -l)
    # tls.handshake.certificate occurs once per certificate in one frame: count those.
    case "$filt" in tls.handshake.certificate)
      got=$(tshark -r "$file" -Y "$filt" -T fields -E occurrence=a -E aggregator=/s -e "$filt" 2>/dev/null | wc -w) ;;
    esac
    case "$op" in
      -eq) ok=$(( got == n )) ;;
      -ge) ok=$(( got >= n )) ;;
      *) die "EXPECT: unknown operator '$op'" ;;
    esac
    [ "$ok" -eq 1 ] || die "$name: expected [$filt] $op $n frames, tshark counts $got (see $file)"
  done <<<"$EXPECT"
}

# ---- main --------------------------------------------------------------------------------
for n in "${want[@]}"; do
  case "$n" in tls*) make_certs; break ;; esac
done
CONV_FOR=" tcp-many-v4v6 tcp-syn-retrans tcp-loss-reorder tcp-zero-window tls13-sni-alpn "
for n in "${want[@]}"; do
  say "== $n"
  "sc_$n" "$n"
  conv=()
  case "$CONV_FOR" in *" $n "*) conv=(--conv) ;; esac
  check_capture "$n" "$CAP_FILE"
  bash "$ROOT/scripts/tshark-ref.sh" "${conv[@]}" "$CAP_FILE"
  net_down
done
du -sh "$OUT" >&2
