-- seccomp_spec: the BPF filter hako.seccomp builds, run through a small BPF interpreter
-- on the seccomp_data of every ABI: this machine's kernel offers only some of them, and
-- the filter must hold on every kernel its hako may run on (a 32-bit hako on a 64-bit
-- kernel too).
local lu = require "luaunit"
local seccomp = require "hako.seccomp"

local TIOCSTI, TIOCLINUX, TIOCGWINSZ, EPERM = 0x5412, 0x541C, 0x5413, 1
local X86_64, I386, AARCH64, ARM = seccomp.X86_64, seccomp.I386, seccomp.AARCH64, seccomp.ARM
local RISCV64, RISCV32 = seccomp.RISCV64, seccomp.RISCV32
local X32 = 0x40000000
local KEYS = { "keyctl", "add_key", "request_key" }

local function little_endian()
  return string.pack("=I4", 1):byte(1) == 1
end

-- struct seccomp_data as the kernel lays it out: nr, arch, ip, args[6] (64-bit each).
-- arg1 alone, or args = { [0] = a0, a1, a2 }.
local function data(arch, nr, arg1, args)
  args = args or { [1] = arg1 }
  local s = string.pack("=I4I4I8", nr, arch, 0)
  for i = 0, 5 do s = s .. string.pack("=I8", args[i] or 0) end
  return s
end

