#!/usr/bin/env python3
"""gen_vectors.py - regenerates vectors.h, the packet vectors of test_wire.

Frames follow what Linux 6.x puts on the wire (option layout of
tcp_options_write(): mss,sackOK,TS,nop,wscale on SYNs; nop,nop,TS on data;
nop,nop,TS,nop,nop,SACK on SACK ACKs). The SLL/SLL2 frames and lo_syn_partial
are verbatim from captures (tcpdump -i any -y LINUX_SLL[2] / -i lo) of a Linux
loopback connection, whose TCP checksums are partial (checksum offload).
Run: python3 gen_vectors.py OUTDIR [PCAPDIR]  (writes OUTDIR/vectors.h and, when
given, one PCAPDIR/vec_dlt<N>.pcap per link type; check those with
tshark -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE).
This checksum code is independent of src/wire/csum.c on purpose."""
import struct, sys, os

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip4(a): return bytes(int(x) for x in a.split('.'))
def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed

def tcp(src, dst, sport, dport, seq, ack, flags, win, opts=b'', payload=b'', urg=0, reserved=0):
    assert len(opts) % 4 == 0
    off = (20 + len(opts)) // 4
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4 | reserved, flags, win, 0, urg) + opts
    seg = hdr + payload
    if len(src) == 4:
        ph = src + dst + struct.pack('!BBH', 0, 6, len(seg))
    else:
        ph = src + dst + struct.pack('!IxxxB', len(seg), 6)
    c = csum(ph + seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]

def v4(src, dst, payload, ident, proto=6, ttl=64, df=True, frag=0, mf=False, ipopts=b'', total=None):
    ihl = (20 + len(ipopts)) // 4
    tl = total if total is not None else 20 + len(ipopts) + len(payload)
    fl = (0x4000 if df else 0) | (0x2000 if mf else 0) | frag
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tl, ident, fl, ttl, proto, 0, src, dst) + ipopts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def v6(src, dst, nh, payload, hlim=64, flow=0x12345, tc=0):
    return struct.pack('!IHBB', 6 << 28 | tc << 20 | flow, len(payload), nh, hlim) + src + dst + payload

def eth(et, payload, tags=()):
    h = bytes.fromhex('020000000002') + bytes.fromhex('020000000001')
    for tpid, vid in tags:
        h += struct.pack('!HH', tpid, vid)
    return h + struct.pack('!H', et) + payload

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
MSS = lambda v: struct.pack('!BBH', 2, 4, v)
SACKOK = b'\x04\x02'
TS = lambda a, b: struct.pack('!BBII', 8, 10, a, b)
NOP = b'\x01'
WS = lambda v: struct.pack('!BBB', 3, 3, v)
SACK = lambda *bl: struct.pack('!BB', 5, 2 + 8 * len(bl)) + b''.join(struct.pack('!II', l, r) for l, r in bl)

C4, S4 = ip4('10.0.0.1'), ip4('10.0.0.2')
C6, S6 = ip6('2001:db8::1'), ip6('2001:db8::2')
CISS, SISS = 0x8a3c12f0, 0x1b2e4d60
syn_opts = MSS(1460) + SACKOK + TS(1000, 0) + NOP + WS(7)
synack_opts = MSS(1460) + SACKOK + TS(2000, 1000) + NOP + WS(7)
ts = lambda a, b: NOP + NOP + TS(a, b)
req = b'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'

V = []  # (name, dlt, bytes, comment)
def add(name, dlt, b, comment):
    V.append((name, dlt, b, comment))

