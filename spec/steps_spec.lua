-- steps_spec: the step registry. Every op a plan of either command can emit has exactly
-- one handler, in one step module's `steps` table; every handler there is reachable from
-- some plan; and nothing but those tables is dispatched on. Pure: plans are built, not run.
local lu = require "luaunit"
local enter_plan = require "hako.enter_plan"
local exec = require "hako.exec"
local plan = require "hako.plan"
local spec = require "hako.spec"

-- Started by systemd (a Type=notify unit): NOTIFY_SOCKET is set.
local ROOT = { cwd = "/", uid = 0, gid = 0, euid = 0, environ = { "NOTIFY_SOCKET=/run/systemd/notify" } }
local ROOTLESS = { cwd = "/", uid = 1000, gid = 1000, euid = 1000, xdg_runtime_dir = "/run/user/1000" }

-- hako-run's options, each turning on some steps; every one is built as root and rootless.
local RUN_OPTIONS = {
  { root = "/sb" },
  { root = "/sb", command = { "sh" } },
  { root = "/sb", command = { "sh" }, as_pid_1 = true },
  { root = "/sb", net = "host", proc = false, dev = false, read_only = true },
  { root = "/sb", net = "/run/netns/x", sys = true, proc = true, dev = true },
  { root = "/sb", user = "nobody", group = "nogroup", cap_add = { "net_raw" }, chdir = "/tmp" },
  { root = "/sb", mounts = { "/a:/a", "/b:/b:ro", { tmpfs = "/t:1m" } }, keep_fds = { 5 } },
  { root = "/sb", pid_file = "/run/x.pid", json_status_fd = 3, timeout = 1, memory = "1G", pids = 9,
    rlimits = { "nofile=9" } },
  { root = "/sb", userns = true, map_users = "auto", map_groups = "auto" },
  { root = "/sb", notify = "sandbox" },
}

local ENTER_OPTIONS = {
  { pid = "42" },
  { pid = "42", fork = false },
  { pid = "42", user = "nobody", group = "nogroup", chdir = "/tmp", env = { "A=1" }, keep_env = true },
}

local function all_plans()
  local plans = {}
  for _, options in ipairs(RUN_OPTIONS) do
    for _, context in ipairs({ ROOT, ROOTLESS }) do
      plans[#plans + 1] = plan.build(spec.build(options, context))
    end
  end
  for _, options in ipairs(ENTER_OPTIONS) do
    for _, euid in ipairs({ 0, 1000 }) do
      plans[#plans + 1] = enter_plan.build(enter_plan.build_spec(options, { euid = euid, args = {} }))
    end
  end
  return plans
end

-- op -> the names of the modules whose steps table has it
local function owners()
  local found = {}
  for _, name in ipairs(exec.STEP_MODULES) do
    local steps = require(name).steps
    lu.assertIsTable(steps, name .. " has no steps table")
    for op, handler in pairs(steps) do
      lu.assertIsFunction(handler, name .. ".steps." .. op)
      found[op] = found[op] or {}
      table.insert(found[op], name)
    end
  end
  return found
end

TestSteps = {}

function TestSteps.test_every_op_emitted_has_exactly_one_handler()
  local found = owners()
  for _, steps in ipairs(all_plans()) do
    for _, step in ipairs(steps) do
      if not exec.OWN_OPS[step.op] then
        local where = found[step.op] or {}
        lu.assertEquals(#where, 1, step.op .. " is handled by " .. table.concat(where, ", "))
        lu.assertIs(exec.handler(step.op), require(where[1]).steps[step.op])
      end
    end
  end
end

function TestSteps.test_every_handler_is_reachable_from_some_plan()
  local emitted = {}
  for _, steps in ipairs(all_plans()) do
    for _, step in ipairs(steps) do emitted[step.op] = true end
  end
  for op, where in pairs(owners()) do
    lu.assertTrue(emitted[op], op .. " (" .. where[1] .. ") is in no plan")
  end
  for op in pairs(exec.OWN_OPS) do lu.assertTrue(emitted[op], op) end
end

-- exec.OPS_OF says which module has each op (so that a plan loads only its own step
-- modules): exactly the keys of each module's steps table.
function TestSteps.test_the_op_index_is_each_modules_steps()
  lu.assertItemsEquals((function()
    local names = {}
    for name in pairs(exec.OPS_OF) do names[#names + 1] = name end
    return names
  end)(), exec.STEP_MODULES)
  for _, name in ipairs(exec.STEP_MODULES) do
    local listed, actual = {}, {}
    for op in exec.OPS_OF[name]:gmatch("%S+") do listed[#listed + 1] = op end
    for op in pairs(require(name).steps) do actual[#actual + 1] = op end
    lu.assertItemsEquals(listed, actual, name)
  end
end

-- A helper a step module exports for others is not a step: a recipe that edits the plan
-- cannot run it.
function TestSteps.test_only_the_steps_tables_are_dispatched_on()
  lu.assertIsFunction(require("hako.prepare_steps").read_inside)
  lu.assertNil(exec.handler("read_inside"))
  lu.assertIsFunction(require("hako.start_steps").explain_userns_failure)
  lu.assertNil(exec.handler("explain_userns_failure"))
  local core = setmetatable({}, { __index = function() return function() return true end end })
  local ok, err = pcall(exec.run, { { op = "read_inside", side = "host" } }, core)
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "step read_inside: unknown step")
end

-- A recipe may add steps of its own, but not replace hako's.
function TestSteps.test_a_recipes_steps_may_not_replace_hakos()
  local core = setmetatable({}, { __index = function() return function() return true end end })
  local ran = {}
  exec.run({ { op = "mine", side = "host", n = 1 } }, core, { mine = function(step) ran[#ran + 1] = step.n end })
  lu.assertEquals(ran, { 1 })
  for _, op in ipairs({ "set_ids", "clone" }) do
    local ok, err = pcall(exec.run, {}, core, { [op] = function() end })
    lu.assertFalse(ok)
    lu.assertEquals(tostring(err), "step " .. op .. ": is one of hako's own steps")
  end
  -- Nor by a table that answers for any op it is asked about: hako's own come first.
  local sneaky = setmetatable({}, { __index = function() return function() ran[#ran + 1] = "sneaky" end end })
  local prctls = 0
  local fake = setmetatable({ prctl = function() prctls = prctls + 1; return true end },
    { __index = function() return function() return true end end })
  exec.run({ { op = "set_dumpable", side = "host", dumpable = false } }, fake, sneaky)
  lu.assertEquals({ prctls, ran }, { 1, { 1 } })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
