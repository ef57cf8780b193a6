-- hako.supervise_steps: the host side while the sandbox runs: signals, timeout, status.

local failure = require "hako.failure"
local pid1 = require "hako.pid1"

local check = failure.check

local M = {}

local signal_numbers = require("hako.host_steps").signal_numbers

-- The supervisor's fd for --json-status-fd must be open before anything starts.
function M.check_status_fd(step, state)
  local core = state.core
  local st, message = core.statx(step.fd, "", core.AT_EMPTY_PATH)
  if not st then failure.raise("--json-status-fd " .. step.fd, message:match(": ([^:]*)$")) end
end

-- sandbox -> host: how the command ended, written by hako's PID 1 just before it exits.
-- The host keeps both ends until the end and only reads what is there (poll first).
function M.open_result_pipe(_, state)
  local core = state.core
  local r, w = check(core.pipe2(core.O_CLOEXEC))
  state.result_r, state.result_w = r, w
  table.insert(state.cleanups, function()
    core.close(r)
    core.close(w)
  end)
end

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

-- {"exit": status} or {"signal": N}: how the command ended.
function M.report_end(step, state)
  local ended = state.ended
  if ended.how == "killed" then
    report(state, step.fd, string.format('{"signal": %d}', ended.code))
  else
    report(state, step.fd, string.format('{"exit": %d}', ended.code))
  end
end

-- How the command ended: hako's PID 1 says it on the result pipe; without one (--as-pid-1)
-- or without a word from it (it was killed), the sandbox's first process's own end is it.
local function command_end(state, how, code)
  local core = state.core
  if state.result_r then
    local events = core.poll(state.result_r, core.POLLIN, 0)
    if events and events & core.POLLIN ~= 0 then
      local said = core.read(state.result_r, 64) or ""
      local h, c = said:match("^(%a+) (%d+)\n$")
      if h then return h, tonumber(c) end
    end
  end
  return how, code
end

M.TIMED_OUT = 124 -- like timeout(1)

-- Pass signals on to the sandbox until its first process ends; its status is ours.
-- With a timeout: TERM when it expires, KILL a grace period later, and status 124.
function M.supervise(step, state)
  local core = state.core
  local forward = signal_numbers(core, step.forward)
  local waited = { core.SIGCHLD, table.unpack(forward) }
  local deadline = step.timeout and check(core.clock_gettime(core.CLOCK_MONOTONIC)) + step.timeout
  local timed_out = false
  local leader = core.getsid(0) == core.getpid()
  while true do
    local wait
    if deadline then wait = math.max(0, deadline - check(core.clock_gettime(core.CLOCK_MONOTONIC))) end
    -- signo, sender, si_code; or nil, message, errno
    local sig, message, errno = core.sigtimedwait(waited, wait)
    local si_code = errno
    if sig == core.SIGCHLD then
      local pid, how, code = check(core.waitpid(state.child, core.WNOHANG))
      if pid == state.child and (how == "exited" or how == "killed") then
        state.child = nil
        how, code = command_end(state, how, code)
        state.ended = { how = how, code = code }
        state.status = timed_out and M.TIMED_OUT or exit_status(how, code)
        return
      end
    elseif sig then
      -- The terminal's signals went to the whole process group, the sandbox included;
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

return M