s = tcp(C4, S4, 43348, 443, CISS, 0, SYN, 64240, syn_opts)
add('eth_v4_syn', 1, eth(0x0800, v4(C4, S4, s, 0x5d1f)), 'Linux SYN 10.0.0.1:43348 -> 10.0.0.2:443')
s = tcp(S4, C4, 443, 43348, SISS, CISS + 1, SYN | ACK, 65160, synack_opts)
add('eth_v4_synack', 1, eth(0x0800, v4(S4, C4, s, 0)), 'Linux SYN-ACK')
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, PSH | ACK, 502, ts(1001, 2000), req)
add('eth_v4_data', 1, eth(0x0800, v4(C4, S4, s, 0x5d20)), 'PSH,ACK with 37-byte request')
s = tcp(S4, C4, 443, 43348, SISS + 1, CISS + 38, ACK, 509, ts(2001, 1001) + NOP + NOP + SACK((CISS + 1000, CISS + 2448), (CISS + 3896, CISS + 5344)))
add('eth_v4_sack', 1, eth(0x0800, v4(S4, C4, s, 0x1234)), 'ACK with TS and 2 SACK blocks')
s = tcp(C4, S4, 43348, 443, CISS + 38, SISS + 1, FIN | ACK, 502, ts(1050, 2001))
add('eth_v4_fin', 1, eth(0x0800, v4(C4, S4, s, 0x5d21)), 'FIN,ACK')
s = tcp(S4, C4, 443, 43348, SISS + 1, 0, RST, 0)
add('eth_v4_rst', 1, eth(0x0800, v4(S4, C4, s, 0, df=False)), 'RST, no options')
# Unknown options: TFO cookie (34) and MPTCP MP_CAPABLE (30), plus EOL padding.
s = tcp(C4, S4, 43350, 443, CISS, 0, SYN, 64240, MSS(1460) + bytes([34, 10]) + bytes.fromhex('0102030405060708') + bytes([30, 4, 0x00, 0x81]) + b'\x00\x00')
add('eth_v4_syn_unknown', 1, eth(0x0800, v4(C4, S4, s, 0x5d30)), 'SYN with TFO cookie, MPTCP and EOL padding')
# IPv4 with a Router Alert option (RFC 2113), IHL 6.
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, ACK, 502, ts(1001, 2000))
add('eth_v4_ipopts', 1, eth(0x0800, v4(C4, S4, s, 0x5d22, ipopts=bytes.fromhex('94040000'))), 'IPv4 with Router Alert option')
# IPv4 fragments of one data segment: first carries the TCP header, second the rest.
big = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, PSH | ACK, 502, ts(1001, 2000), bytes(range(48)))
add('eth_v4_frag1', 1, eth(0x0800, v4(C4, S4, big[:40], 0x7777, df=False, mf=True)), 'IPv4 first fragment (MF)')
add('eth_v4_frag2', 1, eth(0x0800, v4(C4, S4, big[40:], 0x7777, df=False, frag=5)), 'IPv4 second fragment (offset 40)')
# Ethernet minimum-size padding after a short IPv4 packet.
s = tcp(S4, C4, 443, 43348, SISS + 1, 0, RST, 0)
add('eth_v4_padded', 1, eth(0x0800, v4(S4, C4, s, 1, df=False)) + bytes(6), 'RST padded to 60 bytes')

s = tcp(C6, S6, 51000, 443, CISS, 0, SYN, 64800, MSS(1440) + SACKOK + TS(1000, 0) + NOP + WS(7))
add('eth_v6_syn', 1, eth(0x86dd, v6(C6, S6, 6, s)), 'Linux IPv6 SYN')
# Hop-by-hop (PadN) -> Routing type 4 (SRH, 1 segment, segments left 0) -> Destination options -> TCP
s = tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, PSH | ACK, 507, ts(1001, 2000), b'hello')
hbh = bytes([43, 0, 1, 4, 0, 0, 0, 0])
rt = bytes([60, 2, 4, 0, 0, 0, 0, 0]) + S6
dst = bytes([6, 0, 1, 4, 0, 0, 0, 0])
add('eth_v6_ext', 1, eth(0x86dd, v6(C6, S6, 0, hbh + rt + dst + s)), 'IPv6 HBH + routing + dest opts + TCP')
# AH (RFC 4302): next 6, len 4 -> (4+2)*4 = 24 bytes (12-byte ICV)
s = tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, ACK, 507, ts(1001, 2000))
ah = bytes([6, 4, 0, 0]) + struct.pack('!II', 0x100, 1) + bytes(range(12))
add('eth_v6_ah', 1, eth(0x86dd, v6(C6, S6, 51, ah + s)), 'IPv6 AH + TCP')
# IPv6 fragments: first (offset 0, M) with the TCP header; second (offset 16).
big6 = tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, PSH | ACK, 507, ts(1001, 2000), bytes(range(32)))
add('eth_v6_frag1', 1, eth(0x86dd, v6(C6, S6, 44, bytes([6, 0]) + struct.pack('!HI', 0 << 3 | 1, 0xabcd) + big6[:48])), 'IPv6 first fragment')
add('eth_v6_frag2', 1, eth(0x86dd, v6(C6, S6, 44, bytes([6, 0]) + struct.pack('!HI', 6 << 3 | 0, 0xabcd) + big6[48:])), 'IPv6 second fragment (offset 48)')
# ESP stops the chain (RFC 4303): SPI, seq, opaque bytes.
add('eth_v6_esp', 1, eth(0x86dd, v6(C6, S6, 50, struct.pack('!II', 0x200, 7) + bytes(24))), 'IPv6 ESP')

# VLAN: 802.1Q (vid 100) IPv4 data; QinQ 802.1ad 200 / 802.1Q 100 IPv6; three tags.
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, PSH | ACK, 502, ts(1001, 2000), req)
add('vlan_v4_data', 1, eth(0x0800, v4(C4, S4, s, 0x5d20), [(0x8100, 0x6000 | 100)]), '802.1Q vid 100, PCP 3')
s = tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, ACK, 507, ts(1001, 2000))
add('qinq_v6_ack', 1, eth(0x86dd, v6(C6, S6, 6, s), [(0x88a8, 0x1000 | 200), (0x8100, 0xa000 | 100)]), '802.1ad 200 (DEI) + 802.1Q 100 (PCP 5)')
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, ACK, 502, ts(1001, 2000))
add('vlan3_v4_ack', 1, eth(0x0800, v4(C4, S4, s, 0x5d21), [(0x9100, 300), (0x88a8, 200), (0x8100, 0x2000 | 100)]), '0x9100 300 + 802.1ad 200 + 802.1Q 100 (PCP 1)')

