-- hako.resume: a rootless sandbox's first process starts its own binary again, inside the
-- sandbox's user namespace, and goes on with the rest of the plan there.
--
-- Why: who may open a process's /proc/PID entries (fds, cwd, root, exe, memory,
-- environment) is ptrace's rule. A process that is not dumpable is open only to a holder of
-- CAP_SYS_PTRACE in the user namespace its memory was made in, which is where it last
-- exec'd. The sandbox's first process is a fork of hako-run, so that namespace is the
-- host's: not dumpable, the sandbox's owner could no longer hako-enter it; dumpable,
-- the command, which runs with the same ids, could read the caller's environment from
-- it, write its memory, and chmod the caller's hako binary through /proc/1/exe. Once it
-- has exec'd inside the sandbox's user namespace, the owner holds every capability there
-- and the command none: not dumpable, hako's init is closed to the command alone.
--
-- The exec comes before any mount, while the binary and its libraries are still where
-- the host has them. The rest of the plan is pure data: it goes to the new image through
-- a memfd, with the fds the steps share (status pipe, result pipe, ...).

local failure = require "hako.failure"
local confine_steps = require "hako.confine_steps"

local check = failure.check

local M = {}

-- The name the launcher is started by for this (bin/hako), not a command for people.
M.NAME = "hako-sandbox"

