-- seccomp_tables_spec: hako.syscalls (generated from the kernel headers at build time),
-- and hako.seccomp.compile on whole tables: long allow-lists with jumps past 255, the
-- search's depth, the kernel's action cache, the 4096-instruction limit, the same bytes
-- for the same policy, and the disassembler.
local lu = require "luaunit"
local seccomp = require "hako.seccomp"
local bpf = require "support.bpf"

local X86_64, I386, AARCH64, ARM = 0xC000003E, 0x40000003, 0xC00000B7, 0x40000028
local X32 = 0x40000000
local ALLOW = 0x7fff0000
local ENOSYS = 0x00050000 | 38
local ARCHES = { x86_64 = X86_64, x32 = X86_64, i386 = I386, aarch64 = AARCH64, arm = ARM }
local NATIVE = { x86_64 = X86_64, x32 = X86_64, i386 = X86_64, aarch64 = AARCH64, arm = AARCH64 }

local function sorted_names(abi)
  local list = {}
  for name in pairs(seccomp.TABLES[abi]) do list[#list + 1] = name end
  table.sort(list)
  return list
end

TestTables = {}

-- Numbers from the kernel's tables (arch/*/entry/syscalls, asm-generic/unistd.h).
function TestTables.test_known_numbers()
  local t = seccomp.TABLES
  lu.assertEquals(t.x86_64.openat, 257)
  lu.assertEquals(t.x86_64.read, 0)
  lu.assertEquals(t.i386.socketcall, 102)
  lu.assertEquals(t.x32.read, 0x40000000)
  lu.assertEquals(t.x32.ioctl, X32 | 514)
  lu.assertEquals(t.aarch64.openat, 56)
  lu.assertEquals(t.aarch64.fcntl, 25, "__NR3264_fcntl under its 64-bit name")
  lu.assertEquals(t.arm.socket, 281)
  lu.assertEquals(t.arm.cacheflush, 0x0f0002, "arm's private calls")
  lu.assertNil(t.x86_64.socketcall)
  lu.assertNil(t.aarch64.syscalls, "a count is not a call")
  for abi in pairs(ARCHES) do lu.assertTrue(#sorted_names(abi) > 290, abi) end
end

-- Every call of a table allowed, the rest ENOSYS: right for every number of every ABI of
-- the family, with few comparisons, and an allowed call reads nothing but arch and nr.
function TestTables.test_whole_tables_as_allow_lists()
  for abi, arch in pairs(ARCHES) do
    local rules = {}
    for _, name in ipairs(sorted_names(abi)) do rules[#rules + 1] = { name = name, action = { kind = "allow" } } end
    local p = assert(seccomp.compile({ default = { kind = "errno", errno = 38 }, rules = rules, abis = { abi } },
      NATIVE[abi]))
    local used, deepest, numbers = {}, 0, {}
    for name, nr in pairs(seccomp.TABLES[abi]) do
      numbers[#numbers + 1] = nr
      -- x32's calls numbered 512-547 also take their x86_64 number (before Linux 5.4)
      if abi == "x32" and nr >= X32 + 512 and nr <= X32 + 547 then
        numbers[#numbers + 1] = X32 | seccomp.TABLES.x86_64[name]
      end
    end
    for _, nr in ipairs(numbers) do
      local value, trace = bpf.run(p, bpf.data(arch, nr))
      lu.assertEquals(value, ALLOW, abi .. " " .. nr)
      lu.assertEquals(trace.loads, { 4, 0 }, abi .. " " .. nr)
      deepest = math.max(deepest, trace.compares)
      used[nr] = true
    end
    local base = abi == "x32" and X32 or 0
    for nr = base, base + 1100 do
      if not used[nr] then lu.assertEquals(bpf.run(p, bpf.data(arch, nr)), ENOSYS, abi .. " " .. nr) end
    end
    lu.assertEquals(bpf.run(p, bpf.data(arch, base + 0x3fffffff)), ENOSYS)
    -- the arch checks, then a search: about log2 of the ranges, not one per call
    lu.assertTrue(deepest <= 12, abi .. ": " .. deepest .. " comparisons")
  end
end

-- A distinct argument check on every call: blocks far from the search, reached through
-- stops, and each still right.
function TestTables.test_jumps_past_255_instructions()
  local names = sorted_names("x86_64")
  local rules = {}
  for i, name in ipairs(names) do
    rules[i] = { name = name, action = { kind = "errno", errno = i % 64 + 1 },
      args = { { arg = 0, op = "masked_eq", value = i, mask = 0xffffffff } } }
  end
  local p = assert(seccomp.compile({ default = { kind = "allow" }, rules = rules }, X86_64))
  local insns = bpf.decode(p)
  lu.assertTrue(#insns > 1000, #insns)
  local far = 0
  for _, i in ipairs(insns) do
    if i.code == 0x05 and i.k > 255 then far = far + 1 end
  end
  lu.assertTrue(far > 0, "no jump past 255")
  for i, name in ipairs(names) do
    local nr = seccomp.TABLES.x86_64[name]
    lu.assertEquals(bpf.run(p, bpf.data(X86_64, nr, { [0] = i })), 0x00050000 | (i % 64 + 1), name)
    lu.assertEquals(bpf.run(p, bpf.data(X86_64, nr, { [0] = i + 1 })), ALLOW, name)
  end
end

function TestTables.test_the_4096_instruction_limit()
  local names = sorted_names("x86_64")
  local rules = {}
  for i, name in ipairs(names) do
    local args = {}
    for a = 0, 5 do args[#args + 1] = { arg = a, op = "gt", value = i * 7 + a } end
    rules[i] = { name = name, action = { kind = "errno", errno = 1 }, args = args }
  end
  local p, why = seccomp.compile({ default = { kind = "allow" }, rules = rules }, X86_64)
  lu.assertNil(p)
  local count = tonumber(why:match("^(%d+) instructions, the kernel takes at most 4096$"))
  lu.assertNotNil(count, why)
  lu.assertTrue(count > 4096)
end

-- The same policy gives the same bytes, also in another Lua state (another hash seed, so
-- another pairs() order).
function TestTables.test_the_same_policy_gives_the_same_bytes()
  local script = [[
    local seccomp = require "hako.seccomp"
    local rules = {}
    for _, name in ipairs({ "openat", "read", "socket", "ioctl", "write", "close", "mmap" }) do
      rules[#rules + 1] = { name = name, action = { kind = "errno", errno = #name },
        args = { { arg = 1, op = "masked_ne", value = 4, mask = 6 } } }
      rules[#rules + 1] = { name = name, action = { kind = "allow" } }
    end
    local p = assert(seccomp.compile({ default = { kind = "kill_process" }, rules = rules }, 0xC000003E))
    io.write((p:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
  ]]
  local f = os.tmpname()
  local out = assert(io.open(f, "w"))
  out:write(script)
  out:close()
  local runs = {}
  for i = 1, 3 do
    local p = assert(io.popen("lua5.4 " .. f))
    runs[i] = p:read("a")
    p:close()
  end
  os.remove(f)
  lu.assertTrue(#runs[1] > 100)
  lu.assertEquals(runs[2], runs[1])
  lu.assertEquals(runs[3], runs[1])
  local here = assert(load((script:gsub("io.write", "return "))))
  lu.assertEquals(here(), runs[1], "in this Lua state")
end

function TestTables.test_the_dump_reads_as_bpf()
  local p = assert(seccomp.compile({ default = { kind = "errno", errno = 38 }, abis = { "x86_64" }, rules = {
    { name = "getppid", action = { kind = "allow" } },
    { name = "ioctl", action = { kind = "errno", errno = 1 },
      args = { { arg = 1, op = "masked_eq", value = 0x5412, mask = 0xffffffff } } },
    { name = "ioctl", action = { kind = "allow" } } } }, X86_64))
  lu.assertEquals(seccomp.dump(p), table.concat({
    "0000: ld [arch]",
    "0001: jeq #0xc000003e jt 0003 jf 0002",
    "0002: jeq #0x40000003 jt 0014 jf 0014",
    "0003: ld [nr]",
    "0004: jge #0x6e jt 0007 jf 0005",
    "0005: jge #0x10 jt 0006 jf 0012",
    "0006: jge #0x11 jt 0012 jf 0009",
    "0007: jge #0x6f jt 0008 jf 0013",
    "0008: jge #0x40000000 jt 0014 jf 0012",
    "0009: ld [arg1.lo]",
    "0010: jeq #0x5412 jt 0011 jf 0013",
    "0011: ret ERRNO(1)",
    "0012: ret ERRNO(38)",
    "0013: ret ALLOW",
    "0014: ret KILL_PROCESS",
  }, "\n") .. "\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
