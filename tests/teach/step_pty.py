#!/usr/bin/env python3
"""step_pty.py CLI - drive 'tcpsim teach handshake' on a pseudo-terminal:
it must pause after each segment (prompt and state machines shown), advance on
a key, run to the end on 'q', and leave the terminal as it found it, also when
interrupted by SIGINT (Ctrl-C) in the middle of a lesson."""
import os, pty, select, signal, sys, termios, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ptydrive import Checks, lflag, read_until, spawn  # noqa: E402

cli = sys.argv[1]
check = Checks()


# 1. pause, advance, then 'q' runs to the end
pid, fd = spawn(cli, ["teach", "handshake"])
before = None
out = read_until(fd, b"[Enter/space")
check("pauses after the first segment", b"[Enter/space" in out, out[-200:].decode("utf-8", "replace"))
check("state machines drawn, current state marked", b"> SYN_SENT" in out and b"> SYN_RECEIVED" in out)
check("terminal in raw mode while paused", not (lflag(fd) & termios.ICANON) and not (lflag(fd) & termios.ECHO))
check("only the first segment shown so far", b"SYN,ACK seq=0" not in out)
os.write(fd, b"\n")
out = read_until(fd, b"[Enter/space")
check("a key shows the next segment", b"SYN,ACK seq=0 ack=1" in out)
os.write(fd, b"q")
out = read_until(fd, b"went through", 5.0)
_, status = os.waitpid(pid, 0)
check("q runs to the end", b"server went through" in out + read_until(fd, b"server went through", 1.0))
check("exit status 0", os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, str(status))
os.close(fd)

# 2. SIGINT while paused: the terminal is restored before the process dies
pid, fd = spawn(cli, ["teach", "close", "--color"])
read_until(fd, b"[Enter/space")
raw = not (lflag(fd) & termios.ICANON)
os.kill(pid, signal.SIGINT)
_, status = os.waitpid(pid, 0)
check("SIGINT ends the lesson", os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, str(status))
try:
    lf = lflag(fd)
    check("terminal restored after SIGINT", raw and (lf & termios.ICANON) and (lf & termios.ECHO))
except termios.error as e:
    check("terminal restored after SIGINT", False, str(e))
os.close(fd)

# 3. --no-pause on a terminal never waits
pid, fd = spawn(cli, ["teach", "handshake", "--no-pause"])
out = read_until(fd, b"server went through", 5.0)
_, status = os.waitpid(pid, 0)
check("--no-pause runs straight through", b"[Enter/space" not in out and b"server went through" in out)

print("%d passed, %d failed" % (check.passed, check.failures))
sys.exit(1 if check.failures else 0)