local function serialize(value, out)
  local kind = type(value)
  if kind == "string" then
    out[#out + 1] = string.format("%q", value)
  elseif kind == "number" then
    out[#out + 1] = string.format("%q", value)
  elseif kind == "boolean" then
    out[#out + 1] = tostring(value)
  elseif kind == "table" then
    out[#out + 1] = "{"
    for k, v in pairs(value) do
      out[#out + 1] = "["
      serialize(k, out)
      out[#out + 1] = "]="
      serialize(v, out)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
  else
    failure.raise("plan", "cannot carry a " .. kind .. " into the sandbox's user namespace")
  end
  return out
end

-- text(value) -> Lua source that gives value back (plain data only).
function M.text(value)
  return "return " .. table.concat(serialize(value, {}))
end

-- What of the state is not the steps' data: the executor's own, made anew.
local NOT_CARRIED = { core = true, cleanups = true, extra_steps = true, custom_steps = true, plan = true,
  step_index = true }

-- plain(value) -> true for data that M.text can write: no functions, no userdata.
local function plain(value)
  local kind = type(value)
  if kind == "table" then
    for k, v in pairs(value) do
      if not plain(k) or not plain(v) then return false end
    end
    return true
  end
  return kind == "string" or kind == "number" or kind == "boolean"
end

-- The process's name (ps shows it): an exec makes it the binary's, hako-run's is kept.
local function read_comm(core)
  local fd, message, errno = core.open("/proc/thread-self/comm", core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil, message, errno end
  local text = core.read(fd, 64)
  core.close(fd)
  return text and text:gsub("\n$", "")
end

local function write_comm(core, name)
  local fd = name and core.open("/proc/thread-self/comm", core.O_WRONLY | core.O_CLOEXEC)
  if fd then
    core.write(fd, name)
    core.close(fd)
  end
end

-- A fresh read-only open of a memfd holding text (its own offset, at 0), not close-on-exec.
local function memfd_with(core, text)
  local memfd = check(core.memfd_create("hako-plan", core.MFD_CLOEXEC))
  local at = 1
  while at <= #text do
    at = at + check(core.write(memfd, text:sub(at, at + (1 << 20) - 1)))
  end
  local fd, message, errno = core.open("/proc/self/fd/" .. memfd, core.O_RDONLY)
  core.close(memfd)
  if not fd then failure.from_core(message, errno) end
  return fd
end

-- Where hako was started (this module is loaded before the clone, exec.run): the
-- re-exec happens in the sandbox's target directory (prepare_steps.enter_target), whose
-- contents are not ours, so module paths relative to the start are made absolute.
local START = require("hako.core").getcwd()

local function absolute(paths)
  local kept = {}
  for entry in paths:gmatch("[^;]+") do
    if entry:sub(1, 1) == "/" then
      kept[#kept + 1] = entry
    elseif START then
      kept[#kept + 1] = START .. "/" .. entry
    end -- else left out: it would be looked up in the sandbox's tree
  end
  return table.concat(kept, ";")
end

-- How to start this program again: the launcher by name (its modules are built in); a
-- stock Lua interpreter (a recipe run by lua5.4) with the module paths it has now, made
-- absolute, since the environment is empty.
local function new_argv(plan_fd, status_fd)
  local interpreter = type(rawget(_G, "arg")) == "table" and arg[-1]
  if not interpreter then return { M.NAME, tostring(plan_fd), tostring(status_fd) } end
  return { interpreter, "-e", string.format("package.path=%q package.cpath=%q require(%q).main(%d, %d)",
    absolute(package.path), absolute(package.cpath), "hako.resume", plan_fd, status_fd) }
end

-- The exec keeps a process's capabilities only when its uid is 0 (in its namespace). As
-- another uid (rootless --user N: the caller is N inside) they go across as ambient ones,
-- for the set-up still to come; limit_capabilities and set_capabilities clear them for
-- good later.
local function keep_capabilities(core)
  if core.getuid() == 0 then return end
  local all, caps = 0, {}
  for cap = 0, 63 do
    local in_bounding_set = core.prctl(core.PR_CAPBSET_READ, cap)
    if in_bounding_set == nil then break end -- past the kernel's last capability
    if in_bounding_set == 1 then all, caps[#caps + 1] = all | (1 << cap), cap end
  end
  check(core.capset(all, all, all))
  for _, cap in ipairs(caps) do check(core.prctl(core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_RAISE, cap)) end
end

-- The step (start_steps.reexec_in_userns): exec this program again, carrying the rest of
-- the plan. A plan run with steps of a recipe's own cannot be carried: it goes on in this
-- image, and its init, not dumpable all the same, is closed to its owner's hako-enter too.
function M.reexec(_, state)
  local core = state.core
  if state.custom_steps then return end
  local carried = {}
  for key, value in pairs(state) do
    if not NOT_CARRIED[key] and plain(value) then carried[key] = value end
  end
  carried.comm = check(read_comm(core))
  local rest = table.move(state.plan, state.step_index + 1, #state.plan, 1, {})
  local plan_fd = memfd_with(core, M.text({ steps = rest, state = carried }))
  for _, key in ipairs(confine_steps.OWN_FDS) do
    if state[key] then check(core.fcntl(state[key], core.F_SETFD, 0)) end
  end
  keep_capabilities(core)
  local exe = check(core.open("/proc/self/exe", core.O_PATH | core.O_CLOEXEC))
  io.stdout:flush()
  io.stderr:flush()
  check(core.execveat(exe, "", new_argv(plan_fd, state.status_w), {}, core.AT_EMPTY_PATH))
end

-- The new image's start (bin/hako): read the plan, go on with it; never returns.
function M.main(plan_fd, status_fd)
  local core = require "hako.core"
  plan_fd, status_fd = math.tointeger(tonumber(plan_fd)), math.tointeger(tonumber(status_fd))
  local ok, carried = pcall(function()
    local parts = {}
    repeat
      parts[#parts + 1] = check(core.read(plan_fd, 1 << 16))
    until parts[#parts] == ""
    core.close(plan_fd)
    return assert(load(table.concat(parts), "=plan", "t", {}))()
  end)
  if not ok then
    if status_fd then core.write(status_fd, string.format("%d\n%s\n%s", failure.SETUP, "resume", tostring(carried))) end
    core._exit(failure.SETUP)
  end
  -- Open across the exec to get here; close-on-exec again, as they were.
  for _, key in ipairs(confine_steps.OWN_FDS) do
    local fd = carried.state[key]
    if fd then core.fcntl(fd, core.F_SETFD, core.FD_CLOEXEC) end
  end
  write_comm(core, carried.state.comm)
  carried.state.comm = nil
  require("hako.exec").resume(carried.steps, carried.state, core)
end

return M
