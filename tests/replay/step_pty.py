#!/usr/bin/env python3
"""step_pty.py CLI CAPTURES - drive 'tcpsim replay --step' (issue 7) on a
pseudo-terminal: one segment per key press with both state machines and the
current states marked, 'q' runs to the end, the terminal is left as found
(also on SIGINT); with --no-pause, or when stdin is not a terminal, it runs
straight through without a prompt."""
import os, pty, select, signal, subprocess, sys, termios, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ptydrive import Checks, lflag, read_until, spawn  # noqa: E402

cli, caps = sys.argv[1], sys.argv[2]
cap = os.path.join(caps, "tls12-ecdhe.pcap")
check = Checks()


# 1. pause after the SYN, a key shows the SYN-ACK, 'q' runs to the end
pid, fd = spawn(cli, ["replay", "--step", "--no-color", cap])
out = read_until(fd, b"[Enter/space")
check("names the connection", b"connection 0: 10.99.0.1:48750 -> 10.99.0.2:443" in out, out[:300].decode("utf-8", "replace"))
check("pauses after the first segment", b"[Enter/space" in out, out[-200:].decode("utf-8", "replace"))
check("both machines drawn, current states marked", b"> SYN_SENT" in out and b"> SYN_RECEIVED" in out)
check("terminal in raw mode while paused", not (lflag(fd) & termios.ICANON) and not (lflag(fd) & termios.ECHO))
check("only the first segment shown so far", b"SYN,ACK" not in out)
os.write(fd, b" ")
out = read_until(fd, b"[Enter/space")
check("a key shows the next segment", b"SYN,ACK seq=0 ack=1" in out and b"PSH,ACK" not in out)
os.write(fd, b"\n")
out = read_until(fd, b"[Enter/space")
check("the handshake completes: both ESTABLISHED", b"> ESTABLISHED" in out)
os.write(fd, b"q")
out = read_until(fd, b"total:", 5.0)
_, status = os.waitpid(pid, 0)
check("q runs to the end (TLS on the way, totals last)", b"ClientHello" in out and b"total: 20 frames" in out)
check("exit status 0", os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, str(status))
os.close(fd)

# 2. Korean, then SIGINT while paused: the terminal is restored before it dies
pid, fd = spawn(cli, ["replay", "--step", "--lang", "ko", cap])
out = read_until(fd, "[Enter/스페이스".encode())
check("Korean prompt and heading", "[Enter/스페이스".encode() in out and "연결 0:".encode() in out)
raw = not (lflag(fd) & termios.ICANON)
os.kill(pid, signal.SIGINT)
_, status = os.waitpid(pid, 0)
check("SIGINT ends the replay", os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, str(status))
try:
    lf = lflag(fd)
    check("terminal restored after SIGINT", raw and (lf & termios.ICANON) and (lf & termios.ECHO))
except termios.error as e:
    check("terminal restored after SIGINT", False, str(e))
os.close(fd)

# 3. --no-pause on a terminal never waits
pid, fd = spawn(cli, ["replay", "--step", "--no-pause", cap])
out = read_until(fd, b"total:", 5.0)
_, status = os.waitpid(pid, 0)
check("--no-pause runs straight through", b"[Enter/space" not in out and b"total: 20 frames" in out)
os.close(fd)

# 4. stdin not a terminal: straight through, the same text every time
r = subprocess.run([cli, "replay", "--step", cap], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=20)
text = r.stdout.decode("utf-8", "replace")
check("non-TTY stdin: no prompt, exit 0", r.returncode == 0 and "[Enter/space" not in text, r.stderr.decode())
check("non-TTY stdin: every segment stepped", text.count("|-- ") + text.count("|<-") == 18 and "total: 20 frames" in text)
# The sender's own transition comes before its arrow, the receiver's after it
# (RFC 9293 figure 6; the ladder draws them so): CLOSED -> SYN_SENT before the
# SYN, LISTEN -> SYN_RECEIVED between the SYN and the SYN,ACK, and the first
# FIN's sender enters FIN_WAIT_1 before the FIN arrow.
i_sent = text.find("client: CLOSED -> SYN_SENT")
i_syn = text.find("|-- SYN seq=0 ")
i_rcvd = text.find("server: LISTEN -> SYN_RECEIVED")
i_synack = text.find("SYN,ACK seq=0 ack=1")
check("non-TTY stdin: SYN_SENT before the SYN arrow, SYN_RECEIVED after it",
      -1 not in (i_sent, i_syn, i_rcvd, i_synack) and i_sent < i_syn < i_rcvd < i_synack,
      "offsets %d %d %d %d" % (i_sent, i_syn, i_rcvd, i_synack))
i_fw1 = text.find("-> FIN_WAIT_1")
i_fin = text.find("FIN,ACK seq=")
check("non-TTY stdin: FIN_WAIT_1 before the FIN arrow", -1 not in (i_fw1, i_fin) and i_fw1 < i_fin,
      "offsets %d %d" % (i_fw1, i_fin))

# 5. --step with another format is a usage error
r = subprocess.run([cli, "replay", "--step", "--format", "json", cap], stdin=subprocess.DEVNULL,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
check("--step --format json: exit 2 with a reason", r.returncode == 2 and b"--step" in r.stderr and not r.stdout)

print("%d passed, %d failed" % (check.passed, check.failures))
sys.exit(1 if check.failures else 0)
