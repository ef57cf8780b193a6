-- confine_steps_spec: the confinement steps (hako.confine_steps) against a fake core, no
-- root needed: what each asks of the kernel, in what order, from the policy.
local lu = require "luaunit"
local confine_steps = require "hako.confine_steps"
local fake = require "support.fake_core"
local policy = require "hako.policy"
local seccomp = require "hako.seccomp"

-- A policy as hako-run makes it, changed by `changes`; given caps alone, uid 0 keeps them
-- too (root_caps, as without a range of ids).
local function policy_with(changes)
  local p = policy.from_spec({ env = { "PATH=/bin" }, caps = {}, keep_fds = {}, hostname = "h" })
  for k, v in pairs(changes or {}) do p[k] = v end
  if changes and changes.caps and not changes.root_caps then p.root_caps = changes.caps end
  return p
end

local LAST = 0xffffffff

TestConfineSteps = {}

function TestConfineSteps.test_ranges_cover_every_fd_from_3_but_the_kept()
  lu.assertEquals(confine_steps.ranges({}), { { 3, LAST } })
  lu.assertEquals(confine_steps.ranges({ 7 }), { { 3, 6 }, { 8, LAST } })
  lu.assertEquals(confine_steps.ranges({ 9, 3, 7 }), { { 4, 6 }, { 8, 8 }, { 10, LAST } })
  lu.assertEquals(confine_steps.ranges({ 4, 5 }), { { 3, 3 }, { 6, LAST } })
end

function TestConfineSteps.test_every_fd_but_the_kept_and_hakos_own_is_closed()
  local core, calls = fake.new({ close_range = true })
  confine_steps.close_host_fds({},
    { core = core, status_w = 4, result_w = 9, policy = policy_with({ keep_fds = { 7 } }) })
  lu.assertEquals(calls, { { "close_range", 3, 3, 0 }, { "close_range", 5, 6, 0 },
    { "close_range", 8, 8, 0 }, { "close_range", 10, LAST, 0 } })
end

function TestConfineSteps.test_the_filter_loaded_is_hako_seccomp_s()
  local core, calls = fake.new({ seccomp_set_mode_filter = true })
  confine_steps.filter_syscalls({},
    { core = core, policy = policy_with({
      seccomp = { deny_ioctls = { "TIOCSTI", "TIOCLINUX" }, deny_syscalls = { "keyctl" } } }) })
  local loads = fake.calls_named(calls, "seccomp_set_mode_filter")
  lu.assertEquals(#loads, 1)
  local rules = { { name = "ioctl", action = { kind = "errno", errno = 1 },
    args = { { arg = 1, op = "masked_eq", value = 0x5412, mask = 0xffffffff } } },
    { name = "ioctl", action = { kind = "errno", errno = 1 },
      args = { { arg = 1, op = "masked_eq", value = 0x541C, mask = 0xffffffff } } },
    { name = "keyctl", action = { kind = "errno", errno = 1 }, args = {} } }
  lu.assertEquals(loads[1][2], seccomp.compile({ default = { kind = "allow" }, rules = rules, unknown = "error" },
    core.AUDIT_ARCH_NATIVE))
end

-- hako-run's compiled program is loaded as it is; hako-enter's command gets hako's own
-- rules and then the sandbox's program from the record, two filters.
function TestConfineSteps.test_the_programs_of_the_policy_are_loaded()
  local core, calls = fake.new({ seccomp_set_mode_filter = true })
  local own = { deny_ioctls = { "TIOCSTI" }, deny_syscalls = {} }
  confine_steps.filter_syscalls({}, { core = core, policy = policy_with({
    seccomp = { deny_ioctls = own.deny_ioctls, deny_syscalls = {}, program = "PROGRAM" } }) })
  confine_steps.filter_syscalls({}, { core = core, policy = policy_with({
    seccomp = { deny_ioctls = own.deny_ioctls, deny_syscalls = {}, sandbox_program = "SANDBOX" } }) })
  local loads = fake.calls_named(calls, "seccomp_set_mode_filter")
  lu.assertEquals(#loads, 3)
  lu.assertEquals(loads[1][2], "PROGRAM")
  lu.assertStrMatches(loads[2][2], "^ %z%z%z\4%z%z%z.*") -- ld [arch]: hako's own rules compiled
  lu.assertEquals(loads[3][2], "SANDBOX")
end

function TestConfineSteps.test_a_filter_that_cannot_be_made_stops_the_sandbox()
  for _, case in ipairs({ { { deny_ioctls = {}, deny_syscalls = { "frobnicate" } }, "unknown system call frobnicate" },
    { { deny_ioctls = { "TIOCFOO" }, deny_syscalls = {} }, "unknown ioctl TIOCFOO" } }) do
    local core, calls = fake.new({})
    local state = { core = core, policy = policy_with({ seccomp = case[1] }) }
    local ok, err = pcall(confine_steps.filter_syscalls, {}, state)
    lu.assertFalse(ok)
    lu.assertEquals(tostring(err), "seccomp filter: " .. case[2])
    lu.assertEquals(fake.calls_named(calls, "seccomp_set_mode_filter"), {})
  end
end

function TestConfineSteps.test_a_failed_filter_stops_the_sandbox()
  local core = fake.new({ seccomp_set_mode_filter = function() return nil, "seccomp: Invalid argument", 22 end })
  local ok, err = pcall(confine_steps.filter_syscalls, {},
    { core = core, policy = policy_with({ seccomp = { deny_ioctls = { "TIOCSTI" }, deny_syscalls = {} } }) })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "seccomp: Invalid argument")
end

function TestConfineSteps.test_new_session_keyring()
  local core, calls = fake.new({ join_session_keyring = 123 })
  confine_steps.new_session_keyring({}, { core = core })
  lu.assertEquals(calls, { { "join_session_keyring" } })
end

function TestConfineSteps.test_a_kernel_without_keyrings_has_none_to_reach()
  local core = fake.new({ join_session_keyring = fake.sequence(
    { nil, "keyctl JOIN_SESSION_KEYRING: Function not implemented", 38, n = 3 },
    { nil, "keyctl JOIN_SESSION_KEYRING: Disk quota exceeded", 122, n = 3 }) })
  lu.assertEquals(core.ENOSYS, 38)
  confine_steps.new_session_keyring({}, { core = core })
  local ok, err = pcall(confine_steps.new_session_keyring, {}, { core = core })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "keyctl JOIN_SESSION_KEYRING: Disk quota exceeded")
