-- seccomp_kernel_spec: hako.seccomp.compile's programs loaded into this machine's kernel
-- (its native ABI): a lua5.4 sets no_new_privs (so no root is needed), loads the filter
-- with hako.core and execs the probe, which makes one real system call with chosen
-- arguments and prints its result or errno. The interpreter specs check every ABI; this
-- checks that the kernel reads the programs as they do.
local lu = require "luaunit"
local seccomp = require "hako.seccomp"
local core = require "hako.core"
local process = require "support.process"
local sandbox = require "support.sandbox"

local PROBE = sandbox.bin("probe")
local NATIVE = core.AUDIT_ARCH_NATIVE
local SIGSYS = 31
local NR = seccomp.TABLES[({ [0xC000003E] = "x86_64", [0xC00000B7] = "aarch64" })[NATIVE] or "none"]

-- Read from stdin by lua5.4: loads the filter file (arg 1), then execs the probe (arg 2)
-- in its syscall mode with the rest.
local LOADER = [[
local core = require "hako.core"
local f = assert(io.open(arg[1], "rb"))
local bytes = f:read("a")
f:close()
assert(core.prctl(core.PR_SET_NO_NEW_PRIVS, 1))
assert(core.seccomp_set_mode_filter(bytes))
local argv = { arg[2], "syscall" }
for i = 3, #arg do argv[#argv + 1] = arg[i] end
core.execve(arg[2], argv, {})
os.exit(120)
]]

TestSeccompKernel = {}

function TestSeccompKernel:setUp()
  lu.skipIf(not NR, string.format("no table for this machine's arch 0x%08X", NATIVE))
  lu.skipIf(not io.open(PROBE), PROBE .. " is missing: make check builds it")
  self.filter = os.tmpname()
end

function TestSeccompKernel:tearDown()
  if self.filter then os.remove(self.filter) end
end

-- call(policy, name, args...) -> the probe's line ("= N", "errno N") and its status.
function TestSeccompKernel:call(policy, nr, ...)
  local f = assert(io.open(self.filter, "wb"))
  f:write(assert(seccomp.compile(policy, NATIVE)))
  f:close()
  local argv = { "lua5.4", "-", self.filter, PROBE, tostring(nr) }
  for _, a in ipairs({ ... }) do argv[#argv + 1] = string.format("0x%x", a) end
  local r = process.run(argv, LOADER)
  if r.status == 0 then lu.assertEquals(r.stderr, "") end
  return (r.stdout:gsub("\n$", "")), r.status
end

local function allow() return { kind = "allow" } end
-- the call went through: getppid's or getpid's result
local function passed(out, what) lu.assertStrMatches(out, "= %d+", nil, nil, what) end
local function errno(n) return { kind = "errno", errno = n } end

function TestSeccompKernel:test_errno_and_allow()
  local policy = { default = allow(), rules = { { name = "getppid", action = errno(42) } } }
  lu.assertEquals(self:call(policy, NR.getppid), "errno 42")
  passed(self:call(policy, NR.getpid))
end

-- getppid ignores its arguments, but the kernel hands the registers to seccomp: the
-- conditions see every 64-bit value asked for.
function TestSeccompKernel:test_64_bit_conditions_on_real_registers()
  local cases = {
    { { arg = 0, op = "eq", value = 1 << 32 }, { 1 << 32 }, { 0, 1, (1 << 32) | 1 } },
    { { arg = 1, op = "gt", value = math.mininteger }, { math.mininteger + 1, -1 },
      { math.mininteger, 0, 0xffffffff } },
    { { arg = 2, op = "lt", value = 0x100000000 }, { 0, 0xffffffff }, { 0x100000000, -1 } },
    { { arg = 5, op = "masked_eq", value = 0xdead00000000, mask = 0xffff00000000 },
      { 0xdead00000000, 0xdead0000ffff }, { 0xbeef00000000, 0xdead } },
    { { arg = 3, op = "ne", value = -1 }, { 0, 0xffffffff, 0xffffffff00000000 }, { -1 } },
  }
  for _, case in ipairs(cases) do
    local cond = case[1]
    local policy = { default = allow(), rules = { { name = "getppid", action = errno(7), args = { cond } } } }
    local function with(value)
      local args = { 0, 0, 0, 0, 0, 0 }
      args[cond.arg + 1] = value
      return self:call(policy, NR.getppid, table.unpack(args))
    end
    local what = cond.op .. " " .. string.format("0x%x", cond.value)
    for _, v in ipairs(case[2]) do lu.assertEquals(with(v), "errno 7", what .. string.format(" on 0x%x", v)) end
    for _, v in ipairs(case[3]) do passed(with(v), what .. string.format(" on 0x%x", v)) end
  end
end

-- hako's baseline: TIOCSTI closed whatever the request's high bits; another request
-- reaches the kernel (EBADF: fd -1).
function TestSeccompKernel:test_the_baseline_closes_tiocsti()
  local rules = assert(seccomp.baseline({ deny_ioctls = { "TIOCSTI", "TIOCLINUX" }, deny_syscalls = { "keyctl" } },
    NATIVE))
  local policy = { default = allow(), rules = rules, unknown = "error" }
  lu.assertEquals(self:call(policy, NR.ioctl, -1, 0x5412), "errno 1")
  lu.assertEquals(self:call(policy, NR.ioctl, -1, (1 << 32) | 0x5412), "errno 1")
  lu.assertEquals(self:call(policy, NR.ioctl, -1, 0x5413), "errno 9")
  lu.assertEquals(self:call(policy, NR.keyctl, 0), "errno 1")
end

function TestSeccompKernel:test_kill_and_trap_end_the_process_with_sigsys()
  for _, kind in ipairs({ "kill_process", "trap" }) do
    local policy = { default = allow(), rules = { { name = "getppid", action = { kind = kind } } } }
    local out, status = self:call(policy, NR.getppid)
    lu.assertEquals(out, "", kind)
    lu.assertEquals(status, 128 + SIGSYS, kind)
  end
  local out, status = self:call({ default = allow(), rules = { { name = "getppid", action = { kind = "log" } } } },
    NR.getppid)
  passed(out, "log")
  lu.assertEquals(status, 0)
end

-- On x86_64, an x32 number reaches seccomp even where the kernel runs no x32 (it says
-- ENOSYS after the filter): left out of `abis`, it kills.
function TestSeccompKernel:test_an_abi_left_out_is_killed_by_the_kernel()
  lu.skipIf(NATIVE ~= seccomp.X86_64, "x32 is x86_64's")
  local all = { default = allow(), rules = {} }
  -- x32's getpid: ENOSYS from a kernel without x32, the pid from one with it
  local out = self:call(all, seccomp.X32_BIT | 39)
  lu.assertTrue(out == "errno 38" or out:match("^= %d+$"), out)
  local status
  out, status = self:call({ default = allow(), rules = {}, abis = { "x86_64", "i386" } }, seccomp.X32_BIT | 39)
  lu.assertEquals(out, "")
  lu.assertEquals(status, 128 + SIGSYS)
  passed(self:call({ default = allow(), rules = {}, abis = { "x86_64" } }, 39))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
