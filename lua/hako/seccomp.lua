-- hako.seccomp: compiles a system call policy into a classic BPF seccomp filter. Pure and
-- deterministic: the same policy gives the same bytes (nothing depends on pairs() order).
--
-- The policy, the one table every policy parser gives:
--   { default = ACTION, rules = { RULE... }, unknown = "error" | "ignore",
--     abis = nil | { "x86_64", "x32", "i386", "aarch64", "arm", "riscv64"... } }
--   RULE = { name = "socket", action = ACTION, args = { COND... } }
--   ACTION = { kind = "allow" | "errno" (errno = 0..4095) | "kill_process" | "kill_thread"
--            | "trap" | "log" }
--   COND = { arg = 0..5, op = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "masked_eq"
--          | "masked_ne", value = V, mask = M (masked ops) }: unsigned 64-bit
-- For one call the first rule whose conditions all hold decides, else `default`. A name
-- no ABI of the family knows is an error unless unknown = "ignore"; a name one ABI lacks
-- (socketcall on x86_64) is absent there. abis nil: every ABI of the family.
-- compile returns nil and why for a bad policy, or a program over the kernel's 4096
-- instructions ("5000 instructions, the kernel takes at most 4096"): callers prefix
-- their own "seccomp filter: ".
--
-- Every ABI. A system call's number means something else on another ABI, and a process
-- may call in with any ABI the kernel offers: a 64-bit kernel runs 32-bit programs (and
-- int 0x80 from a 64-bit one), and a 32-bit hako may run on a 64-bit kernel. So the
-- filter first reads seccomp_data.arch and covers each ABI of the machine's family with
-- that ABI's own numbers (hako.syscalls, generated from the kernel headers at build
-- time); any other arch, or an ABI the policy's `abis` leaves out, kills the process (no
-- filter is better made than a wrong one).
--
-- x32 arrives with x86_64's arch and bit 30 set in the number: the numbers from
-- 0x40000000 up are x32's and only x32's rules decide them, so no x86_64 rule (whose
-- numbers are all below) can ever match an x32 call. Before Linux 5.4 an x32 call with
-- an x86_64-only number plus bit 30 reached the 64-bit entry (ioctl as 0x40000010, not
-- only x32's own 0x40000202): the x32 calls numbered 512-547 also claim that number.
--
-- A balanced binary search. The numbers of one arch (0..2^32-1) are cut into ranges of
-- consecutive numbers with the same outcome (an action, or the same argument checks),
-- and the filter finds a number's range by comparing with range starts (jge), halving
-- the ranges left each time: ~350 allowed calls make some 70-100 ranges, ~7 comparisons,
-- where a list of jeq would take up to 350. A call decided without arguments reaches its
-- return with only arch and nr read, so the kernel's constant-action cache (Linux 5.11+,
-- which runs the filter for each number knowing only those) skips the filter for the
-- calls it always allows.
--
-- 64-bit arguments. BPF's accumulator has 32 bits: an argument is compared as its high
-- half, then its low half (unsigned, as the kernel and libseccomp compare). A half a mask
-- makes trivial is not read at all: ioctl's request, an unsigned int, is compared on its
-- low 32 bits, so no high bits can hide a request.
--
-- Jumps: jt and jf are 8 bits; hako.bpf reaches a farther target through a stop after
-- the jump. The kernel takes at most 4096 instructions: a longer program is an error.
local bpf = require "hako.bpf"

local M = {}

-- AUDIT_ARCH_* (linux/audit.h)
M.X86_64, M.I386 = 0xC000003E, 0x40000003
M.AARCH64, M.ARM = 0xC00000B7, 0x40000028
M.RISCV64, M.RISCV32 = 0xC00000F3, 0x400000F3
M.X32_BIT = 0x40000000
local X32 = M.X32_BIT

