-- hako.seccomp_constants: the symbolic names a seccomp policy may use for argument values
-- and errno numbers. Pure data.
--
-- Only the constants profiles need; each has the same value on x86 (x86_64, i386, x32)
-- and on the arm family (aarch64, arm), whose headers share asm-generic's socket, clone,
-- personality and errno numbers and x86's tty ioctls (asm-generic/ioctls.h).

local M = {}

M.values = {
  -- address families (linux/socket.h)
  AF_UNSPEC = 0, AF_UNIX = 1, AF_LOCAL = 1, AF_INET = 2, AF_INET6 = 10, AF_KEY = 15,
  AF_NETLINK = 16, AF_PACKET = 17, AF_BLUETOOTH = 31, AF_ALG = 38, AF_VSOCK = 40, AF_XDP = 44,
  -- socket types and flags (linux/net.h, asm-generic/fcntl.h: O_NONBLOCK, O_CLOEXEC)
  SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_RDM = 4, SOCK_SEQPACKET = 5,
  SOCK_PACKET = 10, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000,
  -- clone(2) and unshare(2) flags (linux/sched.h)
  CSIGNAL = 0xff, CLONE_NEWTIME = 0x80, CLONE_VM = 0x100, CLONE_FS = 0x200,
  CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000,
  CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000, CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000,
  CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
  CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000, CLONE_UNTRACED = 0x800000,
  CLONE_CHILD_SETTID = 0x1000000, CLONE_NEWCGROUP = 0x2000000, CLONE_NEWUTS = 0x4000000,
  CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000,
  CLONE_NEWNET = 0x40000000, CLONE_IO = 0x80000000,
  -- personality(2) (linux/personality.h); PER_QUERY is hako's name for 0xffffffff,
  -- which asks for the current persona and changes nothing
  PER_LINUX = 0, PER_LINUX32 = 8, UNAME26 = 0x20000, ADDR_NO_RANDOMIZE = 0x40000,
  READ_IMPLIES_EXEC = 0x400000, ADDR_LIMIT_3GB = 0x8000000, PER_QUERY = 0xffffffff,
  -- tty ioctl requests (asm-generic/ioctls.h, also x86's and arm's)
  TIOCSCTTY = 0x540E, TIOCSTI = 0x5412, TIOCLINUX = 0x541C, TIOCSETD = 0x5423,
  -- prctl(2) options a policy may want to single out (linux/prctl.h)
  PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15, PR_SET_SECCOMP = 22,
  PR_SET_NO_NEW_PRIVS = 38,
}

-- errno numbers (asm-generic/errno-base.h, errno.h), by name; the first name of a number
-- in ERRNO_ORDER is the one a policy is printed with.
local ERRNO_ORDER = {
  { "EPERM", 1 }, { "ENOENT", 2 }, { "ESRCH", 3 }, { "EINTR", 4 }, { "EIO", 5 }, { "ENXIO", 6 },
  { "E2BIG", 7 }, { "ENOEXEC", 8 }, { "EBADF", 9 }, { "ECHILD", 10 }, { "EAGAIN", 11 },
  { "EWOULDBLOCK", 11 }, { "ENOMEM", 12 }, { "EACCES", 13 }, { "EFAULT", 14 }, { "EBUSY", 16 },
  { "EEXIST", 17 }, { "EXDEV", 18 }, { "ENODEV", 19 }, { "ENOTDIR", 20 }, { "EISDIR", 21 },
  { "EINVAL", 22 }, { "ENFILE", 23 }, { "EMFILE", 24 }, { "ENOTTY", 25 }, { "ETXTBSY", 26 },
  { "EFBIG", 27 }, { "ENOSPC", 28 }, { "ESPIPE", 29 }, { "EROFS", 30 }, { "EMLINK", 31 },
  { "EPIPE", 32 }, { "EDOM", 33 }, { "ERANGE", 34 }, { "ENOSYS", 38 }, { "ENOTSOCK", 88 },
  { "EPROTONOSUPPORT", 93 }, { "EOPNOTSUPP", 95 }, { "ENOTSUP", 95 }, { "EAFNOSUPPORT", 97 },
  { "EADDRINUSE", 98 }, { "EADDRNOTAVAIL", 99 }, { "ENETUNREACH", 101 }, { "ECONNREFUSED", 111 },
  { "EHOSTUNREACH", 113 },
}

M.errno = {}
M.errno_name = {}
for _, pair in ipairs(ERRNO_ORDER) do
  local name, number = pair[1], pair[2]
  M.errno[name] = number
  M.errno_name[number] = M.errno_name[number] or name
end

-- The largest errno a seccomp filter can return (the kernel's MAX_ERRNO).
M.MAX_ERRNO = 4095

-- value(word) -> the number a constant's name stands for, or nil.
function M.value(word)
  return M.values[word] or M.errno[word]
end

return M
