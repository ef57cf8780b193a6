-- pid1_spec: hako's PID 1 (hako.pid1) against a fake core, no root needed.
local lu = require "luaunit"
local fake = require "support.fake_core"
local pid1 = require "hako.pid1"

local COMMAND = 2

-- A core whose sigtimedwait gives `signals` in turn ({signo, si_code}) and whose
-- waitpid(-1, WNOHANG | WUNTRACED) gives `reaped` in turn ({pid, how, code}, then {0}); `also`
-- answers the loop's other calls the test expects (write, kill).
local function core_with(signals, reaped, also)
  local answers = {
    sigtimedwait = function()
      local s = table.remove(signals, 1)
      assert(s, "the loop waited again after the command ended")
      return s[1], 0, s[2]
    end,
    waitpid = function() return table.unpack(table.remove(reaped, 1) or { 0 }) end,
  }
  return fake.new(fake.allow(answers, also))
end

TestPid1 = {}

function TestPid1.test_reaps_every_child_and_ends_with_the_command()
  local core, calls
  local signals, reaped = {}, {
    { 7, "exited", 0 }, { 8, "killed", 9 }, { 0 },  -- orphans, then nothing more
    { 9, "exited", 1 }, { COMMAND, "exited", 3 },
  }
  core, calls = core_with(signals, reaped, { "write" })
  signals[1] = { core.SIGCHLD, core.SI_KERNEL }
  signals[2] = { core.SIGCHLD, core.SI_KERNEL }
  lu.assertEquals(pid1.loop(core, COMMAND, {}, 11), 3)
  lu.assertEquals(#fake.calls_named(calls, "waitpid"), 5)
  -- Never waiting, and told of stops too: the command's are relayed on the result pipe.
  for _, call in ipairs(fake.calls_named(calls, "waitpid")) do
    lu.assertEquals(call, { "waitpid", -1, core.WNOHANG | core.WUNTRACED })
  end
  lu.assertEquals(fake.calls_named(calls, "write"), { { "write", 11, "exited 3\n" } })
  lu.assertEquals(#fake.calls_named(calls, "kill"), 0)
end

function TestPid1.test_a_command_killed_by_a_signal()
  local signals, reaped = {}, { { COMMAND, "killed", 11 } }
  local core, calls = core_with(signals, reaped, { "write" })
  signals[1] = { core.SIGCHLD, core.SI_KERNEL }
  lu.assertEquals(pid1.loop(core, COMMAND, {}, 11), 139)
  lu.assertEquals(fake.calls_named(calls, "write"), { { "write", 11, "killed 11\n" } })
end

function TestPid1.test_forwards_what_it_is_sent_but_not_what_the_terminal_sent_to_all()
  local signals, reaped = {}, { { COMMAND, "exited", 0 } }
  local core, calls = core_with(signals, reaped, { "kill" })
  signals[1] = { core.SIGTERM, core.SI_USER }
  signals[2] = { core.SIGINT, core.SI_KERNEL } -- ^C: the command has its own copy
  signals[3] = { core.SIGWINCH, core.SI_KERNEL }
  signals[4] = { core.SIGCONT, core.SI_USER }
  signals[5] = { core.SIGINT, core.SI_USER }
  signals[6] = { core.SIGCHLD, core.SI_KERNEL }
  lu.assertEquals(pid1.loop(core, COMMAND, {}, nil), 0)
  lu.assertEquals(fake.calls_named(calls, "kill"), {
    { "kill", COMMAND, core.SIGTERM }, { "kill", COMMAND, core.SIGCONT }, { "kill", COMMAND, core.SIGINT },
  })
  lu.assertEquals(#fake.calls_named(calls, "write"), 0)
end

-- The init's side: spawn (confine_steps.spawn) starts the command, or raises its failure.
local function run_side(spawn)
  local core, calls
  local answers = { sigprocmask = true, close = true, write = true }
  answers.sigtimedwait = function() return core.SIGCHLD end
  answers.waitpid = fake.sequence({ COMMAND, "exited", 5 })
  answers._exit = function(status) error({ exited = status }, 0) end
  core, calls = fake.new(answers)
  local state = { core = core, saved_mask = { 13 }, status_w = 4, alive_r = 5, result_w = 6,
    policy = { keep_fds = { 9 } } }
  local step = { argv = { "sh" }, forward = { "SIGTERM", "SIGCONT" } }
  local spawns = {}
  local ok, err = pcall(pid1.run, step, state, function(s, st, mask)
    spawns[#spawns + 1] = { s, st, mask }
    return spawn()
  end)
  return core, calls, state, spawns, ok, err
end

function TestPid1.test_the_init_side_blocks_first_closes_the_status_pipe_and_exits_with_the_status()
  local core, calls, state, spawns, ok, err = run_side(function() return COMMAND end)
  lu.assertFalse(ok)
  lu.assertEquals(err, { exited = 5 })
  lu.assertEquals(calls[1], { "sigprocmask", core.SIG_BLOCK, { core.SIGCHLD, core.SIGTERM, core.SIGCONT } })
  -- The command is started with the caller's signal mask, by the step and state given.
  lu.assertEquals(#spawns, 1)
  lu.assertIs(spawns[1][2], state)
  lu.assertEquals(spawns[1][3], { 13 })
  -- the status pipe, the alive pipe, and the command's own fds (--keep-fd)
  lu.assertItemsEquals(fake.calls_named(calls, "close"), { { "close", 4 }, { "close", 5 }, { "close", 9 } })
  lu.assertNil(state.status_w)
  lu.assertEquals(fake.calls_named(calls, "write"), { { "write", 6, "exited 5\n" } })
end

-- A command that cannot be started: its failure goes up as it is (the sandbox reports it
-- on the status pipe, which stays open for that), and no loop runs.
function TestPid1.test_a_failed_spawn_is_raised_with_the_status_pipe_open()
  local _, calls, state, _, ok, err = run_side(function() error("cannot exec", 0) end)
  lu.assertFalse(ok)
  lu.assertEquals(err, "cannot exec")
  lu.assertEquals(state.status_w, 4)
  lu.assertEquals(#fake.calls_named(calls, "close"), 0)
  lu.assertEquals(#fake.calls_named(calls, "sigtimedwait"), 0)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