-- The arches a kernel that runs hako may report, for the arch hako was built for: each
-- with its ABIs and the numbers that are theirs (x32 under x86_64's arch, from bit 30).
local X86 = {
  { arch = M.X86_64, abis = { { "x86_64", 0, X32 - 1 }, { "x32", X32, 0xffffffff } } },
  { arch = M.I386, abis = { { "i386", 0, 0xffffffff } } },
}
local ARMS = {
  { arch = M.AARCH64, abis = { { "aarch64", 0, 0xffffffff } } },
  { arch = M.ARM, abis = { { "arm", 0, 0xffffffff } } },
}
local RISCV = {
  { arch = M.RISCV64, abis = { { "riscv64", 0, 0xffffffff } } },
  { arch = M.RISCV32, abis = { { "riscv32", 0, 0xffffffff } } },
}
M.FAMILIES = { [M.X86_64] = X86, [M.I386] = X86, [M.AARCH64] = ARMS, [M.ARM] = ARMS,
  [M.RISCV64] = RISCV, [M.RISCV32] = RISCV }
-- the names `abis` may hold (an ABI of another family adds nothing: its arch is killed)
M.ABI_NAMES = { x86_64 = true, x32 = true, i386 = true, aarch64 = true, arm = true, riscv64 = true, riscv32 = true }

-- ABI -> { name -> number }: hako.syscalls, made by c/gen_syscalls.lua at build time.
-- An ABI whose headers the build lacked is absent: the filter kills its calls. Loaded
-- now, not when first used: the filter is compiled inside the sandbox's new root, where
-- a stock lua5.4 no longer sees the host's module files.
M.TABLES = require "hako.syscalls"

-- x32's pre-5.4 aliases (above): name -> x32 bit | its x86_64 number. Made once, when
-- first needed; the tables themselves are read as they are (a hako-run pays for nothing
-- it does not use).
local x32_aliases
local function aliases()
  if x32_aliases then return x32_aliases end
  x32_aliases = {}
  local x32, x64 = M.TABLES.x32, M.TABLES.x86_64
  if x32 and x64 then
    local taken = {}
    for _, nr in pairs(x32) do taken[nr] = true end
    for name, nr in pairs(x32) do
      local native = x64[name]
      if nr >= X32 + 512 and nr <= X32 + 547 and native and not taken[X32 | native] then
        x32_aliases[name] = X32 | native
      end
    end
  end
  return x32_aliases
end

-- numbers(abi, name) -> { number... }: none where the ABI lacks the call, x32's alias too.
local NONE = {}
local function numbers(abi, name)
  local nr = M.TABLES[abi] and M.TABLES[abi][name]
  if not nr then return NONE end
  local alias = abi == "x32" and aliases()[name]
  return alias and { nr, alias } or { nr }
end

local function action_value(action)
  local kind = type(action) == "table" and action.kind
  if kind == "allow" then return bpf.RET_ALLOW end
  if kind == "kill_process" then return bpf.RET_KILL_PROCESS end
  if kind == "kill_thread" then return bpf.RET_KILL_THREAD end
  if kind == "trap" then return bpf.RET_TRAP end
  if kind == "log" then return bpf.RET_LOG end
  if kind == "errno" then
    local n = action.errno
    if math.type(n) ~= "integer" or n < 0 or n > 4095 then return nil, "errno " .. tostring(n) .. " is not 0..4095" end
    return bpf.RET_ERRNO | n
  end
  return nil, "unknown action " .. tostring(kind)
end

local half_code = require "hako.seccomp_args"

-- A rule's conditions as checks: { {arg, op, value, mask}... } with the trivially true
-- left out, or false when one can never hold.
local function conditions(rule)
  local list = {}
  for _, c in ipairs(rule.args or {}) do
    local check, why = half_code.check(c)
    if check == nil then return nil, why end
    if check == false then return false end
    if check ~= true then list[#list + 1] = check end
  end
  return list
end

-- The outcome of one number: a return value, or a chain of argument checks
-- { {value, checks}..., tail = value }; and a key that equal outcomes share.
local function outcome(chain, default)
  local steps, tail = {}, default
  for _, step in ipairs(chain) do
    if #step.checks == 0 then tail = step.value break end
    steps[#steps + 1] = step
  end
  -- a last rule that returns what falling past it returns changes nothing
  while #steps > 0 and steps[#steps].value == tail do steps[#steps] = nil end
  if #steps == 0 then return { ret = tail }, "ret " .. tail end
  local key = { "chain" }
  for _, step in ipairs(steps) do key[#key + 1] = step.value .. "{" .. step.key .. "}" end
  key[#key + 1] = "tail " .. tail
  return { steps = steps, tail = tail }, table.concat(key, " ")
end

-- compile(policy, native_arch) -> bytes | nil, why
function M.compile(policy, native_arch)
  local family = M.FAMILIES[native_arch]
  if not family then return nil, string.format("unknown architecture 0x%08X", native_arch or 0) end
  local default, why = action_value(policy.default)
  if not default then return nil, "default: " .. why end
  local accepted
  if policy.abis then
    accepted = {}
    for _, abi in ipairs(policy.abis) do
      if not M.ABI_NAMES[abi] then return nil, "unknown ABI " .. tostring(abi) end
      accepted[abi] = true
    end
  end

  -- the rules, each checked once: its return value and argument checks
  local rules = {}
  for i, rule in ipairs(policy.rules or {}) do
    local value, bad = action_value(rule.action)
    if not value then return nil, string.format("rule %d (%s): %s", i, tostring(rule.name), bad) end
    local checks, wrong = conditions(rule)
    if checks == nil then return nil, string.format("rule %d (%s): %s", i, tostring(rule.name), wrong) end
    if not M.known(rule.name) and policy.unknown ~= "ignore" then
      return nil, "unknown system call " .. tostring(rule.name)
    end
    if checks then
      rules[#rules + 1] = { name = rule.name, value = value, checks = checks, key = half_code.key(checks) }
    end
  end

  local program = {}
  local function emit(insn) program[#program + 1] = insn return insn end
  local rets = {}
  local function ret(k)
    rets[k] = rets[k] or { code = bpf.RET_K, k = k }
    return rets[k]
  end
  local foreign = ret(bpf.RET_KILL_PROCESS) -- any other arch, any ABI left out: the process dies
  local blocks, block_order = {}, {}

  -- arch -> its segments { start, key, outcome }, covering 0..2^32-1 in order
  local function segments(arch)
    local list = {}
    local function add(start, key, what)
      if #list > 0 and list[#list].key == key then return end
      list[#list + 1] = { start = start, key = key, outcome = what }
    end
    for _, range in ipairs(arch.abis) do
      local abi, lo, hi = range[1], range[2], range[3]
      if not M.TABLES[abi] or (accepted and not accepted[abi]) then
        add(lo, "ret " .. foreign.k, { ret = foreign.k })
      else
        local chains, order = {}, {}
        for _, rule in ipairs(rules) do
          for _, nr in ipairs(numbers(abi, rule.name)) do
            if nr >= lo and nr <= hi then
              if not chains[nr] then chains[nr] = {} order[#order + 1] = nr end
              table.insert(chains[nr], rule)
            end
          end
        end
        table.sort(order)
        local default_key = "ret " .. default
        add(lo, default_key, { ret = default })
        for i, nr in ipairs(order) do
          local what, key = outcome(chains[nr], default)
          add(nr, key, what)
          if nr < hi and order[i + 1] ~= nr + 1 then add(nr + 1, default_key, { ret = default }) end
        end
      end
    end
    return list
  end

  -- the first instruction of an outcome: a return, or its block of argument checks
  local function entry(segment)
    local what = segment.outcome
    if what.ret then return ret(what.ret) end
    if not blocks[segment.key] then
      blocks[segment.key] = half_code.block(what, ret)
      block_order[#block_order + 1] = segment.key
    end
    return blocks[segment.key][1]
  end

  -- the search: a jge on the middle range's start, the upper half on true
  local function tree(list, first, last)
    if first == last then return entry(list[first]) end
    local middle = (first + last + 1) // 2
    local node = emit({ code = bpf.JGE_K, k = list[middle].start })
    node.jf = tree(list, first, middle - 1)
    node.jt = tree(list, middle, last)
    return node
  end

  emit({ code = bpf.LD_W_ABS, k = bpf.OFFSET_ARCH })
  local checks = {}
  for i, arch in ipairs(family) do checks[i] = emit({ code = bpf.JEQ_K, k = arch.arch }) end
  for i, arch in ipairs(family) do
    local list = segments(arch)
    if #list == 1 then
      checks[i].jt = entry(list[1])
    else
      checks[i].jt = emit({ code = bpf.LD_W_ABS, k = bpf.OFFSET_NR })
      tree(list, 1, #list)
    end
    checks[i].jf = checks[i + 1] or foreign
  end
  for _, key in ipairs(block_order) do
    for _, insn in ipairs(blocks[key]) do emit(insn) end
  end
  -- the returns last, in a fixed order
  local values = {}
  for k in pairs(rets) do values[#values + 1] = k end
  table.sort(values)
  for _, k in ipairs(values) do emit(rets[k]) end
  return bpf.assemble(program)
end

-- The baseline: hako's own denials (hako.policy's `seccomp` fields) as rules that only
-- ever fail calls, so that they go first before any profile's rules
-- (`rules = baseline .. profile.rules`) and take nothing a profile denies away.
--  * ioctl(fd, TIOCSTI) and ioctl(fd, TIOCLINUX): TIOCSTI pushes characters into the
--    terminal's input, which the caller's shell reads once the sandbox has ended (bwrap
--    CVE-2017-5226), and TIOCLINUX can paste a console selection the same way. A new
--    session would stop TIOCSTI too, but would also take job control from shells. The
--    kernel takes the request as an unsigned int: its low 32 bits are compared.
--  * whole calls by name (hako.policy's DENIED_SYSCALLS): the keyring calls, because
--    without a user namespace the sandbox's uid is the host's, and so are its user and
--    persistent keyrings (and request_key makes the host run /sbin/request-key as root).
--  * with tcp_only, socket(2) but for AF_UNIX and TCP over IPv4 and IPv6: Landlock limits
--    TCP ports only, so "only TCP 443 out" also means no UDP, raw or packet sockets.
--    i386's socketcall(2) hides its arguments in memory a filter cannot read: denied then.
--    So are a TCP Fast Open connect, made by sendto/sendmsg/sendmmsg with MSG_FASTOPEN,
--    which Landlock does not check, and io_uring, whose operations (a socket of any kind,
--    a send) never pass through the filter at all.
-- The numbers are the same on every ABI hako knows (asm-generic/ioctls.h, socket.h).
M.EPERM = 1
M.IOCTLS = { TIOCSTI = 0x5412, TIOCLINUX = 0x541C }
M.AF_UNIX, M.AF_INET, M.AF_INET6 = 1, 2, 10
M.SOCK_STREAM, M.SOCK_TYPE_MASK, M.IPPROTO_TCP = 1, 0xf, 6
M.MSG_FASTOPEN = 0x20000000

-- known(name): some ABI hako has numbers for has the call, of this machine's family or
-- another: a portable policy (hako's own profiles) names arm's calls on x86 too, and a
-- name no ABI has is a typo.
function M.known(name)
  for abi in pairs(M.TABLES) do
    if M.TABLES[abi][name] then return true end
  end
  return false
end

-- in_family(name, native_arch): some ABI of the machine's family has the call.
function M.in_family(name, native_arch)
  for _, arch in ipairs(M.FAMILIES[native_arch] or {}) do
    for _, abi in ipairs(arch.abis) do
      if M.TABLES[abi[1]] and M.TABLES[abi[1]][name] then return true end
    end
  end
  return false
end

-- baseline({ deny_syscalls, deny_ioctls, tcp_only }, native_arch) -> { RULE... } | nil, why
-- (socketcall only where the machine's family has it: x86's i386, not arm's EABI).
function M.baseline(fields, native_arch)
  local rules, eperm = {}, { kind = "errno", errno = M.EPERM }
  local function deny(name, ...) rules[#rules + 1] = { name = name, action = eperm, args = { ... } } end
  -- an int argument: its low 32 bits
  local function int(arg, op, value) return { arg = arg, op = "masked_" .. op, value = value, mask = 0xffffffff } end
  for _, name in ipairs(fields.deny_ioctls or {}) do
    local request = M.IOCTLS[name]
    if not request then return nil, "unknown ioctl " .. tostring(name) end
    deny("ioctl", int(1, "eq", request))
  end
  for _, name in ipairs(fields.deny_syscalls or {}) do deny(name) end
  if fields.tcp_only then
    deny("socket", int(0, "ne", M.AF_UNIX), int(0, "ne", M.AF_INET), int(0, "ne", M.AF_INET6))
    for _, family in ipairs({ M.AF_INET, M.AF_INET6 }) do
      local type = { arg = 1, op = "masked_ne", value = M.SOCK_STREAM, mask = M.SOCK_TYPE_MASK }
      deny("socket", int(0, "eq", family), type)
      -- protocol 0 or TCP: not SCTP's stream sockets
      deny("socket", int(0, "eq", family), int(2, "ne", 0), int(2, "ne", M.IPPROTO_TCP))
    end
    if M.in_family("socketcall", native_arch) then deny("socketcall") end
    for _, name in ipairs({ "io_uring_setup", "io_uring_enter", "io_uring_register" }) do deny(name) end
    local fast_open = M.MSG_FASTOPEN
    for _, call in ipairs({ { "sendto", 3 }, { "sendmsg", 2 }, { "sendmmsg", 3 } }) do
      deny(call[1], { arg = call[2], op = "masked_eq", value = fast_open, mask = fast_open })
    end
  end
  return rules
end

M.dump = bpf.dump
M.decode = bpf.decode

return M