end

-- The kernel's last capability: PR_CAPBSET_DROP of the next fails with EINVAL.
local function capbset_drop_up_to(core, last)
  return function(option, cap)
    if option == core.PR_CAPBSET_DROP and cap > last then return nil, "prctl PR_CAPBSET_DROP: Invalid argument", 22 end
    return true
  end
end

function TestConfineSteps.test_the_bounding_set_loses_all_but_the_kept_up_to_the_kernels_last()
  local answers = {}
  local core, calls = fake.new(answers)
  answers.prctl = capbset_drop_up_to(core, 40)
  confine_steps.limit_capabilities({}, { core = core, policy = policy_with({ caps = { 13, 21 } }) })
  local dropped = {}
  for _, call in ipairs(calls) do
    if call[2] == core.PR_CAPBSET_DROP then dropped[#dropped + 1] = call[3] end
  end
  lu.assertEquals(#dropped, 41 - 2 + 1) -- 0..40 but 13 and 21, then 41 refused
  for _, cap in ipairs(dropped) do lu.assertFalse(cap == 13 or cap == 21) end
  lu.assertEquals(dropped[#dropped], 41)
  -- no ambient capabilities; permitted kept across the uid change, since some are kept
  lu.assertEquals({ calls[#calls - 1], calls[#calls] }, {
    { "prctl", core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_CLEAR_ALL },
    { "prctl", core.PR_SET_KEEPCAPS, 1 } })
end

function TestConfineSteps.test_no_kept_capabilities_no_keepcaps()
  local answers = {}
  local core, calls = fake.new(answers)
  answers.prctl = capbset_drop_up_to(core, 40)
  confine_steps.limit_capabilities({}, { core = core, policy = policy_with({ caps = {} }) })
  for _, call in ipairs(calls) do lu.assertNotEquals(call[2], core.PR_SET_KEEPCAPS) end
end

function TestConfineSteps.test_a_refused_capability_drop_stops_the_sandbox()
  local core = fake.new({ prctl = function() return nil, "prctl PR_CAPBSET_DROP: Operation not permitted", 1 end })
  local ok, err = pcall(confine_steps.limit_capabilities, {}, { core = core, policy = policy_with() })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "prctl PR_CAPBSET_DROP: Operation not permitted")
end

function TestConfineSteps.test_ids_groups_first_then_gid_then_uid()
  local core, calls = fake.new({ setgroups = true, setresgid = true, setresuid = true })
  confine_steps.set_ids({}, { core = core, policy = policy_with({ uid = 1000, gid = 100, groups = { 100, 5 } }) })
  lu.assertEquals(calls, { { "setgroups", { 100, 5 } }, { "setresgid", 100 }, { "setresuid", 1000 } })
end

function TestConfineSteps.test_no_setgroups_where_the_user_namespace_denies_it()
  local core, calls = fake.new({ setresgid = true, setresuid = true })
  confine_steps.set_ids({}, { core = core, policy = policy_with({ uid = 0, gid = 0, groups = {}, setgroups = false }) })
  lu.assertEquals(calls, { { "setresgid", 0 }, { "setresuid", 0 } })
end

-- uid 0 keeps root_caps (a container's set, with ids of its own), any other user caps.
function TestConfineSteps.test_uid_0_keeps_the_root_set_another_user_the_other()
  for uid, kept in pairs({ [0] = { 0, 5 }, [1000] = { 13 } }) do
    local core, calls = fake.new({ capset = true, prctl = true })
    confine_steps.set_capabilities({}, { core = core, policy = policy_with({ uid = uid, caps = { 13 },
      root_caps = { 0, 5 } }) })
    local mask = (1 << kept[1]) | (1 << kept[#kept])
    lu.assertEquals(calls[1], { "capset", mask, mask, mask })
    lu.assertEquals(#calls, 1 + #kept)
  end
end

function TestConfineSteps.test_kept_capabilities_are_in_every_set_and_ambient()
  local core, calls = fake.new({ capset = true, prctl = true })
  confine_steps.set_capabilities({}, { core = core, policy = policy_with({ caps = { 10, 13 } }) })
  local mask = (1 << 10) | (1 << 13)
  lu.assertEquals(calls, { { "capset", mask, mask, mask },
    { "prctl", core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_RAISE, 10 },
    { "prctl", core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_RAISE, 13 } })
end

function TestConfineSteps.test_no_capabilities_by_default()
  local core, calls = fake.new({ capset = true })
  confine_steps.set_capabilities({}, { core = core, policy = policy_with() })
  lu.assertEquals(calls, { { "capset", 0, 0, 0 } })
end

function TestConfineSteps.test_no_new_privs()
  local core, calls = fake.new({ prctl = true })
  confine_steps.set_no_new_privs({}, { core = core, policy = policy_with() })
  lu.assertEquals(calls, { { "prctl", core.PR_SET_NO_NEW_PRIVS, 1 } })
end

function TestConfineSteps.test_exec_uses_the_policys_environment_and_path()
  local tried = {}
  local core = fake.new({ execve = function(path, argv, env)
    tried[#tried + 1] = { path, argv, env }
    return nil, "execve " .. path .. ": No such file or directory", 2
  end })
  local p = policy_with({ env = { "PATH=/a:/b", "HOME=/h" } })
  local ok, err = pcall(confine_steps.exec, { argv = { "tool", "x" } }, { core = core, policy = p })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "tool: command not found")
  lu.assertEquals(err.status, 127)
  lu.assertEquals(tried, { { "/a/tool", { "tool", "x" }, p.env }, { "/b/tool", { "tool", "x" }, p.env } })
end

function TestConfineSteps.test_an_unusable_command_is_126()
  local core = fake.new({ execve = function(path) return nil, "execve " .. path .. ": Permission denied", 13 end })
  local ok, err = pcall(confine_steps.exec, { argv = { "/bin/x" } }, { core = core, policy = policy_with() })
  lu.assertFalse(ok)
  lu.assertEquals({ tostring(err), err.status }, { "/bin/x: Permission denied", 126 })
end

-- hako's PID 1 starts the command with core.spawn: PATH as for exec, the mask given, the pid.
function TestConfineSteps.test_spawn_looks_in_path_and_gives_the_pid()
  local tried = {}
  local core = fake.new({ spawn = function(path, argv, env, mask)
    tried[#tried + 1] = { path, argv, env, mask }
    if path == "/b/tool" then return 42 end
    return nil, "execve " .. path .. ": No such file or directory", 2
  end })
  local p = policy_with({ env = { "PATH=/a:/b", "HOME=/h" } })
  lu.assertEquals(confine_steps.spawn({ argv = { "tool" } }, { core = core, policy = p }, { 13 }), 42)
  lu.assertEquals(tried, { { "/a/tool", { "tool" }, p.env, { 13 } }, { "/b/tool", { "tool" }, p.env, { 13 } } })
end

-- No process at all (--pids reached) is hako's failure, 125, not the command's 126.
function TestConfineSteps.test_spawn_without_a_process_is_a_setup_failure()
  local core = fake.new({ spawn = function() return nil, "clone: Resource temporarily unavailable", 11 end })
  local ok, err = pcall(confine_steps.spawn, { argv = { "/bin/x" } }, { core = core, policy = policy_with() })
  lu.assertFalse(ok)
  lu.assertEquals({ tostring(err), err.status }, { "clone: Resource temporarily unavailable", 125 })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
