-- enter_plan_spec: hako-enter's options -> spec -> steps, and the policy it applies (pure).
local lu = require "luaunit"
local docs = require "support.docs"
local enter_plan = require "hako.enter_plan"

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

local fails = require "support.fails"

TestEnterPlan = {}

function TestEnterPlan.test_defaults()
  local s = spec_for({ pid = "42" })
  lu.assertEquals(s.pid, 42)
  lu.assertEquals(s.command, { "/bin/sh" })
  lu.assertEquals(s.overrides.chdir, nil) -- the sandbox's own
  lu.assertTrue(s.fork)
  lu.assertEquals(s.directories, { "/run/hako" })
  lu.assertEquals(s.self, { "/usr/bin/hako-enter", "42" })
end

function TestEnterPlan.test_bad_pids_and_ids()
  fails(function() spec_for({}) end, "pid: missing (usage: hako-enter [options] <pid>|<name> [command])")
  for _, pid in ipairs({ "0", "99999999999", "1073741824" }) do
    fails(function() spec_for({ pid = pid }) end, "pid " .. pid .. ": not a number")
  end
  for _, name in ipairs({ "-1", "a/b", "../x", "" }) do
    fails(function() spec_for({ pid = name }) end, "name " .. name .. ": neither a pid nor a sandbox's name"
      .. " (a name: expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit)")
  end
  fails(function() spec_for({ pid = "1", user = "" }) end, "--user: must not be empty")
  fails(function() spec_for({ pid = "1", env = { "TERM" } }) end, "--env TERM: expected NAME=VALUE")
  fails(function() spec_for({ pid = "1", chdir = "tmp" }) end,
    "chdir tmp: must be an absolute path inside the sandbox")
end

-- Digits are a pid; anything else is a name, looked up in the caller's own directories
-- (open_target), then checked as a pid is, and again against the record (find_record).
function TestEnterPlan.test_a_name_instead_of_a_pid()
  local s = enter_plan.build_spec({ pid = "web.1" }, { euid = 1000, xdg_runtime_dir = "/run/user/1000" })
  lu.assertNil(s.pid)
  lu.assertEquals(s.name, "web.1")
  local steps = enter_plan.build(s)
  lu.assertEquals(steps[3], { op = "open_target", side = "host", name = "web.1", directories = s.directories })
  lu.assertEquals(steps[4], { op = "find_record", side = "host", name = "web.1", directories = s.directories })
  lu.assertEquals(s.directories, { "/run/user/1000/hako", "/tmp/hako-1000", "/run/hako" })
  -- A pid's open_target has no directories: it needs none.
  lu.assertEquals(enter_plan.build(spec_for({ pid = "42" }))[3], { op = "open_target", side = "host", pid = 42 })
end

-- The confinement hako-run ends with (hako.plan.confine), then the exec.
local CONFINEMENT = { "close_host_fds", "build_landlock", "set_rlimits", "limit_capabilities", "set_ids",
  "set_capabilities", "set_no_new_privs", "set_dumpable", "new_session_keyring", "filter_syscalls", "chdir",
  "restrict_landlock" }

function TestEnterPlan.test_the_order_of_the_steps()
  local steps = enter_plan.build(spec_for({ pid = "42", command = { "ls" } }))
  lu.assertEquals(ops(steps, "host"), { "set_dumpable", "seal_self", "open_target", "find_record",
    "check_identity", "read_policy", "check_landlock", "open_cgroups", "drop_groups", "join", "set_root",
    "block_signals", "clone", "start_job", "enter_cgroups",
    "release_sandbox", "await_sandbox", "supervise" })
  -- Held until it has the terminal (start_job); the caller's fds are gone before the ids
  -- change, which makes the child dumpable.
  local want = { "await_release", "restore_signals", "new_process_group", table.unpack(CONFINEMENT) }
  want[#want + 1] = "die_with_parent"
  want[#want + 1] = "exec"
  lu.assertEquals(ops(steps, "sandbox"), want)
  lu.assertEquals(steps[#steps - 2].argv, { "ls" })
end

function TestEnterPlan.test_no_fork_execs_in_place()
  local steps = enter_plan.build(spec_for({ pid = "42", fork = false }))
  lu.assertEquals(ops(steps, "sandbox"), {})
  local host = ops(steps, "host")
  local want = { table.unpack(CONFINEMENT) }
  want[#want + 1] = "exec"
  lu.assertEquals({ table.unpack(host, #host - #want + 1) }, want)
end

-- One policy, one sequence: hako-run's plan ends with the same confinement steps.
function TestEnterPlan.test_hako_run_confines_its_command_with_the_same_steps()
  local run = require("hako.plan").build(require("hako.spec").build({ root = "/sb", command = { "ls" } },
    { cwd = "/", uid = 0, gid = 0, euid = 0 }))
  local sandbox = ops(run, "sandbox")
  local at
  for i, op in ipairs(sandbox) do
    if op == "build_landlock" then at = i end
  end
  lu.assertEquals({ table.unpack(sandbox, at, at + #CONFINEMENT - 2) }, { table.unpack(CONFINEMENT, 2) })
  lu.assertEquals(sandbox[1], "close_host_fds")
end

-- The man page and the README describe exactly the options the code has.
function TestEnterPlan.test_man_page_and_readme_name_every_option()
  local section = docs.read("README.md"):match("### Entering a running sandbox(.-)\n### ")
  docs.assert_documented(require("hako.enter").options, "bin/hako-enter.1", section)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
