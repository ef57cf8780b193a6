-- seccomp_compile_spec: hako.seccomp.compile's programs, run through spec/support/bpf.lua's
-- interpreter: every action, every comparison on unsigned 64-bit edge values, rule order,
-- every ABI of the x86 and arm families through its own numbers, x32 apart from x86_64,
-- foreign arches and ABIs left out killed.
local lu = require "luaunit"
local seccomp = require "hako.seccomp"
local bpf = require "support.bpf"

local X86_64, I386, AARCH64, ARM = 0xC000003E, 0x40000003, 0xC00000B7, 0x40000028
local X32 = 0x40000000
local ALLOW, KILL, KILL_THREAD, TRAP, LOG = 0x7fff0000, 0x80000000, 0, 0x00030000, 0x7ffc0000
local function ERRNO(n) return 0x00050000 | n end

local function compile(policy, arch)
  return assert(seccomp.compile(policy, arch or X86_64))
end

local function errno(n) return { kind = "errno", errno = n } end

-- the outcome of one call: arch, nr, args { [0] = a0, ... }
local function call(program, arch, nr, args)
  return (bpf.run(program, bpf.data(arch, nr, args)))
end

TestCompile = {}

function TestCompile.test_every_action()
  local kinds = { allow = ALLOW, kill_process = KILL, kill_thread = KILL_THREAD, trap = TRAP, log = LOG }
  for kind, value in pairs(kinds) do
    local p = compile({ default = errno(38), rules = { { name = "getppid", action = { kind = kind } } } })
    lu.assertEquals(call(p, X86_64, 110), value, kind)
    lu.assertEquals(call(p, X86_64, 39), ERRNO(38), kind .. ": getpid gets the default")
    p = compile({ default = { kind = kind }, rules = {} })
    lu.assertEquals(call(p, X86_64, 39), value, kind .. " as the default")
  end
  for _, n in ipairs({ 0, 1, 4095 }) do
    local p = compile({ default = { kind = "allow" }, rules = { { name = "getppid", action = errno(n) } } })
    lu.assertEquals(call(p, X86_64, 110), ERRNO(n))
  end
end

function TestCompile.test_bad_actions_and_conditions_are_refused()
  local function why(policy) return select(2, seccomp.compile(policy, X86_64)) end
  local allow = { kind = "allow" }
  lu.assertEquals(why({ default = errno(4096), rules = {} }), "default: errno 4096 is not 0..4095")
  lu.assertEquals(why({ default = { kind = "explode" }, rules = {} }), "default: unknown action explode")
  lu.assertEquals(why({ default = allow, rules = { { name = "read", action = errno(-1) } } }),
    "rule 1 (read): errno -1 is not 0..4095")
  lu.assertEquals(why({ default = allow, rules = { { name = "read", action = allow,
    args = { { arg = 6, op = "eq", value = 0 } } } } }), "rule 1 (read): argument 6 is not 0..5")
  lu.assertEquals(why({ default = allow, rules = { { name = "read", action = allow,
    args = { { arg = 0, op = "like", value = 0 } } } } }), "rule 1 (read): unknown comparison like")
  lu.assertEquals(why({ default = allow, rules = { { name = "read", action = allow,
    args = { { arg = 0, op = "masked_eq", value = 0 } } } } }), "rule 1 (read): mask nil is not an integer")
  lu.assertEquals(why({ default = allow, rules = { { name = "frobnicate", action = allow } }, unknown = "error" }),
    "unknown system call frobnicate")
  lu.assertEquals(why({ default = allow, rules = {}, abis = { "x86_64", "x86-64" } }), "unknown ABI x86-64")
  -- ignore: the name is dropped, the rest compiles
  local p = compile({ default = allow, unknown = "ignore", rules = { { name = "frobnicate", action = errno(1) },
    { name = "getppid", action = errno(2) } } })
  lu.assertEquals(call(p, X86_64, 110), ERRNO(2))
end

-- Unsigned 64-bit: the edges of each half, and values with only one half set.
local EDGES = { 0, 1, 0xffffffff, 0x100000000, 0x100000001, 0x7fffffffffffffff, math.mininteger, -2, -1,
  0x12345678, 0x1234567800000000, 0xffffffff00000000 }
local MASKS = { -1, 0xffffffff, 0xffffffff00000000, 0xf, 0x8000000000000001, 0 }

