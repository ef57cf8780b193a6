-- supervise_steps_spec: supervision, timeout, status reports and the record (hako.supervise_steps);
-- a fake core, but for the record (the real one, in a directory of its own).
local lu = require "luaunit"
local failure = require "hako.failure"
local fake = require "support.fake_core"
local start_steps = require "hako.start_steps"
local supervise_steps = require "hako.supervise_steps"
local policy = require "hako.policy"
local record = require "hako.record"

local CHILD = 4242

-- A state whose core answers sigtimedwait from `waits` ({results...} in turn); hako-run
-- is a shell's job (pid 10), not the leader of its session (3), unless answers say so.
-- A test with a timeout answers clock_gettime; one with a result pipe, fcntl.
local function supervised(waits, answers)
  answers = answers or {}
  answers.sigtimedwait = answers.sigtimedwait or function()
    local w = assert(table.remove(waits, 1), "waited once too often")
    return table.unpack(w, 1, 3)
  end
  answers.getpid = answers.getpid or 10
  answers.getsid = answers.getsid or 3
  local core, calls = fake.new(answers)
  return { core = core, child = CHILD, cleanups = {} }, core, calls
end

-- A signal's number in the fake core.
local function core_signal(name)
  return fake.new({})[name]
end

local FORWARD = { forward = { "SIGTERM", "SIGINT", "SIGWINCH" } }

TestSuperviseSteps = {}

function TestSuperviseSteps.test_terminal_signals_are_not_forwarded_again()
  local waits = {}
  local state, core, calls = supervised(waits, { waitpid = fake.sequence({ CHILD, "exited", 0 }), kill = true })
  waits[1] = { core.SIGINT, 0, core.SI_KERNEL }   -- ^C: the sandbox got it too
  waits[2] = { core.SIGWINCH, 0, core.SI_KERNEL }
  waits[3] = { core.SIGINT, 77, core.SI_USER }    -- kill -INT from someone
  waits[4] = { core.SIGCHLD, CHILD, 1 }
  supervise_steps.supervise(FORWARD, state)
  lu.assertEquals(fake.calls_named(calls, "kill"), { { "kill", CHILD, core.SIGINT } })
  lu.assertEquals(state.status, 0)
end

