-- hako.host_steps: the steps that run in hako-run's own process, on the host side.

local failure = require "hako.failure"
local record = require "hako.record"

local check = failure.check

local M = {}

local function signal_numbers(core, names)
  local numbers = {}
  for i, name in ipairs(names) do numbers[i] = core[name] end
  return numbers
end

function M.check_target(step, state)
  local st, message = state.core.statx(state.core.AT_FDCWD, step.path, 0)
  if not st then failure.raise("target " .. step.path, message:match(": ([^:]*)$")) end
  if st.type ~= "directory" then failure.raise("target " .. step.path, "not a directory") end
end

-- pivot_root puts the old root on <target>/.hako: it must be an empty, real directory,
-- or the sandbox's contents would choose where the host's root goes.
function M.check_old_root(step, state)
  local core = state.core
  local st, message, errno = core.statx(core.AT_FDCWD, step.path, core.AT_SYMLINK_NOFOLLOW)
  if not st then
    if errno == core.ENOENT then
      failure.raise(step.path, "missing: create it as an empty directory, pivot_root needs it")
    end
    failure.raise(step.path, message:match(": ([^:]*)$"))
  end
  if st.type == "link" then failure.raise(step.path, "is a symbolic link, not a directory") end
  if st.type ~= "directory" then failure.raise(step.path, "not a directory") end
  if st.mount_root then failure.raise(step.path, "is a mount point") end
  local entries = check(core.readdir(step.path))
  if #entries > 0 then failure.raise(step.path, "not empty") end
end

function M.block_signals(step, state)
  local core = state.core
  local saved = check(core.sigprocmask(core.SIG_BLOCK, signal_numbers(core, step.signals)))
  state.saved_mask = saved
  table.insert(state.cleanups, function() core.sigprocmask(core.SIG_SETMASK, saved) end)
end

-- Wait until the sandbox has exec'd its command (the status pipe closes) or failed.
function M.await_sandbox(_, state)
  local core = state.core
  local report, chunk = {}, nil
  repeat
    chunk = check(core.read(state.status_r, 4096))
    report[#report + 1] = chunk
  until chunk == ""
  core.close(state.status_r)
  state.status_r = nil
  local text = table.concat(report)
  if text ~= "" then
    core.waitpid(state.child, 0)
    state.child = nil
    local status, what, why = text:match("^(%d+)\n(.-)\n(.*)$")
    failure.raise(what or "sandbox", why or text, tonumber(status))
  end
end

-- Right after the clone, before the sandbox runs anything of its own: its start time
-- and namespaces, which is what the record will say the sandbox is.
function M.identify_sandbox(_, state)
  state.identity = record.identity(state.core, state.child)
end

-- The host-side record hako-enter trusts (see hako.record); removed when hako-run ends.
function M.write_record(step, state)
  local core = state.core
  local id = state.identity
  if not id or not id.start_time or next(id.ns) == nil then return end
  local euid = core.geteuid()
  local dirfd = check(record.open_directory(core, step.dir, euid, true))
  table.insert(state.cleanups, function() core.close(dirfd) end)
  local rec = { pid = state.child, start_time = id.start_time, ns = id.ns,
    supervisor = core.getpid(), owner = euid }
  for k, v in pairs(step.policy) do rec[k] = v end
  local ino = record.write(core, dirfd, rec)
  table.insert(state.cleanups, function() record.remove(core, dirfd, rec.pid, ino) end)
end

local function exit_status(how, code)
  if how == "killed" then return 128 + code end
  return code
end

-- Pass signals on to the sandbox until its first process ends; its status is ours.
function M.supervise(step, state)
  local core = state.core
  local forward = signal_numbers(core, step.forward)
  local waited = { core.SIGCHLD, table.unpack(forward) }
  while true do
    local sig, message, errno = core.sigtimedwait(waited)
    if sig == core.SIGCHLD then
      local pid, how, code = check(core.waitpid(state.child, core.WNOHANG))
      if pid == state.child and (how == "exited" or how == "killed") then
        state.child = nil
        state.status = exit_status(how, code)
        return
      end
    elseif sig then
      core.kill(state.child, sig)
    elseif errno ~= core.EINTR then
      failure.from_core(message, errno)
    end
  end
end

return M
