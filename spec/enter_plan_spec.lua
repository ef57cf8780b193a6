-- enter_plan_spec: hako-enter's options -> spec -> steps, and the policy it applies (pure).
local lu = require "luaunit"
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
  fails(function() spec_for({ pid = "1", user = "root" }) end,
    "user root: not a numeric id (names are not resolved yet)")
  fails(function() spec_for({ pid = "1", chdir = "tmp" }) end,
    "chdir tmp: must be an absolute path inside the sandbox")
end

function TestEnterPlan.test_the_order_of_the_steps()
  local steps = enter_plan.build(spec_for({ pid = "42", command = { "ls" } }))
  lu.assertEquals(ops(steps, "host"), { "set_nondumpable", "seal_self", "open_target", "find_record",
    "check_identity", "join", "set_root", "resolve_policy", "block_signals", "clone",
    "await_sandbox", "supervise" })
  lu.assertEquals(ops(steps, "sandbox"), { "restore_signals", "apply_policy", "die_with_parent",
    "close_fds", "exec_command" })
  lu.assertEquals(steps[#steps - 2].argv, { "ls" })
end

function TestEnterPlan.test_no_fork_execs_in_place()
  local steps = enter_plan.build(spec_for({ pid = "42", fork = false }))
  lu.assertEquals(ops(steps, "sandbox"), {})
  local host = ops(steps, "host")
  lu.assertEquals({ table.unpack(host, #host - 2) }, { "apply_policy", "close_fds", "exec_command" })
end

function TestEnterPlan.test_policy_is_the_record_by_default()
  local p = enter_plan.policy(RECORD, spec_for({ pid = "1" }).overrides, { euid = 0, environ = { "X=1" } })
  lu.assertEquals(p, { uid = 0, gid = 0, groups = {}, caps = "all", no_new_privs = 0,
    env = { "PATH=/sbin:/bin", "HOME=/" }, path = "/sbin:/bin" })
end

function TestEnterPlan.test_overrides()
  local o = spec_for({ pid = "1", user = "1000", groups = { "100,5", "6" },
    env = { "HOME=/tmp", "TERM", "PATH" } }).overrides
  local p = enter_plan.policy(RECORD, o, { euid = 0, environ = { "TERM=vt100" } })
  lu.assertEquals({ p.uid, p.gid, p.groups }, { 1000, 100, { 5, 6 } })
  lu.assertEquals(p.env, { "HOME=/tmp", "TERM=vt100" })
  lu.assertEquals(p.path, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  o = spec_for({ pid = "1", user = "7" }).overrides
  lu.assertEquals(enter_plan.policy({ uid = 0, gid = 0, groups = { 4 }, caps = "all",
    no_new_privs = 1, env = {} }, o, { euid = 0 }).groups, {})
  o = spec_for({ pid = "1", keep_env = true, env = { "A=2" } }).overrides
  lu.assertEquals(enter_plan.policy(RECORD, o, { euid = 0, environ = { "A=1", "B=1" } }).env,
    { "A=2", "B=1" })
end

function TestEnterPlan.test_without_root_overrides_can_only_lower_privilege()
  local rec = { uid = 1000, gid = 1000, groups = { 20 }, caps = "0000000000000000",
    no_new_privs = 1, env = {} }
  local caller = { euid = 1000 }
  local ok = enter_plan.policy(rec, spec_for({ pid = "1", groups = { "20" } }).overrides, caller)
  lu.assertEquals({ ok.gid, ok.groups, ok.no_new_privs }, { 20, {}, 1 })
  fails(function() enter_plan.policy(rec, spec_for({ pid = "1", user = "0" }).overrides, caller) end,
    "user 0: not allowed: only root can enter as another user")
  fails(function() enter_plan.policy(rec, spec_for({ pid = "1", groups = { "0" } }).overrides, caller) end,
    "group 0: not allowed: the sandbox's processes do not have it")
  -- Root on the host may choose anything.
  lu.assertEquals(enter_plan.policy(rec, spec_for({ pid = "1", user = "0" }).overrides, { euid = 0 }).uid, 0)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
