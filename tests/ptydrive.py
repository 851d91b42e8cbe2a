"""ptydrive.py - drive a tcpsim command on a pseudo-terminal, for the
step-through tests (tests/teach/step_pty.py, tests/replay/step_pty.py)."""
import os, pty, select, termios, time


class Checks:
    """ok/FAIL lines and counts; the caller exits non-zero when failures > 0."""

    def __init__(self):
        self.failures = 0
        self.passed = 0

    def __call__(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   " + name)
        else:
            self.failures += 1
            print("FAIL " + name + (": " + detail if detail else ""))


def read_until(fd, needle, timeout=5.0):
    """Read from fd until needle appears, EOF, or timeout; return what was read."""
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


def spawn(cli, args):
    """Run cli with args on a new pseudo-terminal; return (pid, master fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execv(cli, [cli] + args)
    return pid, fd


def lflag(fd):
    """The terminal's local mode flags (to see whether raw mode was restored)."""
    return termios.tcgetattr(fd)[3]
