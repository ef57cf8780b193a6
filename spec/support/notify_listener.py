"""notify_listener.py SOCKET OUT: a stand-in for systemd's notify socket, for spec/notify_spec.lua.

Binds a unix datagram socket at SOCKET (a path, or @NAME for an abstract one) and writes
one line to OUT per datagram: "pid=<sender's pid> started=<yes|no> <text, newlines as |>".
started says whether, when the datagram came, a process descended from the sender ran
/bin/sleep: the sandbox's command had been exec'd. Runs until killed (SIGTERM).
"""
import os
import signal
import socket
import struct
import sys


def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def started(pid):
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == b"/bin/sleep":
                    return True
        except OSError:
            pass
    return False


def main():
    where, out = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    if where.startswith("@"):
        s.bind("\0" + where[1:])
    else:
        s.bind(where)
        os.chmod(where, 0o777)  # as systemd's own /run/systemd/notify
    with open(out + ".ready", "w"):
        pass
    with open(out, "w") as log:
        while True:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = 0
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", value[:12])[0]
            text = data.decode(errors="replace").replace("\n", "|")
            log.write(f"pid={pid} started={'yes' if started(pid) else 'no'} {text}\n")
            log.flush()


main()
