-- hako.pid1: hako's own PID 1 for the sandbox: fork the command, reap, forward, relay.
--
-- The kernel gives a PID namespace's init two duties a normal command does not expect:
-- every orphan of the namespace becomes its child (a zombie until it is reaped), and
-- signals it has no handler for are dropped. So, unless told otherwise (--as-pid-1), the
-- sandbox's first process stays as this small loop and the command runs as its child:
--   * the signals it waits for are blocked, never ignored: blocked signals are queued for
--     an init like for anyone else (kernel/signal.c, sig_ignored), so sigtimedwait gets
--     them whether they come from hako-run, from the host or from inside;
--   * it reaps every child that ends; when the command ends it reports how on the result
--     pipe and exits with the command's status (128+N for signal N), and the kernel kills
--     whatever is left in the namespace;
--   * it forwards what it receives to the command, except a signal the kernel sent to the
--     whole foreground process group (si_code SI_KERNEL: the terminal's ^C, ^\, window
--     size), which the command, in that same group, received itself.

local failure = require "hako.failure"

local check = failure.check

local M = {}

-- from_terminal(code, core) -> true for a signal the kernel sent to the process group
-- (the terminal's SIGINT, SIGQUIT, SIGWINCH): the command got its own copy.
function M.from_terminal(code, core)
  return code == core.SI_KERNEL
end

-- signal_numbers(core, {"SIGTERM", ...}) -> their numbers.
function M.signal_numbers(core, names)
  local numbers = {}
  for i, name in ipairs(names) do numbers[i] = core[name] end
  return numbers
end

-- Reap every child that has ended; -> how, code when one of them was the command. A stop
-- of the command is told on the result pipe as it happens ("stopped N"): hako-run, which
-- cannot wait for its grandchild, then takes the terminal back and stops as a job does.
local function reap(core, command, result_w)
  while true do
    local pid, how, code = core.waitpid(-1, core.WNOHANG | core.WUNTRACED)
    if not pid or pid == 0 then return nil end
    if pid == command then
      if how ~= "stopped" then return how, code end
      if result_w then core.write(result_w, "stopped " .. code .. "\n") end
    end
  end
end

-- loop(core, command, waited, result_w) -> the exit status for the command's end.
function M.loop(core, command, waited, result_w)
  local events = 0
  while true do
    -- hako-run starts without garbage collection (bin/hako-run): on again, as in its
    -- supervisor (supervise_steps.supervise), after a hundred signals.
    events = events + 1
    if events == 100 then collectgarbage("restart") end
    local sig, _, code = core.sigtimedwait(waited)
    if sig == core.SIGCHLD then
      local how, status = reap(core, command, result_w)
      if how then
        if result_w then core.write(result_w, how .. " " .. status .. "\n") end
        if how == "killed" then return 128 + status end
        return status
      end
    elseif sig and not M.from_terminal(code, core) then
      core.kill(command, sig)
    end
  end
end

-- run(step, state, spawn) starts the command as its child through spawn(step, state, mask)
-- (confine_steps.spawn: a child that shares this process's memory until its exec, so no
-- fork copies the init; the command starts with the signal mask hako-run was started
-- with), whose failure to exec is raised as usual, so the sandbox reports it; then this
-- process becomes the init loop and never returns.
function M.run(step, state, spawn)
  local core = state.core
  local waited = { core.SIGCHLD, table.unpack(M.signal_numbers(core, step.forward)) }
  check(core.sigprocmask(core.SIG_BLOCK, waited))
  io.stdout:flush()
  io.stderr:flush()
  local pid = spawn(step, state, state.saved_mask)
  -- The command has exec'd, which closed its copy of the status pipe: closing this one
  -- tells the host side the sandbox is up.
  core.close(state.status_w)
  state.status_w = nil
  if state.alive_r then core.close(state.alive_r) end
  -- The fds given to the command (--keep-fd) are the command's: the init keeps no copy
  -- (a pipe's reader would otherwise wait for the init's end, not the command's).
  for _, fd in ipairs(state.policy.keep_fds) do core.close(fd) end
  local ok, status = pcall(M.loop, core, pid, waited, state.result_w)
  core._exit(ok and status or failure.SETUP)
end

return M
