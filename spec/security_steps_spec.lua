-- security_steps_spec: fds, keyring and seccomp steps against a fake core, no root needed.
local lu = require "luaunit"
local fake = require "support.fake_core"
local seccomp = require "hako.seccomp"
local security_steps = require "hako.security_steps"

local LAST = 0xffffffff

TestSecuritySteps = {}

function TestSecuritySteps.test_ranges_cover_every_fd_from_3_but_the_kept()
  lu.assertEquals(security_steps.ranges({}), { { 3, LAST } })
  lu.assertEquals(security_steps.ranges({ 7 }), { { 3, 6 }, { 8, LAST } })
  lu.assertEquals(security_steps.ranges({ 9, 3, 7 }), { { 4, 6 }, { 8, 8 }, { 10, LAST } })
  lu.assertEquals(security_steps.ranges({ 4, 5 }), { { 3, 3 }, { 6, LAST } })
end

function TestSecuritySteps.test_every_fd_but_the_kept_and_hakos_own_is_closed()
  local core, calls = fake.new({})
  security_steps.close_host_fds({ keep = { 7 } }, { core = core, status_w = 4, result_w = 9 })
  lu.assertEquals(calls, { { "close_range", 3, 3, 0 }, { "close_range", 5, 6, 0 },
    { "close_range", 8, 8, 0 }, { "close_range", 10, LAST, 0 } })
end

function TestSecuritySteps.test_the_filter_loaded_is_hako_seccomp_s()
  local core, calls = fake.new({})
  security_steps.filter_syscalls({ deny_ioctls = { "TIOCSTI", "TIOCLINUX" }, deny_syscalls = { "keyctl" } },
    { core = core })
  local loads = fake.calls_named(calls, "seccomp_set_mode_filter")
  lu.assertEquals(#loads, 1)
  lu.assertEquals(loads[1][2], seccomp.program(core.AUDIT_ARCH_NATIVE,
    { ioctls = { 0x5412, 0x541C }, syscalls = { "keyctl" } }, 1))
end

function TestSecuritySteps.test_a_filter_that_cannot_be_made_stops_the_sandbox()
  local core, calls = fake.new({})
  local ok, err = pcall(security_steps.filter_syscalls, { deny_syscalls = { "frobnicate" } }, { core = core })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "seccomp filter: no number known for system call frobnicate on x86_64")
  lu.assertEquals(fake.calls_named(calls, "seccomp_set_mode_filter"), {})
end

function TestSecuritySteps.test_a_failed_filter_stops_the_sandbox()
  local core = fake.new({ seccomp_set_mode_filter = function() return nil, "seccomp: Invalid argument", 22 end })
  local ok, err = pcall(security_steps.filter_syscalls, { deny_ioctls = { "TIOCSTI" } }, { core = core })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "seccomp: Invalid argument")
end

function TestSecuritySteps.test_new_session_keyring()
  local core, calls = fake.new({ join_session_keyring = 123 })
  security_steps.new_session_keyring({}, { core = core })
  lu.assertEquals(calls, { { "join_session_keyring" } })
end

function TestSecuritySteps.test_a_kernel_without_keyrings_has_none_to_reach()
  local core = fake.new({})
  core.ENOSYS = 38
  core.join_session_keyring = function() return nil, "keyctl JOIN_SESSION_KEYRING: Function not implemented", 38 end
  security_steps.new_session_keyring({}, { core = core })
  core.join_session_keyring = function() return nil, "keyctl JOIN_SESSION_KEYRING: Disk quota exceeded", 122 end
  local ok, err = pcall(security_steps.new_session_keyring, {}, { core = core })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "keyctl JOIN_SESSION_KEYRING: Disk quota exceeded")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
