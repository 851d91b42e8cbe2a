#!/usr/bin/env python3
"""step_pty.py CLI - drive 'tcpsim teach handshake' on a pseudo-terminal:
it must pause after each segment (prompt and state machines shown), advance on
a key, run to the end on 'q', and leave the terminal as it found it, also when
interrupted by SIGINT (Ctrl-C) in the middle of a lesson."""
import os, pty, select, signal, sys, termios, time

cli = sys.argv[1]
failures = 0
passed = 0


def check(name, ok, detail=""):
    global failures, passed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failures += 1
        print("FAIL " + name + (": " + detail if detail else ""))


def read_until(fd, needle, timeout=5.0):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle in buf:
                return buf
    return buf


def spawn(args):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execv(cli, [cli] + args)
    return pid, fd


def lflag(fd):
    return termios.tcgetattr(fd)[3]


# 1. pause, advance, then 'q' runs to the end
pid, fd = spawn(["teach", "handshake"])
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
pid, fd = spawn(["teach", "close", "--color"])
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
pid, fd = spawn(["teach", "handshake", "--no-pause"])
out = read_until(fd, b"server went through", 5.0)
_, status = os.waitpid(pid, 0)
check("--no-pause runs straight through", b"[Enter/space" not in out and b"server went through" in out)

print("%d passed, %d failed" % (passed, failures))
sys.exit(1 if failures else 0)
