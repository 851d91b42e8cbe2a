#!/usr/bin/env python3
"""tcpapp.py - the small TCP client/server programs behind scripts/make-captures.sh.

Each role makes the kernel's TCP (RFC 9293) do one thing we want to see in a
capture: who closes first (§3.6), a refused SYN (§3.10.7.1), an abortive close
(SO_LINGER 0 -> RST, §3.10.5), a half-close, SYN retransmission (RFC 6298 §5),
zero-window probing (§3.8.6.1), port reuse. Everything is bounded by timeouts so
a scenario can never hang, and the only addresses used are those the caller
passes (the capture script's own namespaces).

Usage: tcpapp.py ROLE [options]   (see --help)
"""
import argparse
import socket
import struct
import sys
import time

TIMEOUT = 10.0  # no single socket operation may block longer than this


def log(msg):
    print(f"tcpapp: {msg}", file=sys.stderr, flush=True)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(addr, port, backlog=8, rcvbuf=0):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        # Set before listen() so accepted sockets inherit it and the window
        # offered in the SYN-ACK is already small (RFC 9293 §3.8.6).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((addr, port))
    s.listen(backlog)
    s.settimeout(TIMEOUT)
    return s


def connect(addr, port, cport=0, caddr=None, timeout=TIMEOUT, sndbuf=0):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    if cport:
        s.bind((caddr or ("::" if family_of(addr) == socket.AF_INET6 else "0.0.0.0"), cport))
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def recv_all(s, limit=1 << 22):
    """Read until EOF (peer's FIN) and return the bytes."""
    out = bytearray()
    while len(out) < limit:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return bytes(out)


def recv_line(s):
    out = bytearray()
    while not out.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        out += b
    return bytes(out)


# ---- servers -------------------------------------------------------------

def srv_echo(a):
    """Serve N connections: read one line, answer it; then either close first
    (--close-first: server's FIN goes first, RFC 9293 §3.6 case 1 seen from the
    server) or wait for the client's FIN and close after it."""
    ls = listener(a.addr, a.port, a.backlog)
    for _ in range(a.count):
        c, peer = ls.accept()
        c.settimeout(TIMEOUT)
        line = recv_line(c)
        c.sendall(b"reply:" + line)
        if a.close_first:
            c.close()
        else:
            try:
                rest = recv_all(c)  # until the client's FIN
                if rest:
                    c.sendall(rest)
                # Close a little later than the delayed-ACK timer, so the FIN's ACK
                # leaves on its own and the active closer visibly sits in FIN_WAIT_2
                # (RFC 9293 §3.6) instead of getting ACK and FIN in one segment.
                time.sleep(a.close_delay)
            except ConnectionResetError:
                log("connection reset by the client (expected in tcp-rst-abort)")
            c.close()
    ls.close()


def srv_halfclose(a):
    """Read until the client's FIN (it did shutdown(SHUT_WR)), then keep
    sending on the still-open half (RFC 9293 §3.6: a FIN closes one direction
    only) and close."""
    ls = listener(a.addr, a.port)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    req = recv_all(c)
    for i in range(a.chunks):
        c.sendall((b"%d:" % i) + req[:16] + b"." * (a.chunk_size - 20) + b"\n")
        time.sleep(0.05)
    c.close()
    ls.close()


def srv_sink(a):
    """Accept one connection; optionally stay silent (not reading) for
    --pause seconds so the receive buffer fills and the window closes
    (RFC 9293 §3.8.6.1 zero window), then read slowly until EOF."""
    ls = listener(a.addr, a.port, rcvbuf=a.rcvbuf)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    time.sleep(a.pause)
    total = 0
    while True:
        b = c.recv(a.read_size)
        if not b:
            break
        total += len(b)
        if a.read_delay:
            time.sleep(a.read_delay)
    log(f"sink read {total} bytes")
    c.sendall(b"got %d\n" % total)
    c.close()
    ls.close()


def srv_noaccept(a):
    """Listen with a tiny backlog and never accept, for --hold seconds: once
    the accept queue is full Linux drops further SYNs (no SYN cookies, no
    abort_on_overflow), so clients retransmit their SYN (RFC 6298 §5.5)."""
    ls = listener(a.addr, a.port, backlog=a.backlog)
    time.sleep(a.hold)
    ls.close()


def srv_http(a):
    """A plain-text HTTP/1.0 server (on port 443 in the captures: a port alone
    must not make an analyser call it TLS)."""
    ls = listener(a.addr, a.port)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    req = bytearray()
    while b"\r\n\r\n" not in req:
        b = c.recv(4096)
        if not b:
            break
        req += b
    body = b"<html><body>plain HTTP on port 443, not TLS</body></html>\n"
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(body) + body)
    c.close()
    ls.close()


# ---- clients -------------------------------------------------------------

def cli_echo(a):
    """Connect, send one line, read the answer, then close first (default) or
    wait for the server's FIN (--wait-eof) and close after it."""
    s = connect(a.addr, a.port, a.cport)
    s.sendall(a.message.encode() + b"\n")
    if a.wait_eof:
        recv_all(s)
        time.sleep(a.close_delay)  # as in srv_echo: a separate ACK of the peer's FIN
    else:
        recv_line(s)
        time.sleep(0.05)
    s.close()


