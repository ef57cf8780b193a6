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
  for _, step in ipairs(steps_for({ root = "/sb", command = { "sh" } })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals(ops, { "die_with_parent", "make_private", "bind_root", "chdir", "pivot_root",
    "detach_old_root", "chdir", "sethostname", "die_with_parent", "init" })
end

function TestPlan.test_as_pid_1_execs_the_command_itself()
  local ops = {}
  for _, step in ipairs(steps_for({ root = "/sb", command = { "sh" }, as_pid_1 = true })) do
    if step.side == "sandbox" then ops[#ops + 1] = step.op end
  end
  lu.assertEquals({ table.unpack(ops, #ops - 2) }, { "die_with_parent", "restore_signals", "exec" })
end

function TestPlan.test_the_default_init_is_pid_1_itself()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(steps[index_of(steps, "exec")].argv, { "/sbin/init" })
  lu.assertNil(index_of(steps, "init"))
  lu.assertNil(index_of(steps, "open_result_pipe"))
end

function TestPlan.test_init_carries_the_command_and_the_signals_it_forwards()
  local steps = steps_for({ root = "/sb", command = { "ls", "-l" } })
  local init = find(steps, "init")
  lu.assertEquals(init.argv, { "ls", "-l" })
  lu.assertEquals(init.search_path, spec.DEFAULT_PATH)
  lu.assertEquals(init.env[1], "PATH=" .. spec.DEFAULT_PATH)
  lu.assertItemsEquals(init.forward, { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1",
    "SIGUSR2", "SIGWINCH", "SIGCONT" })
  lu.assertNil(index_of(steps, "exec"))
  -- The init reports how the command ended through a pipe made before the clone.
  lu.assertTrue(index_of(steps, "open_result_pipe") < index_of(steps, "clone"))
end

-- Credential changes clear the parent-death signal: it is armed again last, right before
-- the init forks or the command is exec'd (privilege dropping goes in between).
function TestPlan.test_die_with_parent_is_armed_first_and_again_last()
  for _, options in ipairs({ { root = "/sb", command = { "sh" } }, { root = "/sb" } }) do
    local ops = {}
    for _, step in ipairs(steps_for(options)) do
      if step.side == "sandbox" and step.op ~= "restore_signals" then ops[#ops + 1] = step.op end
    end
    lu.assertEquals(ops[1], "die_with_parent")
    lu.assertEquals(ops[#ops - 1], "die_with_parent")
  end
end

function TestPlan.test_json_status_fd_steps()
  local steps = steps_for({ root = "/sb", command = { "sh" }, json_status_fd = "7" })
  lu.assertEquals(find(steps, "check_status_fd").fd, 7)
  lu.assertTrue(index_of(steps, "check_status_fd") < index_of(steps, "clone"))
  -- Namespaces are read right after the clone; the sandbox waits for that.
  lu.assertEquals(index_of(steps, "read_namespaces"), index_of(steps, "clone") + 1)
  lu.assertEquals(find(steps, "read_namespaces").namespaces, { "mnt", "pid", "ipc", "uts" })
  lu.assertEquals(index_of(steps, "await_release"), index_of(steps, "die_with_parent") + 1)
  -- The sandbox does not keep the supervisor's fd.
  lu.assertEquals(find(steps, "close").fd, 7)
  lu.assertTrue(index_of(steps, "close") < index_of(steps, "make_private"))
  lu.assertEquals(find(steps, "report_up").fd, 7)
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "report_up"))
  lu.assertEquals(steps[#steps - 1].op, "supervise")
  lu.assertEquals(steps[#steps], { op = "report_end", side = "host", fd = 7 })
end

function TestPlan.test_a_status_fd_shared_with_the_command_stays_open()
  local steps = steps_for({ root = "/sb", command = { "sh" }, json_status_fd = 1 })
  lu.assertNil(index_of(steps, "close"))
  lu.assertEquals(find(steps, "report_up").fd, 1)
end

function TestPlan.test_without_json_status_fd_no_status_steps()
  local steps = steps_for({ root = "/sb", command = { "sh" } })
  for _, op in ipairs({ "check_status_fd", "read_namespaces", "await_release", "close", "report_up",
    "report_end" }) do
    lu.assertNil(index_of(steps, op), op)
  end
end

function TestPlan.test_timeout_goes_to_supervise()
  local supervise = find(steps_for({ root = "/sb", timeout = "2.5" }), "supervise")
  lu.assertEquals(supervise.timeout, 2.5)
  lu.assertEquals(supervise.grace, spec.DEFAULT_TIMEOUT_GRACE)
  supervise = find(steps_for({ root = "/sb", timeout = 1, timeout_grace = 0.5 }), "supervise")
  lu.assertEquals(supervise.grace, 0.5)
  supervise = find(steps_for({ root = "/sb" }), "supervise")
  lu.assertNil(supervise.timeout)
  lu.assertNil(supervise.grace)
end

function TestPlan.test_pivot_root_uses_hako_as_the_old_root()
  local steps = steps_for({ root = "/sb" })
  lu.assertEquals(find(steps, "pivot_root").old, ".hako")
  lu.assertEquals(find(steps, "detach_old_root").path, "/.hako")
end

function TestPlan.test_exec_gets_command_environment_and_path()
  local exec = find(steps_for({ root = "/sb", command = { "ls", "-l" }, as_pid_1 = true }), "exec")
  lu.assertEquals(exec.argv, { "ls", "-l" })
  lu.assertEquals(exec.search_path, spec.DEFAULT_PATH)
  lu.assertEquals(exec.env[1], "PATH=" .. spec.DEFAULT_PATH)
end

function TestPlan.test_host_waits_for_the_sandbox_then_supervises()
  local steps = steps_for({ root = "/sb" })
  lu.assertTrue(index_of(steps, "await_sandbox") < index_of(steps, "supervise"))
  lu.assertEquals(steps[#steps].op, "supervise")
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
