-- plan_spec: spec -> ordered steps (hako.plan), no root needed.
local lu = require "luaunit"
local plan = require "hako.plan"
local spec = require "hako.spec"

local function steps_for(options)
  return plan.build(spec.build(options, { cwd = "/" }))
end

local function index_of(steps, op, side)
  for i, step in ipairs(steps) do
    if step.op == op and (side == nil or step.side == side) then return i end
  end
end

local function find(steps, op)
  return steps[index_of(steps, op)]
end

TestPlan = {}

function TestPlan.test_every_step_has_an_op_and_a_side()
  for _, step in ipairs(steps_for({ root = "/sb" })) do
    lu.assertIsString(step.op)
    lu.assertTrue(step.side == "host" or step.side == "sandbox")
  end
end

function TestPlan.test_host_checks_come_before_the_clone()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "check_target").path, "/sb")
  lu.assertEquals(find(steps, "check_old_root").path, "/sb/.hako")
  lu.assertTrue(index_of(steps, "check_old_root") < index_of(steps, "clone"))
end

function TestPlan.test_signals_are_blocked_before_the_clone()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "block_signals") < index_of(steps, "clone"))
  lu.assertItemsEquals(find(steps, "block_signals").signals,
    { "SIGCHLD", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" })
end

function TestPlan.test_clone_makes_the_namespaces()
  lu.assertEquals(find(steps_for({ root = "/sb" }), "clone").flags,
    { "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS" })
end

function TestPlan.test_sandbox_order()
  local ops = {}
  for _, step in ipairs(steps_for({ root = "/sb" })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals(ops, { "die_with_parent", "make_private", "bind_root", "chdir", "pivot_root",
    "detach_old_root", "chdir", "sethostname", "restore_signals", "exec" })
end

function TestPlan.test_pivot_root_uses_hako_as_the_old_root()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "pivot_root").old, ".hako")
  lu.assertEquals(find(steps, "detach_old_root").path, "/.hako")
end

function TestPlan.test_exec_gets_command_environment_and_path()
  local exec = find(steps_for({ root = "/sb", command = { "ls", "-l" } }), "exec")
  lu.assertEquals(exec.argv, { "ls", "-l" })
  lu.assertEquals(exec.search_path, spec.DEFAULT_PATH)
  lu.assertEquals(exec.env[1], "PATH=" .. spec.DEFAULT_PATH)
end

function TestPlan.test_host_waits_for_the_sandbox_then_supervises()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "supervise"))
  lu.assertEquals(steps[#steps].op, "supervise")
end

function TestPlan.test_the_record_is_identified_at_the_clone_and_written_once_up()
  local steps = steps_for({ root = "/sb", hostname = "box" })
  lu.assertEquals(index_of(steps, "identify_sandbox"), index_of(steps, "clone") + 1)
  lu.assertEquals(index_of(steps, "write_record"), index_of(steps, "await_sandbox") + 1)
  local write = find(steps, "write_record")
  lu.assertEquals(write.dir, "/run/hako")
  lu.assertEquals({ write.policy.uid, write.policy.caps, write.policy.hostname }, { 0, "all", "box" })
end

function TestPlan.test_describe_shows_one_line_per_step()
  local steps = steps_for({ root = "/my sb", hostname = "box" })
  local text = plan.describe(steps)
  local _, lines = text:gsub("\n", "")
  lu.assertEquals(lines, #steps)
  lu.assertStrContains(text, 'check_target     path="/my sb"')
  lu.assertStrContains(text, "sethostname      name=box")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