def cli_many(a):
    """N short connections, each: line, answer, wait for the server's FIN (the
    server closes first and so holds TIME_WAIT, which lets the client reuse
    the very same 4-tuple at once: RFC 9293 §3.10.7.4 / RFC 6191)."""
    for i in range(a.count):
        cport = a.cport if (i % a.reuse_every == 0) else a.cport + i
        s = connect(a.addr, a.port, cport)
        s.sendall(b"conn %d\n" % i)
        recv_all(s)
        s.close()
        time.sleep(0.03)


def cli_refused(a):
    """Connect to a port where nothing listens: the SYN gets <RST,ACK>
    (RFC 9293 §3.10.7.1) and connect() fails with ECONNREFUSED."""
    try:
        s = connect(a.addr, a.port, a.cport)
    except ConnectionRefusedError:
        log("refused, as expected")
        return
    s.close()
    raise SystemExit("tcpapp: connect to a closed port succeeded?")


def cli_abort(a):
    """Exchange a line, then close with SO_LINGER {on, 0}: the kernel drops
    the connection and sends RST instead of FIN (RFC 9293 §3.10.5 ABORT)."""
    s = connect(a.addr, a.port, a.cport)
    s.sendall(b"about to abort\n")
    recv_line(s)
    time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def cli_halfclose(a):
    s = connect(a.addr, a.port, a.cport)
    s.sendall(b"request then SHUT_WR\n")
    s.shutdown(socket.SHUT_WR)
    data = recv_all(s)
    log(f"half-close client got {len(data)} bytes")
    s.close()


def cli_bulk(a):
    """Write --bytes to the server as fast as the window allows, then close
    and wait for its one-line answer."""
    s = connect(a.addr, a.port, a.cport, sndbuf=a.sndbuf)
    block = bytes((i % 251) for i in range(4096))
    left = a.bytes
    while left > 0:
        n = min(left, len(block))
        s.sendall(block[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    recv_all(s)
    s.close()


def cli_http(a):
    """One plain-text HTTP/1.0 request; read the answer until the server's FIN."""
    s = connect(a.addr, a.port, a.cport)
    s.sendall(b"GET / HTTP/1.0\r\nHost: www.tcpsim.test\r\nUser-Agent: tcpsim-captures\r\n\r\n")
    recv_all(s)
    s.close()


def cli_synflood(a):
    """Several clients from fixed ports at once; with the server's accept
    queue full their SYNs are dropped and retransmitted. Each gives up after
    --timeout seconds (closing a SYN_SENT socket sends nothing)."""
    socks = []
    for i in range(a.count):
        s = socket.socket(family_of(a.addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", a.cport + i))
        s.setblocking(False)
        try:
            s.connect((a.addr, a.port))
        except BlockingIOError:
            pass
        socks.append(s)
        time.sleep(0.1)
    time.sleep(a.timeout)
    for s in socks:
        try:
            s.getpeername()
            state = "connected (in the server's accept queue)"
        except OSError:
            state = "still in SYN_SENT"
        log(f"client port {s.getsockname()[1]}: {state}")
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="role", required=True)

    def add(name, fn, client):
        q = sub.add_parser(name)
        q.add_argument("--addr", required=True)
        q.add_argument("--port", type=int, required=True)
        if client:
            q.add_argument("--cport", type=int, default=0, help="fixed client port")
        q.set_defaults(fn=fn)
        return q

    q = add("srv-echo", srv_echo, False)
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--backlog", type=int, default=8)
    q.add_argument("--close-first", action="store_true")
    q.add_argument("--close-delay", type=float, default=0.0,
                   help="seconds between the peer's FIN and our close()")
    q = add("srv-halfclose", srv_halfclose, False)
    q.add_argument("--chunks", type=int, default=4)
    q.add_argument("--chunk-size", type=int, default=1000)
    q = add("srv-sink", srv_sink, False)
    q.add_argument("--rcvbuf", type=int, default=0)
    q.add_argument("--pause", type=float, default=0.0)
    q.add_argument("--read-size", type=int, default=65536)
    q.add_argument("--read-delay", type=float, default=0.0)
    q = add("srv-noaccept", srv_noaccept, False)
    q.add_argument("--backlog", type=int, default=0)
    q.add_argument("--hold", type=float, default=5.0)
    add("srv-http", srv_http, False)

    q = add("cli-echo", cli_echo, True)
    q.add_argument("--message", default="hello")
    q.add_argument("--wait-eof", action="store_true")
    q.add_argument("--close-delay", type=float, default=0.0,
                   help="with --wait-eof: seconds between the server's FIN and our close()")
    q = add("cli-many", cli_many, True)
    q.add_argument("--count", type=int, default=20)
    q.add_argument("--reuse-every", type=int, default=5)
    add("cli-refused", cli_refused, True)
    add("cli-abort", cli_abort, True)
    add("cli-halfclose", cli_halfclose, True)
    add("cli-http", cli_http, True)
    q = add("cli-bulk", cli_bulk, True)
    q.add_argument("--bytes", type=int, default=65536)
    q.add_argument("--sndbuf", type=int, default=0)
    q = add("cli-synflood", cli_synflood, True)
    q.add_argument("--count", type=int, default=3)
    q.add_argument("--timeout", type=float, default=3.5)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
