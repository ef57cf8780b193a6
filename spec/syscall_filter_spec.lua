-- syscall_filter_spec: from --seccomp's value to the policy hako compiles (hako.syscall_filter):
-- sources, hako's own rules first, the capabilities' calls, --print. No kernel needed.
local lu = require "luaunit"
local decide = require "support.seccomp_decide"
local fails = require "support.fails"
local policy = require "hako.policy"
local seccomp = require "hako.seccomp"
local syscall_filter = require "hako.syscall_filter"

local X86_64 = 0xC000003E
local OWN = { deny_syscalls = policy.DENIED_SYSCALLS, deny_ioctls = policy.DENIED_IOCTLS, tcp_only = false }
local TIOCSTI = 0x5412

local function no_files(path) return nil, "no file " .. path end

local function resolve(s, caps)
  return syscall_filter.resolve(s, no_files, { native_arch = X86_64, caps = {}, cap_numbers = caps })
end

TestSyscallFilter = {}

function TestSyscallFilter.test_sources()
  lu.assertEquals(syscall_filter.source(nil), { profile = "default" })
  lu.assertEquals(syscall_filter.source("strict", true), { profile = "strict", nested_userns = true })
  lu.assertEquals(syscall_filter.source("none"), { profile = "none" })
  lu.assertEquals(syscall_filter.source("my.policy", false, "/home/a"),
    { file = "/home/a/my.policy", given = "my.policy" })
  lu.assertEquals(syscall_filter.source("/etc/p.json"), { file = "/etc/p.json", given = "/etc/p.json" })
  lu.assertEquals(syscall_filter.source({ default = "allow" }).table, { default = "allow" })
  fails(function() syscall_filter.source("") end, "--seccomp : expected default, strict, none or a policy file")
  fails(function() syscall_filter.source(7) end, "--seccomp 7: expected default, strict, none or a policy file")
  fails(function() syscall_filter.source(nil, "yes") end, "nested_userns: must be true or false")
end

function TestSyscallFilter.test_a_missing_file_names_the_value_given()
  fails(function() resolve(syscall_filter.source("x.policy", nil, "/d")) end, "--seccomp x.policy: no file /d/x.policy")
end

-- hako's own rules decide before any policy's: a policy that allows TIOCSTI does not get it.
function TestSyscallFilter.test_hakos_rules_come_first()
  local lax = { default = { kind = "allow" }, rules = { { name = "ioctl", action = { kind = "allow" }, args = {} } },
    unknown = "error" }
  local whole = syscall_filter.whole(lax, OWN, X86_64)
  lu.assertEquals(decide(whole, "ioctl", { 0, TIOCSTI }), { kind = "errno", errno = 1 })
  lu.assertEquals(decide(whole, "ioctl", { 0, 0x541B }), { kind = "allow" }) -- FIONREAD
  lu.assertEquals(decide(whole, "keyctl"), { kind = "errno", errno = 1 })
  -- none: those rules alone, everything else allowed
  local none = syscall_filter.whole(resolve({ profile = "none" }), OWN, X86_64)
  lu.assertEquals(decide(none, "ioctl", { 0, TIOCSTI }), { kind = "errno", errno = 1 })
  lu.assertEquals(decide(none, "unshare", { 0x10000000 }), { kind = "allow" })
end

function TestSyscallFilter.test_a_capability_kept_opens_its_calls_in_a_profile()
  local plain = resolve({ profile = "default" })
  local sys_admin = resolve({ profile = "default" }, { 21 })
  lu.assertEquals(decide(plain, "mount"), { kind = "errno", errno = 1 })
  lu.assertEquals(decide(sys_admin, "mount"), { kind = "allow" })
  lu.assertEquals(decide(sys_admin, "unshare", { 0x10000000 }), { kind = "allow" })
  lu.assertEquals(decide(sys_admin, "reboot"), { kind = "errno", errno = 1 })
  lu.assertEquals(decide(resolve({ profile = "default" }, { 22 }), "reboot"), { kind = "allow" }) -- sys_boot
  -- but hako's own rules stay first
  lu.assertEquals(decide(syscall_filter.whole(sys_admin, OWN, X86_64), "keyctl"), { kind = "errno", errno = 1 })
  -- every call named is one some ABI has, or the profile would not compile
  for cap, calls in pairs(syscall_filter.CAPABILITY_CALLS) do
    for _, call in ipairs(calls) do lu.assertTrue(seccomp.known(call), cap .. ": " .. call) end
  end
