-- exec_spec: the executor (hako.exec) against a fake core, no root needed.
local lu = require "luaunit"
local exec = require "hako.exec"
local failure = require "hako.failure"
local fake = require "support.fake_core"
local plan = require "hako.plan"
local spec = require "hako.spec"

local CHILD = 4242

-- The executor's work, seen in the old mode (--userns host): the user namespace's own
-- steps are userns_steps_spec's.
local function steps()
  return plan.build(spec.build({ root = "/sb", command = { "/bin/true" }, net = "host",
    proc = false, dev = false, userns = "host" }, { cwd = "/" }))
end

-- Answers for a healthy host side: checks pass, the sandbox starts.
local function host_answers(extra)
  local answers = {
    statx = function(_, path)
      return { type = "directory", mount_root = false, path = path, dev_major = 0, dev_minor = 4, ino = 1,
        uid = 0, mode = 448 }
    end,
    readdir = {},
    sigprocmask = { 13 },
    -- result pipe (hako's PID 1 -> host), then status and alive (exec.start_sandbox)
    pipe2 = fake.sequence({ 3, 4 }, { 5, 6 }, { 7, 8 }),
    geteuid = 0,
    clone = CHILD,
    read = "",
    fcntl = 0,
    -- Not at a terminal: the sandbox's process group stays in the background.
    getpgid = 100,
    tcgetpgrp = function() return nil, "tcgetpgrp: Inappropriate ioctl for device", 25 end,
    -- A kernel without Landlock: its defaults are left out quietly.
    landlock_abi = function() return nil, "landlock_create_ruleset version: Function not implemented", 38 end,
    -- No /proc here: the sandbox gets no record (see supervise_steps.write_record).
    open = function(path)
      if path:match("^/proc/") then return nil, "open " .. path .. ": No such file or directory", 2 end
      return 20
    end,
    openat2 = 21,
    -- Not the leader of its session: a shell's job.
    getpid = 10, getsid = 3,
  }
  -- What only has to succeed here: fds closed, the target made the working directory,
  -- the sandbox's process group, the byte that releases it.
  fake.allow(answers, { "close", "fchdir", "setpgid", "write" })
  for k, v in pairs(extra or {}) do answers[k] = v end
  return answers
end

-- The sandbox's side as well: clone gives 0 (its first process, then its init's fork of
-- the command) and _exit ends the test. Its mounts, ids, capabilities and filter only
-- have to succeed here; what they are is root_steps_spec's and confine_steps_spec's.
local function sandbox_answers(extra)
  local answers = host_answers({
    clone = 0,
    _exit = function(status) error({ exited = status }, 0) end,
    poll = 0, -- the alive pipe: the host is there
    open_tree = 30,
    join_session_keyring = 123,
    getcwd = "/",
  })
  fake.allow(answers, { "close_range", "prctl", "mount", "mount_setattr", "move_mount", "pivot_root", "umount2",
    "sethostname", "setgroups", "setresgid", "setresuid", "capset", "seccomp_set_mode_filter" })
  for k, v in pairs(extra) do answers[k] = v end
  return answers
end

local function raises(f)
  local ok, err = pcall(f)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  return err
end

TestExec = {}