local function holds(op, x, v, m)
  if op == "eq" then return x == v end
  if op == "ne" then return x ~= v end
  if op == "lt" then return math.ult(x, v) end
  if op == "le" then return x == v or math.ult(x, v) end
  if op == "gt" then return math.ult(v, x) end
  if op == "ge" then return x == v or math.ult(v, x) end
  if op == "masked_eq" then return x & m == v end
  if op == "masked_ne" then return x & m ~= v end
end

function TestCompile.test_every_comparison_on_64_bit_edges()
  local cases = 0
  for _, op in ipairs({ "eq", "ne", "lt", "le", "gt", "ge", "masked_eq", "masked_ne" }) do
    local masks = op:match("^masked") and MASKS or { false }
    for _, mask in ipairs(masks) do
      for _, v in ipairs(EDGES) do
        -- arg 4 of write (1 on x86_64, 4 on i386, 64 on aarch64, 4 on arm): any argument works
        local cond = { arg = 4, op = op, value = v, mask = mask or nil }
        local families = { [X86_64] = { { X86_64, 1 }, { I386, 4 } }, [AARCH64] = { { AARCH64, 64 }, { ARM, 4 } } }
        for native, list in pairs(families) do
          local p = compile({ default = { kind = "allow" },
            rules = { { name = "write", action = errno(7), args = { cond } } } }, native)
          for _, abi in ipairs(list) do
            for _, x in ipairs(EDGES) do
              local want = holds(op, x, v, mask or -1) and ERRNO(7) or ALLOW
              local what = string.format("%s 0x%x (mask 0x%x) on 0x%x, abi 0x%x", op, v, mask or -1, x, abi[1])
              lu.assertEquals(call(p, abi[1], abi[2], { [4] = x }), want, what)
              cases = cases + 1
            end
          end
        end
      end
    end
  end
  lu.assertTrue(cases > 5000)
end

-- A half the mask clears is never read: ioctl's request compared on its low 32 bits.
function TestCompile.test_a_half_the_mask_makes_trivial_is_not_read()
  local p = compile({ default = { kind = "allow" }, rules = { { name = "ioctl", action = errno(1),
    args = { { arg = 1, op = "masked_eq", value = 0x5412, mask = 0xffffffff } } } } })
  local value, trace = bpf.run(p, bpf.data(X86_64, 16, { [1] = 0x5412 | (7 << 32) }))
  lu.assertEquals(value, ERRNO(1))
  lu.assertEquals(trace.loads, { 4, 0, bpf.arg_lo(1) })
  p = compile({ default = { kind = "allow" }, rules = { { name = "ioctl", action = errno(1),
    args = { { arg = 1, op = "eq", value = 0x5412 } } } } })
  value, trace = bpf.run(p, bpf.data(X86_64, 16, { [1] = 0x5412 | (7 << 32) }))
  lu.assertEquals(value, ALLOW)
  lu.assertEquals(trace.loads, { 4, 0, bpf.arg_hi(1) })
end

-- The first rule whose conditions all hold decides; a call whose rules all fail gets the
-- default; every condition of a rule must hold.
function TestCompile.test_the_first_rule_that_holds_decides()
  local function arg0(op, v) return { arg = 0, op = op, value = v } end
  local p = compile({ default = errno(38), rules = {
    { name = "socket", action = errno(1), args = { arg0("eq", 40) } },
    { name = "socket", action = { kind = "allow" }, args = { arg0("le", 10), { arg = 1, op = "ne", value = 3 } } },
    { name = "socket", action = errno(2), args = { arg0("lt", 40) } },
    { name = "socket", action = { kind = "allow" }, args = {} },
    { name = "socket", action = errno(3), args = {} },
  } })
  local function socket(family, type) return call(p, X86_64, 41, { [0] = family, type }) end
  lu.assertEquals(socket(40, 1), ERRNO(1))
  lu.assertEquals(socket(2, 1), ALLOW)
  lu.assertEquals(socket(2, 3), ERRNO(2))
  lu.assertEquals(socket(17, 1), ERRNO(2))
  lu.assertEquals(socket(41, 1), ALLOW)
  p = compile({ default = errno(38),
    rules = { { name = "socket", action = { kind = "allow" }, args = { arg0("eq", 1) } } } })
  lu.assertEquals(call(p, X86_64, 41, { [0] = 2 }), ERRNO(38))
  lu.assertEquals(call(p, X86_64, 41, { [0] = 1 }), ALLOW)
end

-- One rule by name reaches each ABI through that ABI's numbers (written out here from
-- the kernel's tables); a name an ABI lacks is simply absent there.
local OPENAT = { { X86_64, 257, "x86_64" }, { X86_64, X32 | 257, "x32" }, { I386, 295, "i386" } }
local OPENAT_ARM = { { AARCH64, 56, "aarch64" }, { ARM, 322, "arm" } }

