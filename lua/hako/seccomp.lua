-- hako.seccomp: the sandbox's seccomp filter, built as classic BPF bytes. Pure.
--
-- The filter fails some system calls with EPERM and allows everything else:
--  * ioctl(fd, TIOCSTI) and ioctl(fd, TIOCLINUX): TIOCSTI pushes characters into the
--    terminal's input, which the caller's shell reads once the sandbox has ended (bwrap
--    CVE-2017-5226), and TIOCLINUX can paste a console selection the same way. A new
--    session would stop TIOCSTI too, but would also take job control from shells.
--  * whole calls by name (plan.lua's DENIED_SYSCALLS): the keyring calls, because
--    without a user namespace the sandbox's uid is the host's, and so are its user and
--    persistent keyrings (and request_key makes the host run /sbin/request-key as root).
--
--  * with tcp_only, socket(2) but for AF_UNIX and TCP over IPv4 and IPv6: Landlock limits
--    TCP ports only, so "only TCP 443 out" also means no UDP, raw or packet sockets.
--    i386's socketcall(2) hides its arguments in memory a filter cannot read: denied then.
--    So are a TCP Fast Open connect, made by sendto/sendmsg/sendmmsg with MSG_FASTOPEN,
--    which Landlock does not check, and io_uring, whose operations (a socket of any kind,
--    a send) never pass through the filter at all.
--
-- The kernel takes the request as an unsigned int, so only the low 32 bits of args[1]
-- are compared: a request with high bits set cannot slip past.
--
-- A system call's number means something else on another ABI, and a process may call
-- in with any ABI the kernel offers: a 64-bit kernel runs 32-bit programs (and int 0x80
-- from a 64-bit one), and a 32-bit hako may run on a 64-bit kernel. So the filter knows
-- the numbers of every ABI of the machine's family, whichever of them hako was built
-- for, and kills a process calling in with any other (no filter is better made than a
-- wrong one). x32 shares x86_64's arch and sets bit 30 of the number: the filter lists
-- those numbers as well.

local M = {}

-- classic BPF (linux/bpf_common.h) and seccomp (linux/seccomp.h) numbers
M.LD_W_ABS = 0x20    -- BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at offset k
M.JEQ_K = 0x15       -- BPF_JMP | BPF_JEQ | BPF_K: A == k ? jt : jf
M.JA = 0x05          -- BPF_JMP | BPF_JA: jump k forward
M.AND_K = 0x54       -- BPF_ALU | BPF_AND | BPF_K: A &= k
M.RET_K = 0x06       -- BPF_RET | BPF_K: return k
M.RET_ALLOW = 0x7fff0000
M.RET_ERRNO = 0x00050000
M.RET_KILL_PROCESS = 0x80000000

-- offsets in struct seccomp_data
M.OFFSET_NR = 0
M.OFFSET_ARCH = 4
M.OFFSET_ARGS = 16

-- socket(2)'s arguments that tcp_only lets through (the same on every ABI hako knows)
M.AF_UNIX, M.AF_INET, M.AF_INET6 = 1, 2, 10
M.SOCK_STREAM, M.SOCK_TYPE_MASK, M.IPPROTO_TCP = 1, 0xf, 6
M.MSG_FASTOPEN = 0x20000000

-- AUDIT_ARCH_* (linux/audit.h)
M.X86_64, M.I386 = 0xC000003E, 0x40000003
M.AARCH64, M.ARM = 0xC00000B7, 0x40000028
M.RISCV64, M.RISCV32 = 0xC00000F3, 0x400000F3
local X32_BIT = 0x40000000

-- The same number for x86_64 and for x32, which sets bit 30 (unistd_x32.h).
local function and_x32(...)
  local list = {}
  for _, nr in ipairs({ ... }) do
    list[#list + 1] = nr
    list[#list + 1] = X32_BIT | nr
  end
  return list
end

-- asm-generic/unistd.h, which aarch64 and both riscv ABIs use.
-- io_uring_setup, io_uring_enter and io_uring_register: the same numbers everywhere.
local IO_URING = { 425, 426, 427 }
local GENERIC = { ioctl = { 29 }, add_key = { 217 }, request_key = { 218 }, keyctl = { 219 },
  socket = { 198 }, socketcall = {}, sendto = { 206 }, sendmsg = { 211 }, sendmmsg = { 269 }, io_uring = IO_URING }

-- ABI -> AUDIT_ARCH and the numbers of each call the filter knows, from the kernel's
-- syscall tables. x32's ioctl is 514 (its own compat entry) and, since Linux 5.4, 16
-- with the x32 bit too.
M.ABIS = {
  x86_64 = { arch = M.X86_64, nr = { ioctl = { 16, X32_BIT | 16, X32_BIT | 514 },
    add_key = and_x32(248), request_key = and_x32(249), keyctl = and_x32(250),
    socket = and_x32(41), socketcall = {}, sendto = and_x32(44), sendmsg = { 46, X32_BIT | 518 },
    sendmmsg = { 307, X32_BIT | 538 }, io_uring = and_x32(425, 426, 427) } },
  i386 = { arch = M.I386, nr = { ioctl = { 54 }, add_key = { 286 }, request_key = { 287 },
    keyctl = { 288 }, socket = { 359 }, socketcall = { 102 }, sendto = { 369 }, sendmsg = { 370 },
    sendmmsg = { 345 }, io_uring = IO_URING } },
  aarch64 = { arch = M.AARCH64, nr = GENERIC },
  arm = { arch = M.ARM, nr = { ioctl = { 54 }, add_key = { 309 }, request_key = { 310 },
    keyctl = { 311 }, socket = { 281 }, socketcall = {}, sendto = { 290 }, sendmsg = { 296 },
    sendmmsg = { 374 }, io_uring = IO_URING } },
  riscv64 = { arch = M.RISCV64, nr = GENERIC },
  riscv32 = { arch = M.RISCV32, nr = GENERIC },
}

-- The AUDIT_ARCH hako was built for -> every ABI a kernel that runs it may accept.
local X86, ARMS, RISCV = { "x86_64", "i386" }, { "aarch64", "arm" }, { "riscv64", "riscv32" }
M.FAMILIES = {
  [M.X86_64] = X86, [M.I386] = X86,
  [M.AARCH64] = ARMS, [M.ARM] = ARMS,
  [M.RISCV64] = RISCV, [M.RISCV32] = RISCV,
}

local function little_endian()
  return string.pack("=I4", 1):byte(1) == 1
end

-- Assemble { {code, k, jt = label, jf = label}, ..., label = index } into sock_filter
-- bytes. Jumps are relative to the next instruction and must go forward.
local function assemble(program, labels)
  local out = {}
  for i, insn in ipairs(program) do
    local function offset(target)
      if target == nil then return 0 end
      local to = labels[target] or error("no label " .. target)
      local delta = to - i - 1
      assert(delta >= 0 and delta < 256, "jump out of range")
      return delta
    end
    local k = insn.k or 0
    if insn.code == M.JA then k = offset(insn.to) end
    out[i] = string.pack("=I2BBI4", insn.code, offset(insn.jt), offset(insn.jf), k)
  end
  return table.concat(out)
end

-- program(native_arch, deny, errno) -> bytes of the filter, or nil, why.
-- deny = { ioctls = { request, ... }, syscalls = { name, ... }, tcp_only = bool }: the
-- ioctl requests (TIOCSTI, TIOCLINUX), the calls (names in ABIS' nr) to fail with errno,
-- and whether socket(2) is limited to AF_UNIX and TCP.
function M.program(native_arch, deny, errno)
  local family = M.FAMILIES[native_arch]
  if not family then return nil, string.format("unknown architecture 0x%08X", native_arch or 0) end
  for _, name in ipairs(deny.syscalls or {}) do
    for _, abi in ipairs(family) do
      if name == "ioctl" or not M.ABIS[abi].nr[name] then
        return nil, "no number known for system call " .. tostring(name) .. " on " .. abi
      end
    end
  end
  -- The low 32 bits of argument i.
  local function arg(i) return M.OFFSET_ARGS + 8 * i + (little_endian() and 0 or 4) end
  local program, labels = {}, {}
  local function emit(insn) program[#program + 1] = insn end
  local function label(name) labels[name] = #program + 1 end

  emit({ code = M.LD_W_ABS, k = M.OFFSET_ARCH })
  for _, abi in ipairs(family) do emit({ code = M.JEQ_K, k = M.ABIS[abi].arch, jt = abi }) end
  emit({ code = M.RET_K, k = M.RET_KILL_PROCESS })
  for _, abi in ipairs(family) do
    local nr = M.ABIS[abi].nr
    label(abi)
    emit({ code = M.LD_W_ABS, k = M.OFFSET_NR })
    if #(deny.ioctls or {}) > 0 then
      for _, n in ipairs(nr.ioctl) do emit({ code = M.JEQ_K, k = n, jt = "ioctl" }) end
    end
    for _, name in ipairs(deny.syscalls or {}) do
      for _, n in ipairs(nr[name]) do emit({ code = M.JEQ_K, k = n, jt = "deny" }) end
    end
    if deny.tcp_only then
      for _, n in ipairs(nr.socket) do emit({ code = M.JEQ_K, k = n, jt = "socket" }) end
      for _, n in ipairs(nr.socketcall) do emit({ code = M.JEQ_K, k = n, jt = "deny" }) end
      for _, n in ipairs(nr.io_uring) do emit({ code = M.JEQ_K, k = n, jt = "deny" }) end
      for _, n in ipairs(nr.sendto) do emit({ code = M.JEQ_K, k = n, jt = "flags3" }) end
      for _, n in ipairs(nr.sendmmsg) do emit({ code = M.JEQ_K, k = n, jt = "flags3" }) end
      for _, n in ipairs(nr.sendmsg) do emit({ code = M.JEQ_K, k = n, jt = "flags2" }) end
    end
    emit({ code = M.JA, to = "allow" })
  end
  label("ioctl")
  emit({ code = M.LD_W_ABS, k = arg(1) })
  for _, request in ipairs(deny.ioctls or {}) do emit({ code = M.JEQ_K, k = request, jt = "deny" }) end
  if deny.tcp_only then
    emit({ code = M.JA, to = "allow" })
    -- socket(family, type, protocol): AF_UNIX any; AF_INET(6) with SOCK_STREAM and
    -- protocol 0 or TCP (not SCTP's stream sockets); nothing else.
    label("socket")
    emit({ code = M.LD_W_ABS, k = arg(0) })
    emit({ code = M.JEQ_K, k = M.AF_UNIX, jt = "allow" })
    emit({ code = M.JEQ_K, k = M.AF_INET, jt = "inet" })
    emit({ code = M.JEQ_K, k = M.AF_INET6, jt = "inet" })
    emit({ code = M.JA, to = "deny" })
    label("inet")
    emit({ code = M.LD_W_ABS, k = arg(1) })
    emit({ code = M.AND_K, k = M.SOCK_TYPE_MASK })
    emit({ code = M.JEQ_K, k = M.SOCK_STREAM, jt = "protocol" })
    emit({ code = M.JA, to = "deny" })
    label("protocol")
    emit({ code = M.LD_W_ABS, k = arg(2) })
    emit({ code = M.JEQ_K, k = 0, jt = "allow" })
    emit({ code = M.JEQ_K, k = M.IPPROTO_TCP, jt = "allow" })
    emit({ code = M.JA, to = "deny" })
    -- the flags of sendto and sendmmsg (argument 3), sendmsg (2): no MSG_FASTOPEN
    for _, at in ipairs({ { "flags3", 3 }, { "flags2", 2 } }) do
      label(at[1])
      emit({ code = M.LD_W_ABS, k = arg(at[2]) })
      emit({ code = M.AND_K, k = M.MSG_FASTOPEN })
      emit({ code = M.JEQ_K, k = M.MSG_FASTOPEN, jt = "deny" })
      emit({ code = M.JA, to = "allow" })
    end
  end
  label("allow")
  emit({ code = M.RET_K, k = M.RET_ALLOW })
  label("deny")
  emit({ code = M.RET_K, k = M.RET_ERRNO | errno })
  return assemble(program, labels)
end

-- decode(bytes) -> { {code, jt, jf, k}, ... }: for tests and --dry-run readers.
function M.decode(bytes)
  local list = {}
  for i = 1, #bytes, 8 do
    local code, jt, jf, k = string.unpack("=I2BBI4", bytes, i)
    list[#list + 1] = { code = code, jt = jt, jf = jf, k = k }
  end
  return list
end

return M