-- Run a classic BPF program (only the instructions hako uses) on seccomp_data bytes,
-- as the kernel's checker would have it: forward jumps inside the program, a return
-- at the end of every path.
local function run(bytes, input)
  local insns = seccomp.decode(bytes)
  local a, pc = 0, 1
  while true do
    local i = insns[pc] or error("ran off the end of the program")
    if i.code == seccomp.LD_W_ABS then
      assert(i.k % 4 == 0 and i.k + 4 <= #input, "load out of seccomp_data")
      a = string.unpack("=I4", input, i.k + 1)
      pc = pc + 1
    elseif i.code == seccomp.JEQ_K then
      pc = pc + 1 + (a == i.k and i.jt or i.jf)
    elseif i.code == seccomp.AND_K then
      a = a & i.k
      pc = pc + 1
    elseif i.code == seccomp.JA then
      pc = pc + 1 + i.k
    elseif i.code == seccomp.RET_K then
      return i.k
    else
      error(string.format("unexpected instruction 0x%x", i.code))
    end
  end
end

local DENY = seccomp.RET_ERRNO | EPERM
local ALLOW = seccomp.RET_ALLOW
local KILL = seccomp.RET_KILL_PROCESS

local function program(arch, deny)
  return assert(seccomp.program(arch, deny or { ioctls = { TIOCSTI, TIOCLINUX }, syscalls = KEYS }, EPERM))
end

-- Each ABI's numbers, written out here from the kernel's tables (not from hako.seccomp).
local ABI = {
  x86_64 = { arch = X86_64, ioctl = 16, keyctl = 250, add_key = 248, request_key = 249, other = 54 },
  x32 = { arch = X86_64, ioctl = X32 | 16, keyctl = X32 | 250, add_key = X32 | 248,
    request_key = X32 | 249, other = X32 | 54 },
  x32_old = { arch = X86_64, ioctl = X32 | 514 },
  i386 = { arch = I386, ioctl = 54, keyctl = 288, add_key = 286, request_key = 287, other = 16 },
  aarch64 = { arch = AARCH64, ioctl = 29, keyctl = 219, add_key = 217, request_key = 218, other = 54 },
  arm = { arch = ARM, ioctl = 54, keyctl = 311, add_key = 309, request_key = 310, other = 29 },
  riscv64 = { arch = RISCV64, ioctl = 29, keyctl = 219, add_key = 217, request_key = 218, other = 54 },
  riscv32 = { arch = RISCV32, ioctl = 29, keyctl = 219, add_key = 217, request_key = 218, other = 54 },
}

-- Whatever ABI of its family hako was built for, the filter covers all of them.
local FAMILY = {
  [X86_64] = { "x86_64", "x32", "x32_old", "i386" }, [I386] = { "x86_64", "x32", "x32_old", "i386" },
  [AARCH64] = { "aarch64", "arm" }, [ARM] = { "aarch64", "arm" },
  [RISCV64] = { "riscv64", "riscv32" }, [RISCV32] = { "riscv64", "riscv32" },
}

TestSeccomp = {}

function TestSeccomp.test_tiocsti_and_tioclinux_fail_on_every_abi_of_the_family()
  for native, abis in pairs(FAMILY) do
    local p = program(native)
    for _, name in ipairs(abis) do
      local abi, what = ABI[name], string.format("hako for 0x%08X, %s", native, name)
      lu.assertEquals(run(p, data(abi.arch, abi.ioctl, TIOCSTI)), DENY, what)
      lu.assertEquals(run(p, data(abi.arch, abi.ioctl, TIOCLINUX)), DENY, what)
      lu.assertEquals(run(p, data(abi.arch, abi.ioctl, TIOCGWINSZ)), ALLOW, what)
    end
  end
end

function TestSeccomp.test_the_keyring_calls_fail_on_every_abi_of_the_family()
  for native, abis in pairs(FAMILY) do
    local p = program(native)
    for _, name in ipairs(abis) do
      local abi, what = ABI[name], string.format("hako for 0x%08X, %s", native, name)
      for _, call in ipairs(KEYS) do
        if abi[call] then lu.assertEquals(run(p, data(abi.arch, abi[call], 0)), DENY, what .. " " .. call) end
      end
    end
  end
end

-- The finding this guards: an i386 (or arm) hako on a 64-bit kernel filtered only its
-- own ABI's numbers, and a 64-bit program inside called TIOCSTI freely.
function TestSeccomp.test_a_32_bit_hako_filters_the_64_bit_abi()
  lu.assertEquals(run(program(I386), data(X86_64, 16, TIOCSTI)), DENY)
  lu.assertEquals(run(program(I386), data(X86_64, 250, 0)), DENY)
  lu.assertEquals(run(program(ARM), data(AARCH64, 29, TIOCSTI)), DENY)
  lu.assertEquals(run(program(RISCV32), data(RISCV64, 29, TIOCSTI)), DENY)
end

function TestSeccomp.test_an_abi_outside_the_family_is_killed()
  for native in pairs(FAMILY) do
    local p = program(native)
    for _, arch in ipairs({ 0, 0x12345678, 0xC00000B6, 0x800000B7 --[[aarch64 big-endian]] }) do
      lu.assertEquals(run(p, data(arch, 1, 0)), KILL)
    end
  end
  lu.assertEquals(run(program(X86_64), data(AARCH64, 29, TIOCSTI)), KILL)
  lu.assertEquals(run(program(AARCH64), data(X86_64, 16, TIOCSTI)), KILL)
end

function TestSeccomp.test_only_the_low_32_bits_of_the_request_count()
  local p = program(X86_64)
  lu.assertEquals(run(p, data(X86_64, 16, (1 << 32) | TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 16, (0xffffffff << 32) | TIOCLINUX)), DENY)
  lu.assertEquals(run(p, data(I386, 54, (1 << 32) | TIOCSTI)), DENY)
end

function TestSeccomp.test_other_calls_are_allowed()
  for native, abis in pairs(FAMILY) do
    local p = program(native)
    for _, name in ipairs(abis) do
      local abi = ABI[name]
      -- the same numbers mean other calls elsewhere: 54 is setsockopt on x86_64, 16 lchown on i386
      if abi.other then lu.assertEquals(run(p, data(abi.arch, abi.other, TIOCSTI)), ALLOW, name) end
      lu.assertEquals(run(p, data(abi.arch, 0, TIOCSTI)), ALLOW, name)
    end
  end
end

function TestSeccomp.test_only_what_is_asked_is_denied()
  local p = program(X86_64, { ioctls = { TIOCSTI } })
  lu.assertEquals(run(p, data(X86_64, 16, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCLINUX)), ALLOW)
  lu.assertEquals(run(p, data(X86_64, 250, 0)), ALLOW)
  p = program(X86_64, { syscalls = { "keyctl" } })
  lu.assertEquals(run(p, data(X86_64, 250, 0)), DENY)
  lu.assertEquals(run(p, data(X86_64, 248, 0)), ALLOW)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCSTI)), ALLOW)
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

-- tcp_only (--allow-connect, --allow-bind): socket() only for AF_UNIX and TCP, on every
-- ABI; i386's socketcall, whose arguments the filter cannot see, not at all.
local SOCKET = { x86_64 = 41, x32 = X32 | 41, i386 = 359, aarch64 = 198, arm = 281, riscv64 = 198, riscv32 = 198 }
local AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK = 1, 2, 10, 16, 17, 40
local STREAM, DGRAM, RAW, NONBLOCK_CLOEXEC = 1, 2, 3, 0x80800
local TCP, UDP, SCTP = 6, 17, 132

