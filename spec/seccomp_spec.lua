-- seccomp_spec: hako's baseline filter (hako.seccomp.baseline, the policy's denials,
-- compiled by hako.seccomp.compile), run through a BPF interpreter on the seccomp_data
-- of every ABI: this machine's kernel offers only some of them, and the filter must hold
-- on every kernel its hako may run on (a 32-bit hako on a 64-bit kernel too).
local lu = require "luaunit"
local seccomp = require "hako.seccomp"
local bpf = require "support.bpf"

local TIOCSTI, TIOCLINUX, TIOCGWINSZ, EPERM = 0x5412, 0x541C, 0x5413, 1
local X86_64, I386, AARCH64, ARM = seccomp.X86_64, seccomp.I386, seccomp.AARCH64, seccomp.ARM
local X32 = 0x40000000
local KEYS = { "keyctl", "add_key", "request_key" }

local function data(arch, nr, arg1, args)
  return bpf.data(arch, nr, args or { [1] = arg1 })
end

local function run(bytes, input) return (bpf.run(bytes, input)) end

local DENY = 0x00050000 | EPERM
local ALLOW = 0x7fff0000
local KILL = 0x80000000

-- The filter filter_syscalls loads for these policy fields.
local function program(arch, fields)
  fields = fields or { deny_ioctls = { "TIOCSTI", "TIOCLINUX" }, deny_syscalls = KEYS }
  local rules = assert(seccomp.baseline(fields, arch))
  return assert(seccomp.compile({ default = { kind = "allow" }, rules = rules, unknown = "error" }, arch))
end

-- Each ABI's numbers, written out here from the kernel's tables (not from hako.seccomp).
local ABI = {
  x86_64 = { arch = X86_64, ioctl = 16, keyctl = 250, add_key = 248, request_key = 249, other = 54 },
  x32 = { arch = X86_64, ioctl = X32 | 514, keyctl = X32 | 250, add_key = X32 | 248,
    request_key = X32 | 249, other = X32 | 54 },
  -- before Linux 5.4 the x86_64-only number with the x32 bit reached ioctl too
  x32_old = { arch = X86_64, ioctl = X32 | 16 },
  i386 = { arch = I386, ioctl = 54, keyctl = 288, add_key = 286, request_key = 287, other = 16 },
  aarch64 = { arch = AARCH64, ioctl = 29, keyctl = 219, add_key = 217, request_key = 218, other = 54 },
  arm = { arch = ARM, ioctl = 54, keyctl = 311, add_key = 309, request_key = 310, other = 29 },
}

-- Whatever ABI of its family hako was built for, the filter covers all of them.
local FAMILY = {
  [X86_64] = { "x86_64", "x32", "x32_old", "i386" }, [I386] = { "x86_64", "x32", "x32_old", "i386" },
  [AARCH64] = { "aarch64", "arm" }, [ARM] = { "aarch64", "arm" },
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
  local p = program(X86_64, { deny_ioctls = { "TIOCSTI" } })
  lu.assertEquals(run(p, data(X86_64, 16, TIOCSTI)), DENY)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCLINUX)), ALLOW)
  lu.assertEquals(run(p, data(X86_64, 250, 0)), ALLOW)
  p = program(X86_64, { deny_syscalls = { "keyctl" } })
  lu.assertEquals(run(p, data(X86_64, 250, 0)), DENY)
  lu.assertEquals(run(p, data(X86_64, 248, 0)), ALLOW)
  lu.assertEquals(run(p, data(X86_64, 16, TIOCSTI)), ALLOW)
end

-- The request is an unsigned int: the filter reads the low word of args[1] and never the
-- high one; an allowed call reads nothing but arch and nr (the kernel's action cache).
function TestSeccomp.test_the_filter_reads_arch_first_and_only_what_it_needs()
  local _, trace = bpf.run(program(X86_64), data(X86_64, 16, TIOCSTI))
  lu.assertEquals(trace.loads, { 4, 0, bpf.arg_lo(1) })
  _, trace = bpf.run(program(X86_64), data(X86_64, 0, TIOCSTI))
  lu.assertEquals(trace.loads, { 4, 0 })
end

-- tcp_only (--allow-connect, --allow-bind): socket() only for AF_UNIX and TCP, on every
-- ABI; i386's socketcall, whose arguments the filter cannot see, not at all.
local SOCKET = { x86_64 = 41, x32 = X32 | 41, i386 = 359, aarch64 = 198, arm = 281 }
local AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK = 1, 2, 10, 16, 17, 40
local STREAM, DGRAM, RAW, NONBLOCK_CLOEXEC = 1, 2, 3, 0x80800
local TCP, UDP, SCTP = 6, 17, 132

function TestSeccomp.test_tcp_only_lets_unix_and_tcp_sockets_through_and_nothing_else()
  for native, abis in pairs(FAMILY) do
    local p = program(native, { tcp_only = true })
    local open = program(native, {})
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
    lu.assertEquals(run(open, data(ABI[abis[1]].arch, SOCKET[abis[1]], nil,
      { [0] = AF_INET, DGRAM })), ALLOW, "without tcp_only")
  end
  lu.assertEquals(run(program(X86_64, { tcp_only = true }), data(I386, 102, 1)), DENY)
  lu.assertEquals(run(program(ARM, { tcp_only = true }), data(ARM, 281, nil, { [0] = AF_INET, STREAM })), ALLOW)
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
  local p, why = seccomp.compile({ default = { kind = "allow" }, rules = {} }, 0x12345678)
  lu.assertNil(p)
  lu.assertEquals(why, "unknown architecture 0x12345678")
end

function TestSeccomp.test_an_unknown_name_is_refused()
  lu.assertEquals({ seccomp.baseline({ deny_ioctls = { "TIOCFOO" } }, X86_64) }, { nil, "unknown ioctl TIOCFOO" })
  local rules = assert(seccomp.baseline({ deny_syscalls = { "frobnicate" } }, X86_64))
  lu.assertEquals({ seccomp.compile({ default = { kind = "allow" }, rules = rules, unknown = "error" }, X86_64) },
    { nil, "unknown system call frobnicate" })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
