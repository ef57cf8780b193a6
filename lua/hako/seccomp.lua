-- hako.seccomp: the sandbox's seccomp filter, built as classic BPF bytes. Pure.
--
-- The filter fails ioctl(fd, TIOCSTI) and ioctl(fd, TIOCLINUX) with EPERM and allows
-- everything else: TIOCSTI pushes characters into the terminal's input, which the
-- caller's shell reads once the sandbox has ended (bwrap CVE-2017-5226), and TIOCLINUX
-- can paste a console selection the same way. A new session would stop TIOCSTI too,
-- but would also take job control from interactive shells.
--
-- The kernel takes the request as an unsigned int, so only the low 32 bits of args[1]
-- are compared: a request with high bits set cannot slip past. A system call's number
-- means something else on another ABI, so the filter checks seccomp_data.arch and
-- knows the ioctl number of every ABI a process of this machine can call in with
-- (on x86_64 also i386 and x32). A native arch it does not know is refused: no filter
-- is better made than a wrong one.

local M = {}

-- classic BPF (linux/bpf_common.h) and seccomp (linux/seccomp.h) numbers
M.LD_W_ABS = 0x20    -- BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at offset k
M.JEQ_K = 0x15       -- BPF_JMP | BPF_JEQ | BPF_K: A == k ? jt : jf
M.JA = 0x05          -- BPF_JMP | BPF_JA: jump k forward
M.RET_K = 0x06       -- BPF_RET | BPF_K: return k
M.RET_ALLOW = 0x7fff0000
M.RET_ERRNO = 0x00050000

-- offsets in struct seccomp_data
M.OFFSET_NR = 0
M.OFFSET_ARCH = 4
M.OFFSET_ARGS = 16

local X86_64, I386, X32_BIT = 0xC000003E, 0x40000003, 0x40000000
local AARCH64, ARM, RISCV64 = 0xC00000B7, 0x40000028, 0xC00000F3

-- Native AUDIT_ARCH -> every { arch, ioctl numbers } a process may enter with.
-- x86_64's x32 ioctl is 16 with the x32 bit since Linux 5.4, and 514 before.
M.ABIS = {
  [X86_64] = { { arch = X86_64, ioctl = { 16, X32_BIT | 16, X32_BIT | 514 } },
    { arch = I386, ioctl = { 54 } } },
  [I386] = { { arch = I386, ioctl = { 54 } } },
  [AARCH64] = { { arch = AARCH64, ioctl = { 29 } }, { arch = ARM, ioctl = { 54 } } },
  [ARM] = { { arch = ARM, ioctl = { 54 } } },
  [RISCV64] = { { arch = RISCV64, ioctl = { 29 } } },
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

-- program(native_arch, requests, errno) -> bytes of the filter, or nil, why.
-- requests are the ioctl request numbers to fail with errno (TIOCSTI, TIOCLINUX).
function M.program(native_arch, requests, errno)
  local abis = M.ABIS[native_arch]
  if not abis then return nil, string.format("unknown architecture 0x%08X", native_arch or 0) end
  local args1 = M.OFFSET_ARGS + 8 + (little_endian() and 0 or 4)
  local program, labels = {}, {}
  local function emit(insn) program[#program + 1] = insn end
  local function label(name) labels[name] = #program + 1 end

  emit({ code = M.LD_W_ABS, k = M.OFFSET_ARCH })
  for i, abi in ipairs(abis) do emit({ code = M.JEQ_K, k = abi.arch, jt = "abi" .. i }) end
  emit({ code = M.JA, to = "allow" })
  for i, abi in ipairs(abis) do
    label("abi" .. i)
    emit({ code = M.LD_W_ABS, k = M.OFFSET_NR })
    for _, nr in ipairs(abi.ioctl) do emit({ code = M.JEQ_K, k = nr, jt = "ioctl" }) end
    emit({ code = M.JA, to = "allow" })
  end
  label("ioctl")
  emit({ code = M.LD_W_ABS, k = args1 })
  for _, request in ipairs(requests) do emit({ code = M.JEQ_K, k = request, jt = "deny" }) end
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