function TestSuperviseSteps.test_a_hang_up_is_passed_on_when_hako_run_leads_the_session()
  for _, case in ipairs({ { sid = 10, forwarded = 1 }, { sid = 3, forwarded = 0 } }) do
    local waits = {}
    local state, core, calls = supervised(waits, {
      waitpid = fake.sequence({ CHILD, "exited", 0 }), getsid = case.sid, getpid = 10, kill = true })
    waits[1] = { core.SIGHUP, 0, core.SI_KERNEL } -- the terminal hung up
    waits[2] = { core.SIGCHLD, CHILD, 1 }
    supervise_steps.supervise(FORWARD, state)
    lu.assertEquals(#fake.calls_named(calls, "kill"), case.forwarded)
  end
end

function TestSuperviseSteps.test_timeout_sends_term_then_kill_after_the_grace_and_gives_124()
  local waits = {}
  local state, core, calls = supervised(waits,
    { waitpid = fake.sequence({ CHILD, "killed", 9 }), kill = true, clock_gettime = 100 })
  local again = { nil, "sigtimedwait: Resource temporarily unavailable", core.EAGAIN }
  waits[1], waits[2], waits[3] = again, again, { core.SIGCHLD, CHILD, 1 }
  supervise_steps.supervise({ forward = {}, timeout = 2.5, grace = 0.5 }, state)
  lu.assertEquals(fake.calls_named(calls, "kill"),
    { { "kill", CHILD, core.SIGTERM }, { "kill", CHILD, core.SIGKILL } })
  local timeouts = {}
  for i, call in ipairs(fake.calls_named(calls, "sigtimedwait")) do timeouts[i] = call[3] or "none" end
  lu.assertEquals(timeouts, { 2.5, 0.5, "none" })
  lu.assertEquals(state.status, supervise_steps.TIMED_OUT)
  lu.assertEquals(state.status, 124)
  lu.assertEquals(state.ended, { how = "killed", code = 9 })
end

function TestSuperviseSteps.test_a_command_that_ends_on_term_still_gives_124()
  local waits = {}
  local state, core, calls = supervised(waits,
    { waitpid = fake.sequence({ CHILD, "exited", 0 }), kill = true, clock_gettime = 100 })
  waits[1] = { nil, "sigtimedwait: Resource temporarily unavailable", core.EAGAIN }
  waits[2] = { core.SIGCHLD, CHILD, 1 }
  supervise_steps.supervise({ forward = {}, timeout = 1, grace = 10 }, state)
  lu.assertEquals(#fake.calls_named(calls, "kill"), 1)
  lu.assertEquals(state.status, 124)
  lu.assertEquals(state.ended, { how = "exited", code = 0 })
end

function TestSuperviseSteps.test_the_init_tells_how_the_command_ended()
  local waits = {}
  local state, core = supervised(waits, {
    waitpid = fake.sequence({ CHILD, "exited", 137 }), fcntl = 0,
    read = fake.sequence({ "killed 9\n" }, { nil, "read: Resource temporarily unavailable", 11 }) })
  waits[1] = { core.SIGCHLD, CHILD, 1 }
  state.result_r = 3
  supervise_steps.supervise(FORWARD, state)
  lu.assertEquals(state.ended, { how = "killed", code = 9 })
  lu.assertEquals(state.status, 137)
  lu.assertNil(state.child)
end

function TestSuperviseSteps.test_an_init_killed_before_it_could_tell()
  local waits = {}
  local state, core = supervised(waits, { waitpid = fake.sequence({ CHILD, "killed", 9 }), read = "", fcntl = 0 })
  waits[1] = { core.SIGCHLD, CHILD, 1 }
  state.result_r = 3
  supervise_steps.supervise(FORWARD, state)
  lu.assertEquals(state.ended, { how = "killed", code = 9 })
  lu.assertEquals(state.status, 137)
end

function TestSuperviseSteps.test_the_sandbox_is_released_then_reported_as_identified()
  local core, calls = fake.new({ write = true })
  local state = { core = core, child = 42, alive_w = 9,
    sandbox_id = { ns = { mnt = { ino = 15000 }, pid = { ino = 16000 }, user = { ino = 1 } } } }
  start_steps.release_sandbox({}, state)
  lu.assertEquals(calls[#calls], { "write", 9, "!" })
  supervise_steps.report_up({ fd = 5, namespaces = { "mnt", "pid", "net" } }, state)
  lu.assertEquals(calls[#calls], { "write", 5, '{"pid": 42, "ns": {"mnt": 15000, "pid": 16000}}\n' })
end

function TestSuperviseSteps.test_end_reports()
  local core, calls = fake.new({ write = true })
  supervise_steps.report_end({ fd = 5 }, { core = core, ended = { how = "exited", code = 3 } })
  supervise_steps.report_end({ fd = 5 }, { core = core, ended = { how = "killed", code = 15 } })
  lu.assertEquals(fake.calls_named(calls, "write"),
    { { "write", 5, '{"exit": 3}\n' }, { "write", 5, '{"signal": 15}\n' } })
end

function TestSuperviseSteps.test_a_closed_status_fd_is_refused()
  local core = fake.new({ statx = function() return nil, "statx : Bad file descriptor", 9 end })
  local ok, err = pcall(require("hako.prepare_steps").check_status_fd, { fd = 7 }, { core = core })
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err))
  lu.assertEquals(tostring(err), "--json-status-fd 7: Bad file descriptor")
end

-- The init's news on the result pipe, then its end; a job at a terminal (fds 0 and 1).
local function job_told(lines, extra)
  local waits = {}
  local answers = {
    waitpid = fake.sequence({ CHILD, "exited", 0 }),
    read = fake.sequence({ lines }, { nil, "read: Resource temporarily unavailable", 11 }, { "" }),
    getpgid = 10, getpid = 10, tcgetpgrp = 10, getsid = 3, fcntl = 0,
    -- the sandbox's group made, the terminal handed over, stops passed on
    setpgid = true, tcsetpgrp = true, kill = true,
  }
  for k, v in pairs(extra or {}) do answers[k] = v end
  local state, core, calls = supervised(waits, answers)
  local wait = core.sigtimedwait
  -- hako's look for a SIGCONT after its own stop: none (it was not stopped, or it was
  -- and the fake kernel had nobody continue it)
  rawset(core, "sigtimedwait", function(signals, ...)
    if #signals == 1 and signals[1] == core.SIGCONT then return nil, "sigtimedwait: again", core.EAGAIN end
    return wait(signals, ...)
  end)
  state.result_r = 3
  waits[1] = { core.SIGIO, 0, 0 }
  waits[2] = { core.SIGCHLD, CHILD, 1 }
  supervise_steps.start_job({}, state)
  supervise_steps.supervise(FORWARD, state)
  return state, core, calls
end

-- A rootless sandbox's command can write to the init's result pipe: only a stop by a
-- stop signal and an end in range are believed, and hako stops itself by SIGTSTP only.
function TestSuperviseSteps.test_forged_news_on_the_result_pipe_is_dropped()
  local state, _, calls = job_told("stopped " .. core_signal("SIGKILL") .. "\nexited 4000\nkilled 0\n"
    .. "exited 3 \nrubbish\n")
  lu.assertEquals(fake.calls_named(calls, "kill"), {})
  lu.assertEquals(state.ended, { how = "exited", code = 0 })
  lu.assertEquals(state.status, 0)
  local _, _, flooded = job_told(string.rep("x", 5000) .. "\n")
  lu.assertEquals(fake.calls_named(flooded, "kill"), {})
end

function TestSuperviseSteps.test_a_stop_by_any_stop_signal_stops_hako_by_sigtstp_then_continues_the_job()
  for _, name in ipairs({ "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGSTOP" }) do
    local _, core, calls = job_told("stopped " .. core_signal(name) .. "\n")
    lu.assertEquals(fake.calls_named(calls, "kill"),
      { { "kill", 10, core.SIGTSTP }, { "kill", -CHILD, core.SIGCONT } }, name)
  end
end

-- In an orphaned group SIGTSTP is discarded and hako goes on: so must the sandbox, with
-- the terminal it had, or ^Z would leave both waiting for a fg nobody can give.
function TestSuperviseSteps.test_after_its_own_stop_hako_gives_the_terminal_back_and_continues_the_sandbox()
  local owner = 10
  local _, core, calls = job_told("stopped " .. core_signal("SIGTSTP") .. "\n", {
    tcgetpgrp = function() return owner end,
    tcsetpgrp = function(_, group) owner = group; return true end,
  })
  local handed = {}
  for _, call in ipairs(fake.calls_named(calls, "tcsetpgrp")) do handed[#handed + 1] = call[3] end
  lu.assertEquals(handed, { CHILD, 10, CHILD }) -- start, stop, go on (the end is a clean-up)
  lu.assertEquals(fake.calls_named(calls, "kill")[2], { "kill", -CHILD, core.SIGCONT })
end

-- The record, with the real hako.core in a directory of its own: written aside (PID.tmp)
-- while the sandbox sets itself up, so that no reader finds it before the sandbox is up;
-- published under PID once it is; gone at the end either way. With cgroups all of it
-- waits for publish_record (the cgroup namespace comes later).
local function record_state()
  local core = require "hako.core"
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  return { core = core, child = CHILD, cleanups = {}, policy = policy.from_spec({ hostname = "hako" }),
    record_dirfd = assert(core.open(dir, core.O_PATH | core.O_DIRECTORY)),
    sandbox_id = { start_time = 77, ns = { mnt = { dev = "0:4", ino = 4026532281 } } } }, dir
end

local function names(dir)
  local list = {}
  for name in io.popen("ls -A " .. dir):lines() do list[#list + 1] = name end
  return table.concat(list, " ")
end

local function finish(state, dir)
  for _, cleanup in ipairs(state.cleanups) do cleanup() end
  local left = names(dir)
  state.core.close(state.record_dirfd)
  os.execute("rm -rf " .. dir)
  return left
end

function TestSuperviseSteps.test_the_record_is_written_aside_then_published_once_up()
  local state, dir = record_state()
  local step = { root = "/sb", command = { "/bin/true" } }
  local core, euid = state.core, state.core.geteuid()
  supervise_steps.write_record(step, state)
  lu.assertEquals(names(dir), CHILD .. ".tmp")
  lu.assertEquals(select(3, record.read(core, state.record_dirfd, CHILD, euid)), core.ENOENT)
  supervise_steps.publish_record({}, state)
  lu.assertEquals(names(dir), tostring(CHILD))
  local rec = assert(record.read(core, state.record_dirfd, CHILD, euid))
  lu.assertEquals({ rec.pid, rec.root, rec.start_time }, { CHILD, "/sb", 77 })
  lu.assertEquals(finish(state, dir), "")
end

function TestSuperviseSteps.test_a_sandbox_that_never_came_up_leaves_no_record_aside()
  local state, dir = record_state()
  supervise_steps.write_record({ root = "/sb" }, state)
  lu.assertEquals(names(dir), CHILD .. ".tmp")
  lu.assertEquals(finish(state, dir), "")
end

function TestSuperviseSteps.test_with_cgroups_the_record_waits_for_publish()
  local state, dir = record_state()
  supervise_steps.write_record({ root = "/sb", defer = true }, state)
  lu.assertEquals(names(dir), "")
  supervise_steps.publish_record({}, state)
  lu.assertEquals(names(dir), tostring(CHILD))
  lu.assertEquals(finish(state, dir), "")
end

-- A PID.tmp left by a hako-run killed before it could publish is replaced; a record that
-- is no longer the one written (a new sandbox with the pid) is left where it is.
function TestSuperviseSteps.test_a_leftover_is_replaced_and_another_record_left_alone()
  local state, dir = record_state()
  local f = assert(io.open(dir .. "/" .. CHILD .. ".tmp", "w"))
  f:write("left by a killed hako-run\n")
  f:close()
  supervise_steps.write_record({ root = "/sb" }, state)
  supervise_steps.publish_record({}, state)
  lu.assertNotNil(record.read(state.core, state.record_dirfd, CHILD, state.core.geteuid()))
  -- The same bytes in a new file: on tmpfs, even the same inode number.
  local path = dir .. "/" .. CHILD
  assert(os.execute("c=$(cat " .. path .. ") && rm " .. path .. " && printf '%s\\n' \"$c\" >" .. path))
  lu.assertEquals(finish(state, dir), tostring(CHILD))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
