-- hako.supervise_steps: the host side once the sandbox's first process exists: the
-- terminal's job, waiting until the command runs, the record, pid file and status
-- report, then signals, timeout and the end.

local failure = require "hako.failure"
local pid1 = require "hako.pid1"
local record = require "hako.record"

local check = failure.check

local M = {}

local signal_numbers = pid1.signal_numbers
local same_file = require("hako.prepare_steps").same_file

local function exit_status(how, code)
  if how == "killed" then return 128 + code end
  return code
end

-- One JSON object per line on the supervisor's fd; a reader that went away is not our failure.
local function report(state, fd, json)
  state.core.write(fd, json .. "\n")
end

-- {"pid": <host pid of the sandbox's PID 1>, "ns": {"mnt": <inode>, ...}}
-- The identities are those identify_sandbox read while the sandbox was held.
function M.report_up(step, state)
  local known = state.sandbox_id and state.sandbox_id.ns or {}
  local ns = {}
  for _, name in ipairs(step.namespaces) do
    if known[name] then ns[#ns + 1] = string.format("%q: %d", name, known[name].ino) end
  end
  report(state, step.fd, string.format('{"pid": %d, "ns": {%s}}', state.child, table.concat(ns, ", ")))
end

-- {"exit": status} or {"signal": N}: how the command ended; with limits, also whether
-- the OOM killer ended something, and the peaks the cgroups kept.
function M.report_end(step, state)
  local ended = state.ended
  local fields = { ended.how == "killed" and string.format('"signal": %d', ended.code)
    or string.format('"exit": %d', ended.code) }
  local stats = state.limit_stats
  if stats and stats.oom_kills then
    fields[#fields + 1] = '"oom": ' .. tostring(stats.oom_kills > 0)
  end
  if stats then
    for _, key in ipairs({ "memory_peak", "pids_peak" }) do
      if stats[key] then fields[#fields + 1] = string.format('"%s": %d', key, stats[key]) end
    end
  end
  report(state, step.fd, "{" .. table.concat(fields, ", ") .. "}")
end

-- What the cgroups say once the command has ended: a command the OOM killer ended is
-- told on stderr (it exits 137, as for any SIGKILL).
function M.report_limits(_, state)
  local stats = {}
  for _, cg in ipairs(state.cgroups or {}) do
    for k, v in pairs(require("hako.cgroupfs").stats(state.core, cg)) do stats[k] = v end
  end
  state.limit_stats = stats
  if (stats.oom_kills or 0) > 0 then
    local limit = ""
    for _, cg in ipairs(state.cgroups) do
      for _, f in ipairs(cg.files) do
        if f[1] == "memory.max" or f[1] == "memory.limit_in_bytes" then limit = " (" .. f[2] .. " bytes)" end
      end
    end
    failure.warn(state.program or "hako-run", "memory limit reached" .. limit, "the OOM killer ended a process")
  end
end

-- The terminal hako was started at, when it holds its foreground: one of fds 0-2 whose
-- foreground process group is ours. Not at a terminal (a script, a pipe, CI): nil.
local function foreground_terminal(core, own)
  for fd = 0, 2 do
    if core.tcgetpgrp(fd) == own then return fd end
  end
end

-- Give the terminal to group (or take it back): only while we hold it, since a shell may
-- have given it to another job meanwhile. SIGTTOU is blocked (plan), so a background
-- hako may do this too.
local function hand_terminal(core, job, from, to)
  if core.tcgetpgrp(job.tty) == from then core.tcsetpgrp(job.tty, to) end
end

-- Right after the clone: the sandbox's first process leads a process group of its own
-- (it does the same itself, start_steps.new_process_group, so whichever runs first
-- makes it), so nothing inside can signal the caller's group. When hako's standard input
-- and output are the terminal whose foreground it holds, the sandbox becomes the
-- foreground job, as a shell does for a job: the terminal's ^C, ^\, ^Z and window-size
-- changes go to the sandbox alone, and it reads and writes the terminal. Else (in a
-- pipeline, `hako-run ... | less`) the terminal stays with hako's group. It goes back to
-- hako's group when the sandbox ends, however it ends.
function M.start_job(_, state)
  local core = state.core
  -- EACCES: it has exec'd already, after making its group itself.
  core.setpgid(state.child, state.child)
  local own = check(core.getpgid(0))
  local tty = foreground_terminal(core, own)
  if not tty then return end
  local job = { tty = tty, own = own, group = state.child }
  state.job = job
  if core.tcgetpgrp(0) == own and core.tcgetpgrp(1) == own then
    job.foreground = true
    check(core.tcsetpgrp(tty, job.group))
    table.insert(state.cleanups, function() hand_terminal(core, job, job.group, job.own) end)
  end
end

-- hako was continued (the shell's fg or bg): the sandbox goes on too, in the foreground
-- if it had it and hako was given the terminal back (fg), else in the background (bg).
local function continued(core, state)
  local job = state.job
  -- hako.freeze is loaded when the job control it serves happens, not at every start;
  -- the host side is back in its own directory by then (leave_target).
  if state.frozen then require("hako.freeze").thaw(core, state.frozen) end
  state.frozen = nil
  if job and job.foreground then hand_terminal(core, job, job.own, job.group) end
  core.kill(-(job and job.group or state.child), core.SIGCONT)
end

-- The sandbox's command stopped (^Z, or a read from the terminal in the background): as
-- a shell's job, hako stops too, having taken the terminal back, so that the shell sees
-- its job stopped; when continued, so is the sandbox. Only hako itself stops: the
-- sandbox cannot stop the caller's group through it. Not at a terminal there is no shell
-- to tell: the command stays stopped until it gets SIGCONT (through hako, which passes
-- it on).
-- hako stops by SIGTSTP whatever stopped the command: SIGTTOU is blocked here, and
-- SIGSTOP could leave hako stopped with nobody to continue it. The kernel discards
-- SIGTSTP in an orphaned process group (a session leader's: no shell would resume it)
-- or where it is ignored; then hako was not stopped and the sandbox goes on at once,
-- as a process of that group would. Stopped or not, no SIGCONT is pending afterwards.
-- With step.freeze (hako-run), the whole sandbox stops first (hako.freeze): nothing of it
-- may take the terminal from the shell meanwhile.
local function command_stopped(core, state)
  local job = state.job
  if not job then return end
  local pidns = state.sandbox_id and state.sandbox_id.ns.pid
  if state.freeze and pidns and not state.frozen then
    state.frozen = require("hako.freeze").stop(core, pidns, state.child)
  end
  hand_terminal(core, job, job.group, job.own)
  core.kill(core.getpid(), core.SIGTSTP)
  core.sigtimedwait({ core.SIGCONT }, 0)
  continued(core, state)
end

-- Stop signals hako's PID 1 may tell of; anything else on the pipe is not believed.
local STOP_SIGNALS = { "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGSTOP" }
-- A line is a few bytes: more unread than this is not hako's PID 1 talking.
local RESULT_PIPE_LIMIT = 4096

-- What hako's PID 1 said on the result pipe so far: a stop as it happens, the command's
-- end at the end. -> whether the command stopped; the end is kept in state.said_end.
-- In a rootless sandbox the command may reach the pipe too (the init is dumpable there),
-- so only well-formed news is taken: a stop by a stop signal, an end with a status or
-- signal number in range; what else comes is dropped.
local function read_result_pipe(core, state)
  local stopped = false
  local text = state.result_text or ""
  while true do
    local chunk = core.read(state.result_r, 256)
    if not chunk or chunk == "" then break end
    text = text .. chunk
    if #text > RESULT_PIPE_LIMIT then text = "" end
  end
  local stops = signal_numbers(core, STOP_SIGNALS)
  for line in text:gmatch("([^\n]*)\n") do
    local how, code = line:match("^(%a+) (%d+)$")
    code = math.tointeger(tonumber(code))
    if how == "stopped" then
      for _, sig in ipairs(stops) do stopped = stopped or code == sig end
    elseif code and (how == "exited" and code <= 255 or how == "killed" and code >= 1 and code <= 64) then
      state.said_end = { how = how, code = code }
    end
  end
  state.result_text = text:match("[^\n]*$")
  return stopped
end

-- How the command ended: hako's PID 1 says it on the result pipe; without one (--as-pid-1)
-- or without a word from it (it was killed), the sandbox's first process's own end is it.
local function command_end(state, how, code)
  if state.result_r then read_result_pipe(state.core, state) end
  local said = state.said_end
  if said then return said.how, said.code end
  return how, code
end

M.TIMED_OUT = 124 -- like timeout(1)

-- The result pipe tells its news by SIGIO: hako-run waits for signals, not for fds.
local function notify_on_result(core, state)
  if not state.result_r then return false end
  check(core.fcntl(state.result_r, core.F_SETOWN, core.getpid()))
  local r = state.result_r
  local flags = check(core.fcntl(r, core.F_GETFL))
  check(core.fcntl(r, core.F_SETFL, flags | core.O_ASYNC | core.O_NONBLOCK))
  -- SIGIO's default action ends the process: none may still be pending when the signal
  -- mask is restored at the end (this runs before block_signals' clean-up).
  table.insert(state.cleanups, function()
    core.fcntl(r, core.F_SETFL, flags)
    core.sigtimedwait({ core.SIGIO }, 0)
  end)
  return true
end

-- Pass signals on to the sandbox until its first process ends; its status is ours.
-- With a timeout: TERM when it expires, KILL a grace period later, and status 124.
-- Stops and continues are passed between the shell and the sandbox (see start_job).
function M.supervise(step, state)
  local core = state.core
  local forward = signal_numbers(core, step.forward)
  local waited = { core.SIGCHLD, core.SIGCONT, table.unpack(forward) }
  if notify_on_result(core, state) then waited[#waited + 1] = core.SIGIO end
  local deadline = step.timeout and check(core.clock_gettime(core.CLOCK_MONOTONIC)) + step.timeout
  local timed_out = false
  local leader = core.getsid(0) == core.getpid()
  state.freeze = step.freeze
  local events = 0
  while true do
    -- hako-run starts without garbage collection (bin/hako-run). A collection marks every
    -- object, a copy-on-write fault for each page hako's PID 1 still shares: not while a
    -- short command runs, but for a long-lived sandbox, after its hundredth signal.
    events = events + 1
    if events == 100 then collectgarbage("restart") end
    local wait
    if deadline then wait = math.max(0, deadline - check(core.clock_gettime(core.CLOCK_MONOTONIC))) end
    -- signo, sender, si_code; or nil, message, errno
    local sig, message, errno = core.sigtimedwait(waited, wait)
    local si_code = errno
    if sig == core.SIGCHLD then
      local pid, how, code = check(core.waitpid(state.child, core.WNOHANG | core.WUNTRACED))
      if pid == state.child and (how == "exited" or how == "killed") then
        state.child = nil
        how, code = command_end(state, how, code)
        state.ended = { how = how, code = code }
        state.status = timed_out and M.TIMED_OUT or exit_status(how, code)
        return
      elseif pid == state.child and how == "stopped" then
        command_stopped(core, state)
      end
    elseif sig == core.SIGIO then
      if read_result_pipe(core, state) then command_stopped(core, state) end
    elseif sig == core.SIGCONT then
      continued(core, state)
    elseif sig then
      -- The terminal's signals went to the whole foreground group, the sandbox's;
      -- except its hang-up, which goes to the session leader alone (tty_io.c).
      if not pid1.from_terminal(si_code, core) or sig == core.SIGHUP and leader then
        core.kill(state.child, sig)
      end
    elseif errno == core.EAGAIN and deadline then
      if not timed_out then
        timed_out = true
        core.kill(state.child, core.SIGTERM)
        deadline = check(core.clock_gettime(core.CLOCK_MONOTONIC)) + step.grace
      else
        -- The sandbox's PID 1 cannot ignore this one, and takes the whole sandbox with it.
        core.kill(state.child, core.SIGKILL)
        deadline = nil
      end
    elseif errno ~= core.EINTR then
      failure.from_core(message, errno)
    end
  end
end

-- Wait until the sandbox has exec'd its command (the status pipe closes) or failed.
function M.await_sandbox(_, state)
  local core = state.core
  local parts = {}
  repeat
    parts[#parts + 1] = check(core.read(state.status_r, 4096))
  until parts[#parts] == ""
  core.close(state.status_r)
  state.status_r = nil
  local text = table.concat(parts)
  if text ~= "" then
    core.waitpid(state.child, 0)
    state.child = nil
    local status, what, why = text:match("^(%d+)\n(.-)\n(.*)$")
    failure.raise(what or "sandbox", why or text, tonumber(status))
  end
end

-- At the end the pid file goes only if it is still the one hako-run wrote: another
-- hako-run given the same pid file may have replaced it since.
function M.write_pid_file(_, state)
  local core = state.core
  local file = state.pid_file
  check(core.write(file.fd, state.child .. "\n"))
  core.close(file.fd)
  file.fd = nil
  check(core.renameat(file.dirfd, file.temporary, file.dirfd, file.name))
  table.insert(state.cleanups, function()
    if same_file(core, file.dirfd, file.name, file.id) then core.unlinkat(file.dirfd, file.name) end
  end)
end

-- The host-side record hako-enter trusts (see hako.record), with the policy the command
-- got; removed when hako-run ends.
local function record_of(step, state)
  local core, id = state.core, state.sandbox_id
  if step.defer then
    -- It made its cgroup namespace after it was identified (start_steps.new_cgroup_namespace).
    local st = core.statx(core.AT_FDCWD, "/proc/" .. state.child .. "/ns/cgroup", 0)
    if st then id.ns.cgroup = { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino } end
  end
  local rec = { pid = state.child, start_time = id.start_time, ns = id.ns,
    supervisor = core.getpid(), owner = core.geteuid(), root = step.root, policy = state.policy,
    supervisor_start_time = record.start_time(record.stat(core, "self") or ""),
    name = step.name, command = step.command, started_at = os.time() }
  local ids = state.id_range
  if ids then
    rec.uid_range = ids.uid .. "-" .. (ids.uid + ids.count - 1)
    rec.gid_range = ids.gid .. "-" .. (ids.gid + ids.count - 1)
  end
  return rec
end

-- Written aside (PID.tmp) while the sandbox sets itself up, off the path to the command's
-- start; publish_record names it once the sandbox is up, since hako-enter must never
-- join a sandbox still on the host's root. With limits (step.defer), all of it waits for
-- publish: the sandbox makes its cgroup namespace after this step.
function M.write_record(step, state)
  local core, id, dirfd = state.core, state.sandbox_id, state.record_dirfd
  if not dirfd or not id or not id.start_time or next(id.ns) == nil then return end
  if step.defer then
    state.record_step = step
    return
  end
  local rec = record_of(step, state)
  local aside = { pid = rec.pid, written = record.write_aside(core, dirfd, rec) }
  state.record_aside = aside
  table.insert(state.cleanups, function() record.remove(core, dirfd, aside.pid, aside.written, not aside.published) end)
end

function M.publish_record(_, state)
  local core, dirfd, aside = state.core, state.record_dirfd, state.record_aside
  if aside then
    record.publish(core, dirfd, aside.pid)
    aside.published = true
  elseif state.record_step then
    local rec = record_of(state.record_step, state)
    local written = record.write_aside(core, dirfd, rec)
    record.publish(core, dirfd, rec.pid)
    table.insert(state.cleanups, function() record.remove(core, dirfd, rec.pid, written) end)
  end
end

M.steps = {
  start_job = M.start_job, await_sandbox = M.await_sandbox, write_record = M.write_record,
  publish_record = M.publish_record,
  write_pid_file = M.write_pid_file, report_up = M.report_up, report_end = M.report_end,
  supervise = M.supervise, report_limits = M.report_limits,
}

return M
