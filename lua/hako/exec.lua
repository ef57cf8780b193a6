-- hako.exec: runs a plan through hako.core. The only module that starts processes.
--
-- Host steps run in the calling process. The "clone" step starts the sandbox's first
-- process, which runs the sandbox steps and ends in exec; if one fails, it sends the
-- failure to the host side through a close-on-exec pipe and exits, so the caller reports
-- it. A successful exec closes that pipe, which is how the host side knows the sandbox is
-- up. The child never returns into the caller's code: every path there ends in _exit.

local failure = require "hako.failure"

local check = failure.check

local M = {}

-- Each side's steps, by op, from these modules in turn; a module is loaded only when a
-- plan first needs one of its steps (hako-enter needs none of the mount steps).
local HOST_MODULES = { "hako.host_steps", "hako.userns_steps", "hako.supervise_steps" }
local SANDBOX_MODULES = { "hako.sandbox_steps", "hako.mount_steps", "hako.privilege_steps",
  "hako.security_steps", "hako.resume" }

local function handlers_from(modules)
  return setmetatable({}, { __index = function(handlers, op)
    for _, name in ipairs(modules) do
      local handler = rawget(require(name), op)
      if handler then
        handlers[op] = handler
        return handler
      end
    end
  end })
end

local host_handlers = handlers_from(HOST_MODULES)
local sandbox_handlers = handlers_from(SANDBOX_MODULES)

local function run_step(handlers, step, state)
  local handler = handlers[step.op]
  if not handler then failure.raise(step.op, "unknown step") end
  handler(step, state)
end

local function run_sandbox(steps, from, state)
  local ok, err = pcall(function()
    for i = from, #steps do
      -- Where it is, for a step that hands the rest on (hako.resume).
      state.plan, state.step_index = steps, i
      if steps[i].side == "sandbox" then run_step(state.handlers.sandbox, steps[i], state) end
    end
    failure.raise("plan", "has no exec step")
  end)
  if ok or not failure.is(err) then
    err = failure.new("internal error", tostring(err))
  end
  -- status, what and why, one per line; the host side raises it again.
  pcall(state.core.write, state.status_w,
    string.format("%d\n%s\n%s", err.status, err.what, err.why))
  state.core._exit(err.status)
end

local function start_sandbox(step, state)
  local core = state.core
  local flags = 0
  for _, name in ipairs(step.flags) do flags = flags | core[name] end
  -- status: sandbox -> host; alive: held open by the host so the sandbox can see it die.
  local status_r, status_w = check(core.pipe2(core.O_CLOEXEC))
  local alive_r, alive_w = check(core.pipe2(core.O_CLOEXEC))
  io.stdout:flush()
  io.stderr:flush()
  local pid, message, errno = core.clone(flags)
  if pid == 0 then
    state.side = "sandbox"
    core.close(status_r)
    core.close(alive_w)
    state.status_w, state.alive_r = status_w, alive_r
    return true
  end
  core.close(status_w)
  core.close(alive_r)
  if not pid then
    core.close(status_r)
    core.close(alive_w)
    if flags & core.CLONE_NEWUSER ~= 0 then require("hako.userns_steps").explain_userns_failure(core, errno) end
    failure.from_core(message, errno)
  end
  state.child, state.status_r, state.alive_w = pid, status_r, alive_w
  return false
end

-- Find every sandbox step's handler now, loading its module: once the sandbox has
-- pivoted, a stock Lua could no longer read it from disk.
local function load_sandbox_handlers(steps, state)
  for _, step in ipairs(steps) do
    if step.side == "sandbox" then local _ = state.handlers.sandbox[step.op] end
  end
end

-- resume(steps, carried, core): the sandbox's first process, started again by
-- hako.resume, goes on with the sandbox steps left, with the state carried; never returns.
function M.resume(steps, carried, core)
  local state = { core = core, side = "sandbox", cleanups = {},
    handlers = { host = host_handlers, sandbox = sandbox_handlers } }
  for key, value in pairs(carried) do state[key] = value end
  load_sandbox_handlers(steps, state)
  run_sandbox(steps, 1, state)
end

-- Whatever way the host side ends, leave nothing behind: no process, no fd, no file.
local function clean_up(state)
  local core = state.core
  if state.child then
    core.kill(state.child, core.SIGKILL)
    core.waitpid(state.child, 0)
    state.child = nil
  end
  for i = #state.cleanups, 1, -1 do state.cleanups[i]() end
  for _, key in ipairs({ "status_r", "alive_w" }) do
    if state[key] then core.close(state[key]) end
  end
end

-- run(steps, core[, handlers]) -> the command's exit status (128+N if a signal N killed
-- it). handlers = { host = {op = function(step, state)}, sandbox = {...} } adds steps of
-- another command (hako-enter's) to those of hako-run.
function M.run(steps, core, handlers)
  local function with(base, extra)
    if not extra then return base end
    return setmetatable({}, { __index = function(_, op) return extra[op] or base[op] end })
  end
  local state = { core = core, side = "host", cleanups = {}, handlers = {
    host = with(host_handlers, handlers and handlers.host),
    sandbox = with(sandbox_handlers, handlers and handlers.sandbox),
  }, custom_handlers = handlers ~= nil and handlers.sandbox ~= nil }
  load_sandbox_handlers(steps, state)
  local ok, err = pcall(function()
    for i, step in ipairs(steps) do
      if step.side == "host" then
        if step.op == "clone" then
          if start_sandbox(step, state) then run_sandbox(steps, i + 1, state) end
        else
          run_step(state.handlers.host, step, state)
        end
      end
    end
  end)
  clean_up(state)
  if not ok then error(err, 0) end
  return state.status
end

return M