end

function TestSyscallFilter.test_nested_user_namespaces()
  local nested = resolve({ profile = "default", nested_userns = true })
  lu.assertEquals(decide(nested, "unshare", { 0x10000000 }), { kind = "allow" })
  lu.assertEquals(decide(nested, "unshare", { 0x20000 }), { kind = "errno", errno = 1 }) -- NEWNS alone
  lu.assertEquals(decide(resolve({ profile = "default" }), "unshare", { 0x10000000 }), { kind = "errno", errno = 1 })
  local none = resolve({ profile = "none", nested_userns = true })
  lu.assertEquals(decide(none, "unshare", { 0x10000000 }), { kind = "allow" })
end

-- --print's text, read back as a policy, compiles to the same filter.
function TestSyscallFilter.test_print_reads_back_to_the_same_filter()
  for _, s in ipairs({ { profile = "default" }, { profile = "strict" }, { profile = "none" } }) do
    local resolved = resolve(s)
    local text = syscall_filter.print(resolved, OWN, X86_64)
    lu.assertStrMatches(text, "^# hako's own rules, before any policy's:\n# errno EPERM ioctl: .*")
    local again = require("hako.seccomp_rules").parse(text, "printed")
    lu.assertTrue(syscall_filter.program(again, OWN, X86_64) == syscall_filter.program(resolved, OWN, X86_64),
      s.profile)
  end
end

function TestSyscallFilter.test_describe()
  lu.assertEquals(syscall_filter.describe({ profile = "strict", nested_userns = true }, string.rep("\0", 80)),
    "seccomp: strict (nested user namespaces allowed): 10 BPF instructions\n")
  lu.assertEquals(syscall_filter.describe({ file = "/a/b", given = "b" }, string.rep("\0", 8)),
    "seccomp: b: 1 BPF instructions\n")
end

-- The filters built with hako are the ones hako would compile now: a stale build, or a
-- key that stands for something else, would load a filter other than the policy's.
function TestSyscallFilter.test_the_filters_built_with_hako_are_todays()
  local built = require("hako.seccomp_prebuilt")[require("hako.core").AUDIT_ARCH_NATIVE]
  lu.assertNotNil(built, "make builds hako.seccomp_prebuilt for this machine")
  for _, key in ipairs(syscall_filter.PREBUILT_KEYS) do
    local s, fields = syscall_filter.from_prebuilt_key(key)
    lu.assertEquals(syscall_filter.prebuilt_key(s, fields, {}), key)
    local context = { native_arch = require("hako.core").AUDIT_ARCH_NATIVE, caps = {} }
    lu.assertTrue(built[key] == syscall_filter.program(syscall_filter.resolve(s, no_files, context), fields,
      context.native_arch), key)
  end
end

function TestSyscallFilter.test_what_is_not_built_with_hako()
  local fields = { deny_syscalls = policy.DENIED_SYSCALLS, deny_ioctls = policy.DENIED_IOCTLS }
  lu.assertEquals(syscall_filter.prebuilt_key({ profile = "default" }, fields, { 0, 7 }), "default") -- chown, setgid
  lu.assertNil(syscall_filter.prebuilt_key({ profile = "default" }, fields, { 21 })) -- sys_admin opens calls
  lu.assertNil(syscall_filter.prebuilt_key({ file = "/p" }, fields, {}))
  lu.assertNil(syscall_filter.prebuilt_key({ profile = "default" },
    { deny_syscalls = { "keyctl" }, deny_ioctls = policy.DENIED_IOCTLS }, {}))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