function TestCompile.test_each_abi_through_its_own_numbers()
  for native, list in pairs({ [X86_64] = OPENAT, [I386] = OPENAT, [AARCH64] = OPENAT_ARM, [ARM] = OPENAT_ARM }) do
    local p = compile({ default = { kind = "allow" }, rules = { { name = "openat", action = errno(13) } } }, native)
    for _, abi in ipairs(list) do
      lu.assertEquals(call(p, abi[1], abi[2]), ERRNO(13), abi[3])
      lu.assertEquals(call(p, abi[1], abi[2] + 1), ALLOW, abi[3] .. " next number")
    end
  end
  -- socketcall: i386's alone
  local p = compile({ default = { kind = "allow" }, rules = { { name = "socketcall", action = errno(1) } } })
  lu.assertEquals(call(p, I386, 102), ERRNO(1))
  lu.assertEquals(call(p, X86_64, 102), ALLOW)
  lu.assertEquals(call(p, X86_64, X32 | 102), ALLOW)
end

-- x32 calls carry bit 30 under x86_64's arch: an x86_64 rule never decides one. The calls
-- x86_64 has and x32 does not, allowed by name, stay at the default as x32 numbers.
function TestCompile.test_x32_does_not_slip_through_x86_64_rules()
  local tables = seccomp.TABLES
  local aliased = {}
  for name, nr in pairs(tables.x32) do
    if nr >= X32 + 512 and nr <= X32 + 547 and tables.x86_64[name] then aliased[tables.x86_64[name]] = true end
  end
  local rules, only64 = {}, {}
  for name, nr in pairs(tables.x86_64) do
    rules[#rules + 1] = { name = name, action = { kind = "allow" } }
    if not tables.x32[name] and not aliased[nr] then only64[#only64 + 1] = nr end
  end
  lu.assertTrue(#only64 > 10, "x86_64 calls x32 lacks")
  local p = compile({ default = errno(38), rules = rules })
  for _, nr in ipairs(only64) do
    lu.assertEquals(call(p, X86_64, nr), ALLOW, "x86_64 " .. nr)
    lu.assertEquals(call(p, X86_64, X32 | nr), ERRNO(38), "x32 " .. nr)
  end
  -- and the other way: a denial by name holds for x32's own number
  p = compile({ default = { kind = "allow" }, rules = { { name = "sendmsg", action = errno(1) } } })
  lu.assertEquals(call(p, X86_64, 46), ERRNO(1))
  lu.assertEquals(call(p, X86_64, X32 | 518), ERRNO(1))
  lu.assertEquals(call(p, X86_64, X32 | 46), ERRNO(1), "the pre-5.4 entry of x32's sendmsg")
end

function TestCompile.test_a_foreign_arch_is_killed()
  local foreigners = { [X86_64] = { AARCH64, ARM, 0, 0x12345678 }, [AARCH64] = { X86_64, I386, 0xC00000B6 } }
  for native, foreign in pairs(foreigners) do
    local p = compile({ default = { kind = "allow" }, rules = {} }, native)
    for _, arch in ipairs(foreign) do lu.assertEquals(call(p, arch, 1), KILL, string.format("0x%x", arch)) end
  end
end

function TestCompile.test_an_abi_left_out_of_abis_is_killed()
  local function policy(abis) return { default = { kind = "allow" }, rules = {}, abis = abis } end
  local p = compile(policy({ "x86_64" }))
  lu.assertEquals(call(p, X86_64, 39), ALLOW)
  lu.assertEquals(call(p, X86_64, X32 | 39), KILL)
  lu.assertEquals(call(p, X86_64, 0xffffffff), KILL)
  lu.assertEquals(call(p, I386, 20), KILL)
  p = compile(policy({ "x32", "i386" }))
  lu.assertEquals(call(p, X86_64, 39), KILL)
  lu.assertEquals(call(p, X86_64, X32 | 39), ALLOW)
  lu.assertEquals(call(p, I386, 20), ALLOW)
  p = compile(policy({ "aarch64" }), AARCH64)
  lu.assertEquals(call(p, AARCH64, 172), ALLOW)
  lu.assertEquals(call(p, ARM, 20), KILL)
  -- an ABI of another family in the list adds nothing
  p = compile(policy({ "x86_64", "aarch64" }))
  lu.assertEquals(call(p, AARCH64, 172), KILL)
  lu.assertEquals(call(p, I386, 20), KILL)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
