-- enter_plan_spec: hako-enter's options -> spec -> steps, and the policy it applies (pure).
local lu = require "luaunit"
local docs = require "support.docs"
local enter_plan = require "hako.enter_plan"
local failure = require "hako.failure"

local CONTEXT = { argv0 = "/usr/bin/hako-enter", args = { "42" }, euid = 0 }

local function spec_for(options)
  return enter_plan.build_spec(options, CONTEXT)
end

local function ops(steps, side)
  local list = {}
  for _, step in ipairs(steps) do
    if side == nil or step.side == side then list[#list + 1] = step.op end
  end
  return list
end

local function fails(f, message)
  local ok, err = pcall(f)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertEquals(tostring(err), message)
  lu.assertEquals(err.status, 125)
end

local RECORD = { uid = 0, gid = 0, groups = {}, caps = "all", no_new_privs = 0,
  env = { "PATH=/sbin:/bin", "HOME=/" } }

TestEnterPlan = {}

function TestEnterPlan.test_defaults()
  local s = spec_for({ pid = "42" })
  lu.assertEquals(s.pid, 42)
  lu.assertEquals(s.command, { "/bin/sh" })
  lu.assertEquals(s.chdir, "/")
  lu.assertTrue(s.fork)
  lu.assertEquals(s.directories, { "/run/hako" })
  lu.assertEquals(s.self, { "/usr/bin/hako-enter", "42" })
end

function TestEnterPlan.test_bad_pids_and_ids()
  fails(function() spec_for({}) end, "pid: missing (usage: hako-enter [options] <pid> [command])")
  for _, pid in ipairs({ "abc", "-1", "0", "1.5", "99999999999" }) do
    fails(function() spec_for({ pid = pid }) end, "pid " .. pid .. ": not a number")
  end
  fails(function() spec_for({ pid = "1", user = "" }) end, "--user: must not be empty")
  fails(function() spec_for({ pid = "1", env = { "TERM" } }) end, "--env TERM: expected NAME=VALUE")
  fails(function() spec_for({ pid = "1", chdir = "tmp" }) end,
    "chdir tmp: must be an absolute path inside the sandbox")
end

function TestEnterPlan.test_the_order_of_the_steps()
  local steps = enter_plan.build(spec_for({ pid = "42", command = { "ls" } }))
  lu.assertEquals(ops(steps, "host"), { "set_nondumpable", "seal_self", "open_target", "find_record",
    "check_identity", "resolve_policy", "drop_groups", "join", "set_root", "block_signals", "clone", "start_job",
    "release_sandbox", "await_sandbox", "supervise" })
  -- Held until it has the terminal (start_job); the caller's fds are gone before the ids
  -- change, which makes the child dumpable.
  lu.assertEquals(ops(steps, "sandbox"), { "await_release", "restore_signals", "new_process_group", "close_fds",
    "apply_policy", "set_nondumpable", "new_session_keyring", "filter_syscalls", "die_with_parent", "chdir",
    "exec_command" })
  lu.assertEquals(steps[#steps - 5].deny_ioctls, { "TIOCSTI", "TIOCLINUX" })
  lu.assertEquals(steps[#steps - 5].deny_syscalls, { "keyctl", "add_key", "request_key" })
  lu.assertEquals(steps[#steps - 3].path, "/")
  lu.assertEquals(steps[#steps - 2].argv, { "ls" })
end

function TestEnterPlan.test_no_fork_execs_in_place()
  local steps = enter_plan.build(spec_for({ pid = "42", fork = false }))
  lu.assertEquals(ops(steps, "sandbox"), {})
  local host = ops(steps, "host")
  lu.assertEquals({ table.unpack(host, #host - 6) }, { "close_fds", "apply_policy", "set_nondumpable",
    "new_session_keyring", "filter_syscalls", "chdir", "exec_command" })
  lu.assertEquals(steps[#steps - 2].deny_syscalls, { "keyctl", "add_key", "request_key" })
end

function TestEnterPlan.test_policy_is_the_record_by_default()
  local p = enter_plan.policy(RECORD, spec_for({ pid = "1" }).overrides, { euid = 0, environ = { "X=1" } })
  lu.assertEquals(p, { uid = 0, gid = 0, groups = {}, caps = "all", no_new_privs = 0, setgroups = true,
    env = { "PATH=/sbin:/bin", "HOME=/" }, path = "/sbin:/bin" })
end

function TestEnterPlan.test_overrides()
  local o = spec_for({ pid = "1", user = "joe", env = { "TERM=vt100", "PATH=/x" } }).overrides
  local joe = { uid = 1000, gid = 100, groups = { 100, 5 }, home = "/home/joe" }
  local p = enter_plan.policy(RECORD, o, { euid = 0 }, joe)
  lu.assertEquals({ p.uid, p.gid, p.groups }, { 1000, 100, { 100, 5 } })
  lu.assertEquals(p.env, { "PATH=/x", "HOME=/home/joe", "TERM=vt100" })
  lu.assertEquals(p.path, "/x")
  o = spec_for({ pid = "1", user = "7", env = { "HOME=/tmp" } }).overrides
  lu.assertEquals(enter_plan.policy(RECORD, o, { euid = 0 }, { uid = 7, gid = 7, groups = { 7 } }).env,
    { "PATH=/sbin:/bin", "HOME=/tmp" })
  o = spec_for({ pid = "1", keep_env = true, env = { "A=2" } }).overrides
  lu.assertEquals(enter_plan.policy(RECORD, o, { euid = 0, environ = { "A=1", "B=1" } }).env,
    { "A=2", "B=1" })
end

function TestEnterPlan.test_without_root_overrides_can_only_lower_privilege()
  local rec = { uid = 1000, gid = 1000, groups = { 20 }, caps = "0000000000000000",
    no_new_privs = 1, env = {} }
  local caller = { euid = 1000 }
  local o = spec_for({ pid = "1", group = "20" }).overrides
  local ok = enter_plan.policy(rec, o, caller, { uid = 1000, gid = 20, groups = { 20 } })
  lu.assertEquals({ ok.gid, ok.groups, ok.no_new_privs }, { 20, { 20 }, 1 })
  o = spec_for({ pid = "1", user = "root" }).overrides
  fails(function() enter_plan.policy(rec, o, caller, { uid = 0, gid = 0, groups = { 0 } }) end,
    "--user root: not allowed: only root can enter as another user")
  o = spec_for({ pid = "1", group = "0" }).overrides
  fails(function() enter_plan.policy(rec, o, caller, { uid = 1000, gid = 0, groups = { 0 } }) end,
    "group 0: not allowed: the sandbox's processes do not have it")
  -- Root on the host may choose anything.
  o = spec_for({ pid = "1", user = "root" }).overrides
  lu.assertEquals(enter_plan.policy(rec, o, { euid = 0 }, { uid = 0, gid = 0, groups = { 0 } }).uid, 0)
end

-- The man page and the README describe exactly the options the code has.
function TestEnterPlan.test_man_page_and_readme_name_every_option()
  local section = docs.read("README.md"):match("### Entering a running sandbox(.-)\n### ")
  docs.assert_documented(require("hako.enter").options, "bin/hako-enter.1", section)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