# Verbatim captures (Linux loopback, partial checksums).
add('sll_v4_syn', 113, bytes.fromhex(
    '000003040006000000000000000008004500003c534840004006e9717f0000017f000001e1e89cbd52ca868e00000000'
    'a002ffd7fe3000000204ffd70402080adabe8a51000000000103030a'), 'tcpdump -i any -y LINUX_SLL')
add('sll2_v4_syn', 276, bytes.fromhex(
    '08000000000000010304000600000000000000004500003c534840004006e9717f0000017f000001e1e89cbd52ca868e'
    '00000000a002ffd7fe3000000204ffd70402080adabe8a51000000000103030a'), 'tcpdump -i any -y LINUX_SLL2')
add('lo_syn_partial', 1, bytes.fromhex(
    '00000000000000000000000008004500003cd5f24000400666c77f0000017f000001a9549cbbeb5d069400000000'
    'a002ffd7fe3000000204ffd70402080ad328aac1000000000103030a'),
    'tcpdump -i lo SYN, checksum 0xfe30 is partial; tshark: should be 0x9a12')

# BSD NULL / LOOP / raw
s = tcp(C4, S4, 43348, 443, CISS, 0, SYN, 65535, MSS(16344) + NOP + WS(6) + NOP + NOP + TS(1000, 0) + SACKOK + b'\0\0')
add('null_v4_le_syn', 0, struct.pack('<I', 2) + v4(C4, S4, s, 0), 'macOS lo0 SYN, AF_INET little-endian (macOS option layout)')
s = tcp(C6, S6, 51000, 443, CISS, 0, SYN, 65535, MSS(16324) + NOP + WS(6) + NOP + NOP + TS(1000, 0) + SACKOK + b'\0\0')
add('null_v6_le_syn', 0, struct.pack('<I', 30) + v6(C6, S6, 6, s), 'macOS lo0 IPv6 SYN, AF_INET6 30 little-endian')
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, ACK, 502, ts(1001, 2000))
add('null_v4_be_ack', 0, struct.pack('>I', 2) + v4(C4, S4, s, 3), 'AF_INET big-endian (captured on a big-endian host)')
s = tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, ACK, 507, ts(1001, 2000))
add('loop_v6_ack', 108, struct.pack('>I', 24) + v6(C6, S6, 6, s), 'OpenBSD enc/lo LOOP, AF_INET6 24')
s = tcp(C4, S4, 43348, 443, CISS + 1, SISS + 1, ACK, 502, ts(1001, 2000))
add('raw_v4_ack', 101, v4(C4, S4, s, 4), 'LINKTYPE_RAW IPv4')
add('raw_v6_ack', 101, v6(C6, S6, 6, tcp(C6, S6, 51000, 443, CISS + 1, SISS + 1, ACK, 507, ts(1001, 2000))), 'LINKTYPE_RAW IPv6')

out = sys.argv[1] if len(sys.argv) > 1 else '.'
with open(os.path.join(out, 'vectors.h'), 'w') as f:
    f.write('/* vectors.h - packet vectors for test_wire (generated by gen_vectors.py; do not edit).\n'
            ' * Linux-shaped frames (RFC 9293 §3.1-3.2 headers, RFC 7323/2018 options). */\n')
    f.write('#ifndef TCPSIM_TEST_WIRE_VECTORS_H\n#define TCPSIM_TEST_WIRE_VECTORS_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n')
    for name, dlt, b, c in V:
        f.write('/* %s */\nstatic const uint8_t vec_%s[%d] = {\n' % (c, name, len(b)))
        for i in range(0, len(b), 16):
            f.write('    ' + ' '.join('0x%02x,' % x for x in b[i:i + 16]) + '\n')
        f.write('};\n')
    f.write('\nstruct wire_vector {\n    const char *name;\n    int dlt;\n    const uint8_t *bytes;\n    size_t len;\n};\n\n')
    f.write('static const struct wire_vector wire_vectors[] = {\n')
    for name, dlt, b, c in V:
        f.write('    {"%s", %d, vec_%s, sizeof vec_%s},\n' % (name, dlt, name, name))
    f.write('};\n#define WIRE_NVECTORS (sizeof wire_vectors / sizeof wire_vectors[0])\n\n#endif\n')
# one pcap per link type, for tshark
if len(sys.argv) < 3:
    sys.exit(0)
by = {}
for name, dlt, b, c in V:
    by.setdefault(dlt, []).append(b)
for dlt, frames in by.items():
    with open(os.path.join(sys.argv[2], 'vec_dlt%d.pcap' % dlt), 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, dlt))
        for i, b in enumerate(frames):
            f.write(struct.pack('<IIII', i, 0, len(b), len(b)) + b)
