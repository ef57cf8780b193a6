-- start_steps_spec: the sandbox's first moments (hako.start_steps) against a fake core,
-- no root needed: the ids it takes in a user namespace root made, and how it dies with
-- the host side.
local lu = require "luaunit"
local failure = require "hako.failure"
local fake = require "support.fake_core"
local start_steps = require "hako.start_steps"

-- The sandbox's end of the alive pipe, which the host side holds open.
local ALIVE_R = 7

local function exits(status) error({ exited = status }, 0) end

TestStartSteps = {}

-- Groups first: each change needs the privilege the next one gives up; root's
-- supplementary groups are shed, not kept into the sandbox. The parent-death signal the
-- change of ids cleared is armed again (and hako-run checked to be alive still).
function TestStartSteps.test_mapped_root_sheds_its_groups_then_becomes_gid_then_uid_0()
  local core, calls = fake.new({ setgroups = true, setresgid = true, setresuid = true, prctl = true, poll = 0 })
  start_steps.become_mapped_root({}, { core = core, alive_r = 4 })
  lu.assertEquals(calls, { { "setgroups", {} }, { "setresgid", 0 }, { "setresuid", 0 },
    { "prctl", core.PR_SET_PDEATHSIG, core.SIGKILL }, { "poll", 4, core.POLLIN, 0 } })
end

function TestStartSteps.test_mapped_root_changes_no_id_when_its_groups_cannot_go()
  local core, calls = fake.new({ setgroups = function() return nil, "setgroups: Operation not permitted", 1 end })
  local ok, err = pcall(start_steps.become_mapped_root, {}, { core = core })
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertEquals(tostring(err), "setgroups: Operation not permitted")
  lu.assertEquals(fake.names(calls), { "setgroups" })
end

-- The signal is armed first, then the pipe looked at: a host side that died before the
-- arming (whose signal would never come) shows as a hang-up.
function TestStartSteps.test_die_with_parent_arms_sigkill_then_goes_on_while_the_host_is_there()
  local core, calls = fake.new({ prctl = true, poll = 0 })
  start_steps.die_with_parent({}, { core = core, alive_r = ALIVE_R })
  lu.assertEquals(calls, { { "prctl", core.PR_SET_PDEATHSIG, core.SIGKILL }, { "poll", ALIVE_R, core.POLLIN, 0 } })
end

function TestStartSteps.test_die_with_parent_exits_when_the_host_side_has_gone()
  local core, calls
  core, calls = fake.new({ prctl = true, poll = function() return core.POLLHUP end, _exit = exits })
  local ok, err = pcall(start_steps.die_with_parent, {}, { core = core, alive_r = ALIVE_R })
  lu.assertFalse(ok)
  lu.assertEquals(err, { exited = failure.SETUP })
  lu.assertEquals(fake.names(calls), { "prctl", "poll", "_exit" })
end

-- A byte on the pipe is the host's go-ahead; its end of file, the host's death.
function TestStartSteps.test_await_release_goes_on_at_the_hosts_word_and_exits_at_its_end()
  local core, calls = fake.new({ read = fake.sequence({ "!" }, { "" }), _exit = exits })
  start_steps.await_release({}, { core = core, alive_r = ALIVE_R })
  lu.assertEquals(calls, { { "read", ALIVE_R, 1 } })
  lu.assertEquals({ pcall(start_steps.await_release, {}, { core = core, alive_r = ALIVE_R }) },
    { false, { exited = failure.SETUP } })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
