-- seccomp_spec: the BPF filter hako.seccomp builds, run through a small BPF interpreter.
local lu = require "luaunit"
local seccomp = require "hako.seccomp"

local TIOCSTI, TIOCLINUX, TIOCGWINSZ, EPERM = 0x5412, 0x541C, 0x5413, 1
local X86_64, I386, AARCH64, ARM = 0xC000003E, 0x40000003, 0xC00000B7, 0x40000028

local function little_endian()
  return string.pack("=I4", 1):byte(1) == 1
end

-- struct seccomp_data as the kernel lays it out: nr, arch, ip, args[6] (64-bit each).
local function data(arch, nr, arg1)
  local args = {}
  for i = 0, 5 do args[i] = 0 end
  args[1] = arg1 or 0
  local s = string.pack("=i4I4I8", nr, arch, 0)
  for i = 0, 5 do s = s .. string.pack("=I8", args[i]) end
  return s
end

-- Run a classic BPF program (only the instructions hako uses) on seccomp_data bytes.
local function run(bytes, input)
  local insns = seccomp.decode(bytes)
  local a, pc = 0, 1
  for _ = 1, #insns do
    local i = insns[pc]
    if i.code == seccomp.LD_W_ABS then
      a = string.unpack("=I4", input, i.k + 1)
      pc = pc + 1
    elseif i.code == seccomp.JEQ_K then
      pc = pc + 1 + (a == i.k and i.jt or i.jf)
    elseif i.code == seccomp.JA then
      pc = pc + 1 + i.k
    elseif i.code == seccomp.RET_K then
      return i.k
    else
      error(string.format("unexpected instruction 0x%x", i.code))
    end
  end
  error("ran off the end of the program")
end

local DENY = seccomp.RET_ERRNO | EPERM
local ALLOW = seccomp.RET_ALLOW

local function program(arch)
  return assert(seccomp.program(arch, { TIOCSTI, TIOCLINUX }, EPERM))
end

TestSeccomp = {}

function TestSeccomp.test_tiocsti_and_tioclinux_fail_on_every_x86_abi()
  local p = program(X86_64)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCLINUX)), DENY)
  lu.assertEquals(run(p, data(X86_64, 0x40000000 | 16, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 0x40000000 | 514, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(I386, 54, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(I386, 54, TIOCLINUX)), DENY)
end

function TestSeccomp.test_only_the_low_32_bits_of_the_request_count()
  local p = program(X86_64)
  lu.assertEquals(run(p, data(X86_64, 16, (1 << 32) | TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 16, (0xffffffff << 32) | TIOCLINUX)), DENY)
end

function TestSeccomp.test_other_ioctls_and_calls_are_allowed()
  local p = program(X86_64)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCGWINSZ)), ALLOW)
  -- the same numbers mean other calls elsewhere: 54 is setsockopt on x86_64, 16 lchown on i386
  lu.assertEquals(run(p, data(X86_64, 54, TIOCSTI)), ALLOW)
  lu.assertEquals(run(p, data(I386, 16, TIOCSTI)), ALLOW)
  lu.assertEquals(run(p, data(X86_64, 0, TIOCSTI)), ALLOW)
end

function TestSeccomp.test_aarch64_and_its_arm_compat()
  local p = program(AARCH64)
  lu.assertEquals(run(p, data(AARCH64, 29, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(ARM, 54, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(AARCH64, 54, TIOCSTI)), ALLOW)
end

function TestSeccomp.test_the_program_checks_the_arch_first_and_ends_in_returns()
  local insns = seccomp.decode(program(X86_64))
  lu.assertEquals(insns[1], { code = seccomp.LD_W_ABS, jt = 0, jf = 0, k = seccomp.OFFSET_ARCH })
  lu.assertEquals(insns[#insns].code, seccomp.RET_K)
  lu.assertEquals(insns[#insns - 1], { code = seccomp.RET_K, jt = 0, jf = 0, k = ALLOW })
  -- the request is read from the low word of args[1]
  local offset = little_endian() and 24 or 28
  local loads = {}
  for _, i in ipairs(insns) do
    if i.code == seccomp.LD_W_ABS then loads[#loads + 1] = i.k end
  end
  lu.assertEquals(loads, { 4, 0, 0, offset })
end

function TestSeccomp.test_an_unknown_architecture_is_refused()
  local p, why = seccomp.program(0x12345678, { TIOCSTI }, EPERM)
  lu.assertNil(p)
  lu.assertEquals(why, "unknown architecture 0x12345678")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
