-- resume_spec: how a rootless sandbox's first process hands the rest of its plan to its
-- own binary, started again inside the user namespace (hako.resume), fake core. The
-- real thing runs in rootless_spec and escape_processes_spec.
local lu = require "luaunit"
local fake = require "support.fake_core"
local resume = require "hako.resume"

TestResume = {}

function TestResume.test_text_gives_the_data_back()
  local value = { steps = { { op = "bind", src = "a \"b\"\n\0c", dst = "/x", read_only = true },
    { op = "tmpfs", size = 1.5 } }, state = { status_w = 5, saved_mask = { 2, 15 }, [3] = "three" } }
  local back = load(resume.text(value), "=t", "t", {})()
  lu.assertEquals(back, value)
  lu.assertEquals(math.type(back.state.status_w), "integer")
  lu.assertEquals(math.type(back.steps[2].size), "float")
  lu.assertErrorMsgContains("cannot carry a function", resume.text, { f = print })
end

local function state_for(core)
  return { core = core, cleanups = { print }, extra_steps = { x = print }, status_w = 5, alive_r = 6, result_w = 8,
    policy = { uid = 1000, gid = 1000, groups = { 10 } }, saved_mask = { 2 },
    plan = { { op = "a" }, { op = "reexec_in_userns" }, { op = "set_dumpable", dumpable = false } },
    step_index = 2 }
end

-- The rest of the plan and the state's data go through a memfd; the fds the steps share
-- stay open across the exec; the new image gets an empty environment.
function TestResume.test_the_rest_of_the_plan_and_the_state_are_carried_across_an_exec()
  local written = {}
  local core, calls
  core, calls = fake.new({
    memfd_create = 20, read = "hako-run\n", close = true, fcntl = 0,
    write = function(_, text) written[#written + 1] = text; return #text end,
    -- The comm file, the memfd opened afresh, the binary.
    open = function(path)
      return ({ ["/proc/thread-self/comm"] = 21, ["/proc/self/fd/20"] = 22, ["/proc/self/exe"] = 23 })[path]
    end,
    -- uid 1000 inside, whose capabilities, 0 to 40 here, go across as ambient ones.
    getuid = 1000,
    prctl = function(option, cap)
      if option == core.PR_CAPBSET_READ and cap > 40 then return nil, "prctl: Invalid argument", 22 end
      return 1
    end,
    capset = true,
    execveat = true,
  })
  resume.reexec({}, state_for(core))
  local carried = load(table.concat(written), "=t", "t", {})()
  lu.assertEquals(carried.steps, { { op = "set_dumpable", dumpable = false } })
  lu.assertEquals(carried.state.policy, { uid = 1000, gid = 1000, groups = { 10 } })
  lu.assertEquals(carried.state.comm, "hako-run")
  lu.assertNil(carried.state.cleanups)
  lu.assertNil(carried.state.plan)
  lu.assertNil(carried.state.extra_steps)
  local cleared = {}
  for _, call in ipairs(fake.calls_named(calls, "fcntl")) do cleared[#cleared + 1] = call[2] end
  lu.assertEquals(cleared, { 5, 6, 8 })
  local all = (1 << 41) - 1
  lu.assertEquals(fake.calls_named(calls, "capset"), { { "capset", all, all, all } })
  -- 0 to 41 read (41 is past the last one), 0 to 40 raised
  lu.assertEquals(#fake.calls_named(calls, "prctl"), 42 + 41)
  local exec = fake.calls_named(calls, "execveat")[1]
  lu.assertEquals(exec[2], 23)
  lu.assertEquals(exec[5], {})
  -- Run by lua5.4 here: the interpreter gets the module paths; the launcher gets its name.
  lu.assertEquals(exec[4][2], "-e")
  lu.assertStrContains(exec[4][3], 'require("hako.resume").main(22, 5)')
end

-- A plan with a recipe's own steps cannot be carried: it goes on in this image
-- (and its init is not dumpable all the same: set_dumpable follows the plan alone).
function TestResume.test_a_plan_with_steps_of_its_own_stays_in_this_image()
  local core, calls = fake.new({ prctl = true })
  local state = state_for(core)
  state.custom_steps = true
  resume.reexec({}, state)
  lu.assertEquals(fake.calls_named(calls, "execveat"), {})
  require("hako.confine_steps").set_dumpable({ dumpable = false }, state)
  lu.assertEquals(fake.calls_named(calls, "prctl"), { { "prctl", core.PR_SET_DUMPABLE, 0 } })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
