# libseccomp.py OUT: the bench's policy (stdin, one rule a line, from filters.lua) compiled
# by libseccomp (Debian's python3-seccomp) into raw BPF at OUT: the bench's comparison,
# never a part of hako. Its binary tree (CTL_OPTIMIZE 2) and the arches hako covers.
#   default ACTION
#   arch x86|x32|arm|...
#   rule NAME ACTION [ARG OP VALUE MASK]...      ACTION: allow | errno N | kill
import sys
import seccomp

OPS = {"eq": seccomp.EQ, "ne": seccomp.NE, "lt": seccomp.LT, "le": seccomp.LE,
       "gt": seccomp.GT, "ge": seccomp.GE, "masked_eq": seccomp.MASKED_EQ}
ARCHES = {"x86": seccomp.Arch.X86, "x32": seccomp.Arch.X32, "arm": seccomp.Arch.ARM}


def action(words):
    if words[0] == "allow":
        return seccomp.ALLOW, words[1:]
    if words[0] == "errno":
        return seccomp.ERRNO(int(words[1])), words[2:]
    if words[0] == "kill":
        return seccomp.KILL_PROCESS, words[1:]
    raise ValueError("unknown action " + words[0])


lines = [line.split() for line in sys.stdin if line.strip()]
default, _ = action(lines[0][1:])
f = seccomp.SyscallFilter(default)
f.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)
skipped = []
for words in lines[1:]:
    if words[0] == "arch":
        f.add_arch(ARCHES[words[1]])
        continue
    name = words[1]
    act, rest = action(words[2:])
    args = []
    while rest:
        arg, op, value, mask = rest[:4]
        rest = rest[4:]
        if op == "masked_eq":
            args.append(seccomp.Arg(int(arg), OPS[op], int(mask, 0), int(value, 0)))
        else:
            args.append(seccomp.Arg(int(arg), OPS[op], int(value, 0)))
    try:
        f.add_rule(act, name, *args)
    except (RuntimeError, ValueError, OSError) as e:
        skipped.append("%s (%s)" % (name, e))
with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)
if skipped:
    sys.stderr.write("libseccomp.py: skipped " + ", ".join(skipped) + "\n")
