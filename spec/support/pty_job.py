#!/usr/bin/env python3
"""pty_job.py ACTION... -- COMMAND...: run COMMAND as a job in a terminal, the way an
interactive shell does, and act on it as a user at that terminal would.

A shell-like session leader owns a new pty; COMMAND runs in its own process group, in
the foreground. Actions, in order:
  expect=TEXT   read the terminal until TEXT appears (bounded: 20 s, then give up)
  type=TEXT     type TEXT (Python escapes: type=\\x03 is ^C, type=\\x1a is ^Z)
  stopped       wait until the shell sees the job stopped (waitpid WUNTRACED)
  fg            give the job the terminal again and send it SIGCONT, as `fg` does
  bg            send the stopped job SIGCONT, leaving it in the background, as `bg` does
  winsize=R,C   change the terminal's size (the kernel sends SIGWINCH to its foreground)
  touch=PATH    create the empty file PATH
  kill=SIG      send signal SIG (a name, e.g. USR1) to the job's first process only
  sleep=S       wait S seconds
  owner         print "owner: shell" or "owner: other": whose the terminal's foreground is
  halted=N      wait until N processes of the job's session are stopped (state T), and
                print "halted: NAMES" with their sorted names (bounded like expect)
  hangup        close the terminal (the kernel sends SIGHUP to its session leader)
With --leader first, COMMAND itself is the session leader (as when a login shell or
sshd's shell execs it), with no shell in between; only expect, type, touch and hangup
make sense then.
At the end it waits for the job and prints what the terminal showed, then a last line
"status=N" (128+N for signal N) or "stopped" / "timeout" when it never got that far.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

LIMIT = 20.0


def read_until(master, text, seen):
    end = time.monotonic() + LIMIT
    while text not in seen[0]:
        left = end - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            seen[0] += chunk.decode(errors="replace")
    return True


def halted(job):
    """The stopped processes of the job's session: its own, and those it made groups of."""
    session = os.getsid(job)
    names = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] in ("T", "t"):
            names.append(name)
    return sorted(names)


def shell(command, events_w, orders_r):
    """The session leader: a tiny job-control shell with one job."""
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(0, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(command[0], command)
    os.setpgid(job, job)
    os.tcsetpgrp(0, job)
    os.write(events_w, b"job %d\n" % job)
    while True:
        _, status = os.waitpid(job, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            os.tcsetpgrp(0, os.getpgrp())
            os.write(events_w, b"stopped\n")
            order = os.read(orders_r, 1)
            if order == b"":
                os._exit(1)
            if order == b"c":
                os.tcsetpgrp(0, job)
            os.killpg(job, signal.SIGCONT)
            continue
        code = os.waitstatus_to_exitcode(status)
        os.write(events_w, b"status=%d\n" % (code if code >= 0 else 128 - code))
        os._exit(0)


def leader(actions, command):
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = [""]
    for action in actions:
        name, _, value = action.partition("=")
        if name == "expect" and not read_until(master, value, seen):
            break
        if name == "type":
            os.write(master, value.encode().decode("unicode_escape").encode("latin-1"))
        if name == "touch":
            open(value, "a").close()
        if name == "hangup":
            os.close(master)
    end = time.monotonic() + LIMIT
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            sys.stdout.write(seen[0] + "\nstatus=%d\n" % (code if code >= 0 else 128 - code))
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stdout.write(seen[0] + "\ntimeout\n")


def main(argv):
    if argv[0] == "--leader":
        split = argv.index("--")
        return leader(argv[1:split], argv[split + 1:])
    split = argv.index("--")
    actions, command = argv[:split], argv[split + 1:]
    events_r, events_w = os.pipe()
    orders_r, orders_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        os.close(events_r)
        os.close(orders_w)
        try:
            shell(command, events_w, orders_r)
        finally:
            os._exit(127)
    os.close(events_w)
    os.close(orders_r)
    events = os.fdopen(events_r, "rb", buffering=0)
    job = int(events.readline().split()[1])
    seen = [""]
    result = "timeout"
    for action in actions:
        name, _, value = action.partition("=")
        if name == "expect":
            if not read_until(master, value, seen):
                break
        elif name == "type":
            os.write(master, value.encode().decode("unicode_escape").encode("latin-1"))
        elif name == "stopped":
            # Never wait for ever: a job that does not stop is a failure, not a hang.
            ready, _, _ = select.select([events], [], [], LIMIT)
            line = events.readline().decode().strip() if ready else ""
            if line != "stopped":
                result = line or "timeout"
                break
        elif name == "fg":
            os.write(orders_w, b"c")
        elif name == "bg":
            os.write(orders_w, b"b")
        elif name == "winsize":
            rows, cols = (int(n) for n in value.split(","))
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        elif name == "halted":
            end = time.monotonic() + LIMIT
            while len(halted(job)) < int(value) and time.monotonic() < end:
                time.sleep(0.01)
            seen[0] += "\nhalted: " + " ".join(halted(job)) + "\n"
        elif name == "touch":
            open(value, "a").close()
        elif name == "kill":
            os.kill(job, getattr(signal, "SIG" + value))
        elif name == "sleep":
            time.sleep(float(value))
        elif name == "owner":
            seen[0] += "\nowner: " + ("shell" if os.tcgetpgrp(master) == pid else "other") + "\n"
    else:
        ready, _, _ = select.select([events], [], [], LIMIT)
        line = events.readline().decode().strip() if ready else ""
        result = line or "timeout"
    # What the job wrote before it ended is in the terminal's buffer by now.
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen[0] += chunk.decode(errors="replace")
    sys.stdout.write(seen[0].replace("\r\n", "\n"))
    sys.stdout.write("\n" + result + "\n")
    if result == "timeout":
        os.killpg(job, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main(sys.argv[1:])
