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

-- The init's side (clone gives the command's pid) or the command's (0).
local function run_side(clone_result)
  local core, calls
  local answers = { sigprocmask = true, clone = clone_result }
  if clone_result ~= 0 then
    -- the init's: fds closed, the command's end waited for and told, the init's own end
    answers.close, answers.write = true, true
    answers.sigtimedwait = function() return core.SIGCHLD end
    answers.waitpid = fake.sequence({ COMMAND, "exited", 5 })
    answers._exit = function(status) error({ exited = status }, 0) end
  end
  core, calls = fake.new(answers)
  local state = { core = core, saved_mask = { 13 }, status_w = 4, alive_r = 5, result_w = 6,
    policy = { keep_fds = { 9 } } }
  local step = { argv = { "sh" }, forward = { "SIGTERM", "SIGCONT" } }
  local execs = {}
  local ok, err = pcall(pid1.run, step, state, function(s, st) execs[#execs + 1] = { s, st } end)
  return core, calls, state, execs, ok, err
end

function TestPid1.test_the_init_side_blocks_first_closes_the_status_pipe_and_exits_with_the_status()
  local core, calls, state, execs, ok, err = run_side(COMMAND)
  lu.assertFalse(ok)
  lu.assertEquals(err, { exited = 5 })
  lu.assertEquals(#execs, 0)
  lu.assertEquals(calls[1], { "sigprocmask", core.SIG_BLOCK, { core.SIGCHLD, core.SIGTERM, core.SIGCONT } })
  lu.assertEquals(calls[2][1], "clone")
  -- the status pipe, the alive pipe, and the command's own fds (--keep-fd)
  lu.assertItemsEquals(fake.calls_named(calls, "close"), { { "close", 4 }, { "close", 5 }, { "close", 9 } })
  lu.assertNil(state.status_w)
  lu.assertEquals(fake.calls_named(calls, "write"), { { "write", 6, "exited 5\n" } })
end

function TestPid1.test_the_command_side_restores_the_mask_and_execs()
  local core, calls, state, execs, ok = run_side(0)
  lu.assertTrue(ok)
  lu.assertEquals(#execs, 1)
  lu.assertIs(execs[1][2], state)
  lu.assertEquals(fake.calls_named(calls, "sigprocmask")[2], { "sigprocmask", core.SIG_SETMASK, { 13 } })
  lu.assertEquals(#fake.calls_named(calls, "close"), 0) -- the command keeps the status pipe
  lu.assertEquals(#fake.calls_named(calls, "_exit"), 0)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