function TestSeccomp.test_tcp_only_lets_unix_and_tcp_sockets_through_and_nothing_else()
  for native, abis in pairs(FAMILY) do
    local p = program(native, { tcp_only = true })
    for _, name in ipairs(abis) do
      local nr, arch = SOCKET[name], ABI[name].arch
      if nr then
        local function socket(family, type, protocol)
          return run(p, data(arch, nr, nil, { [0] = family, type, protocol }))
        end
        local what = name .. " under " .. native
        lu.assertEquals(socket(AF_UNIX, DGRAM, 0), ALLOW, what)
        lu.assertEquals(socket(AF_INET, STREAM, 0), ALLOW, what)
        lu.assertEquals(socket(AF_INET6, STREAM | NONBLOCK_CLOEXEC, TCP), ALLOW, what)
        lu.assertEquals(socket(AF_INET, DGRAM, 0), DENY, what)
        lu.assertEquals(socket(AF_INET6, DGRAM, UDP), DENY, what)
        lu.assertEquals(socket(AF_INET, RAW, 1), DENY, what)
        lu.assertEquals(socket(AF_INET, STREAM, SCTP), DENY, what)
        for _, family in ipairs({ AF_NETLINK, AF_PACKET, AF_VSOCK }) do
          lu.assertEquals(socket(family, STREAM, 0), DENY, what .. " family " .. family)
        end
        -- the high half of a 64-bit argument does not count, as for the kernel's int
        lu.assertEquals(socket((1 << 32) | AF_INET, STREAM, 0), ALLOW, what)
        lu.assertEquals(socket((1 << 32) | AF_INET, DGRAM, 0), DENY, what)
      end
    end
    lu.assertEquals(run(program(native, {}), data(ABI[abis[1]].arch, SOCKET[abis[1]], nil,
      { [0] = AF_INET, DGRAM })), ALLOW, "without tcp_only")
  end
  lu.assertEquals(run(program(X86_64, { tcp_only = true }), data(I386, 102, 1)), DENY)
  lu.assertEquals(run(program(X86_64, {}), data(I386, 102, 1)), ALLOW)
end

-- A TCP Fast Open connect (sendto/sendmsg/sendmmsg with MSG_FASTOPEN) is not checked by
-- Landlock, and io_uring's operations never reach the filter: with tcp_only, both fail.
local SENDS = {
  x86_64 = { sendto = 44, sendmsg = 46, sendmmsg = 307, uring = 425 },
  x32 = { sendto = X32 | 44, sendmsg = X32 | 518, sendmmsg = X32 | 538, uring = X32 | 426 },
  i386 = { sendto = 369, sendmsg = 370, sendmmsg = 345, uring = 427 },
  aarch64 = { sendto = 206, sendmsg = 211, sendmmsg = 269, uring = 425 },
  arm = { sendto = 290, sendmsg = 296, sendmmsg = 374, uring = 426 },
  riscv64 = { sendto = 206, sendmsg = 211, sendmmsg = 269, uring = 427 },
}
local FLAGS_AT = { sendto = 3, sendmsg = 2, sendmmsg = 3 }
local MSG_FASTOPEN, MSG_DONTWAIT = 0x20000000, 0x40

function TestSeccomp.test_tcp_only_closes_fast_open_and_io_uring()
  for native, abis in pairs(FAMILY) do
    local p, open = program(native, { tcp_only = true }), program(native, {})
    for _, name in ipairs(abis) do
      local nr, arch = SENDS[name], ABI[name].arch
      if nr then
        local what = name .. " under " .. native
        for call, at in pairs(FLAGS_AT) do
          local function send(flags) return data(arch, nr[call], nil, { [at] = flags }) end
          lu.assertEquals(run(p, send(MSG_FASTOPEN)), DENY, what .. " " .. call)
          lu.assertEquals(run(p, send(MSG_FASTOPEN | MSG_DONTWAIT | (1 << 32))), DENY, what .. " " .. call)
          lu.assertEquals(run(p, send(MSG_DONTWAIT)), ALLOW, what .. " " .. call)
          lu.assertEquals(run(open, send(MSG_FASTOPEN)), ALLOW, what .. " " .. call .. " without tcp_only")
        end
        lu.assertEquals(run(p, data(arch, nr.uring, 0)), DENY, what .. " io_uring")
        lu.assertEquals(run(open, data(arch, nr.uring, 0)), ALLOW, what .. " io_uring without tcp_only")
      end
    end
  end
end

function TestSeccomp.test_an_unknown_architecture_is_refused()
  local p, why = seccomp.program(0x12345678, { ioctls = { TIOCSTI } }, EPERM)
  lu.assertNil(p)
  lu.assertEquals(why, "unknown architecture 0x12345678")
end

function TestSeccomp.test_an_unknown_system_call_is_refused()
  for _, name in ipairs({ "frobnicate", "ioctl" }) do
    local p, why = seccomp.program(X86_64, { syscalls = { name } }, EPERM)
    lu.assertNil(p)
    lu.assertEquals(why, "no number known for system call " .. name .. " on x86_64")
  end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