function TestExec.test_a_bad_old_root_fails_before_the_clone()
  local core, calls = fake.new(host_answers({ readdir = { "junk" } }))
  local err = raises(function() exec.run(steps(), core) end)
  lu.assertEquals(tostring(err), "/sb/.hako: not empty")
  lu.assertEquals(#fake.calls_named(calls, "clone"), 0)
end

function TestExec.test_status_and_forwarded_signals()
  local waits = {}
  local core, calls = fake.new(host_answers({
    -- First a SIGTERM for the sandbox, then its SIGCHLD.
    sigtimedwait = function() return table.remove(waits, 1) end,
    waitpid = fake.sequence({ CHILD, "exited", 3 }),
    kill = true,
  }))
  waits = { core.SIGTERM, core.SIGCHLD }
  lu.assertEquals(exec.run(steps(), core), 3)
  local kills = fake.calls_named(calls, "kill")
  lu.assertEquals(kills, { { "kill", CHILD, core.SIGTERM } })
  -- The caller's signal mask is put back.
  local masks = fake.calls_named(calls, "sigprocmask")
  lu.assertEquals(masks[#masks], { "sigprocmask", core.SIG_SETMASK, { 13 } })
end

function TestExec.test_a_killed_command_gives_128_plus_the_signal()
  local sigchld
  local core = fake.new(host_answers({
    waitpid = fake.sequence({ CHILD, "killed", 9 }),
    sigtimedwait = function() return sigchld end,
  }))
  sigchld = core.SIGCHLD
  lu.assertEquals(exec.run(steps(), core), 137)
end

function TestExec.test_a_sandbox_failure_is_raised_on_the_host_side()
  local core, calls = fake.new(host_answers({
    read = fake.sequence({ "127\n/bin/true\nNo such file or directory" }, { "" }),
    waitpid = fake.sequence({ CHILD, "exited", 127 }),
  }))
  local err = raises(function() exec.run(steps(), core) end)
  lu.assertEquals(err.status, 127)
  lu.assertEquals(tostring(err), "/bin/true: No such file or directory")
  lu.assertEquals(fake.calls_named(calls, "waitpid")[1], { "waitpid", CHILD, 0 })
end

function TestExec.test_the_sandbox_side_reports_its_failure_and_exits()
  local enoent
  local core, calls = fake.new(sandbox_answers({
    -- The host releases it (alive pipe, fd 7), once it has identified it for the record.
    read = function(fd) return fd == 7 and "!" or "" end,
    spawn = function(path) return nil, "execve " .. path .. ": No such file or directory", enoent end,
  }))
  enoent = core.ENOENT
  local ok, err = pcall(exec.run, steps(), core)
  lu.assertFalse(ok)
  lu.assertEquals(err, { exited = 127 })
  local writes = fake.calls_named(calls, "write")
  lu.assertEquals(writes[1], { "write", 6, "127\n/bin/true\nNo such file or directory" })
  -- The init started the command with core.spawn, no second clone: the command's own
  -- process shares the init's memory until its exec.
  lu.assertEquals(#fake.calls_named(calls, "clone"), 1)
  lu.assertEquals(fake.calls_named(calls, "spawn")[1][2], "/bin/true")
  -- The mounts happen in the order of the plan, private first; the root is bound from
  -- the working directory, the target, given to it through the clone.
  local mounts = fake.calls_named(calls, "mount")
  lu.assertEquals(mounts[1][3], "/")
  lu.assertEquals(fake.calls_named(calls, "open_tree")[1][3], "") -- with AT_EMPTY_PATH: the working directory
  lu.assertEquals(#fake.calls_named(calls, "pivot_root"), 1)
  -- Privileges went before the exec: no_new_privs, then non-dumpable again (the uid
  -- change reset it), then the parent-death signal armed again.
  local prctls = fake.calls_named(calls, "prctl")
  lu.assertEquals({ prctls[#prctls - 2][2], prctls[#prctls - 1][2], prctls[#prctls][2] },
    { core.PR_SET_NO_NEW_PRIVS, core.PR_SET_DUMPABLE, core.PR_SET_PDEATHSIG })
end

-- The target is looked up once (check_target, hako.host_path): here by the one call that
-- refuses every link on the way (a path with a link is walked a component at a time),
-- and never by its name again; everything after uses that fd (21), or the working
-- directory made from it just before the clone.
function TestExec.test_the_target_is_resolved_once()
  -- The sandbox's first process ends at once: the host side has gone (the alive pipe
  -- reads end of file) before it lets it go on.
  local core, calls = fake.new(host_answers({
    clone = 0,
    _exit = function(status) error({ exited = status }, 0) end,
    close_range = true, prctl = true, poll = 0,
  }))
  lu.assertEquals({ pcall(exec.run, steps(), core) }, { false, { exited = failure.SETUP } })
  local by_name = {}
  for _, call in ipairs(calls) do
    for i = 2, #call do
      if type(call[i]) == "string" and call[i]:match("^/sb") then by_name[#by_name + 1] = call[1] .. " " .. call[i] end
    end
  end
  lu.assertEquals(by_name, { "openat2 /sb" })
  local opened = fake.calls_named(calls, "openat2")[1]
  lu.assertEquals({ opened[3], opened[6] }, { "/sb", core.RESOLVE_NO_SYMLINKS })
  local fchdirs = fake.calls_named(calls, "fchdir")
  lu.assertEquals(fchdirs[1], { "fchdir", 21 })
  local i_fchdir, i_clone = nil, nil
  for i, call in ipairs(calls) do
    if call[1] == "fchdir" and not i_fchdir then i_fchdir = i end
    if call[1] == "clone" and not i_clone then i_clone = i end
  end
  lu.assertTrue(i_fchdir < i_clone)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
