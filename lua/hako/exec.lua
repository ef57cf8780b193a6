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

-- The step modules, by phase (doc/ARCHITECTURE.md). Each exports its handlers, and only
-- those, in a `steps` table: an op has exactly one handler in all of them (the registry
-- test, spec/steps_spec.lua, checks it).
M.STEP_MODULES = { "hako.prepare_steps", "hako.join_steps", "hako.start_steps", "hako.root_steps",
  "hako.confine_steps", "hako.supervise_steps", "hako.notify", "hako.userns_steps" }

-- Which module has each op, so that a plan loads only the modules of its own steps:
-- hako-run never loads join_steps, hako-enter never root_steps. Looking for an op module
-- by module loaded them all: join_steps and what it needs were an eighth of hako-run's
-- start-up instructions (callgrind). spec/steps_spec.lua checks that each line is exactly
-- the keys of that module's steps table.
M.OPS_OF = {
  ["hako.prepare_steps"] = "block_signals check_landlock check_old_root check_status_fd check_target "
    .. "compile_syscall_filter enter_target leave_target make_cgroups open_netns open_record_directory "
    .. "open_result_pipe prepare_pid_file resolve_policy",
  ["hako.join_steps"] = "check_identity drop_groups find_record join open_cgroups open_target read_policy "
    .. "seal_self set_root",
  ["hako.start_steps"] = "await_release become_mapped_root die_with_parent enter_cgroups identify_sandbox "
    .. "new_cgroup_namespace new_process_group reexec_in_userns release_sandbox write_id_maps",
  ["hako.root_steps"] = "bind bind_root detach_old_root join_netns loopback_up make_private mount_dev "
    .. "mount_proc mount_sys pivot_root protect_proc protect_root sethostname tmpfs",
  ["hako.confine_steps"] = "build_landlock chdir close_host_fds exec filter_syscalls init "
    .. "limit_capabilities new_session_keyring restore_signals restrict_landlock set_capabilities "
    .. "set_dumpable set_ids set_no_new_privs set_rlimits",
  ["hako.supervise_steps"] = "await_sandbox publish_record report_end report_limits report_up start_job "
    .. "supervise write_pid_file write_record",
  ["hako.notify"] = "hand_notify_socket notify_ready",
  ["hako.userns_steps"] = "enter_netns hand_idmapped_trees leave_netns open_tree_channel reserve_id_range",
}

-- The executor's own op: it starts the sandbox's first process (start_sandbox below).
M.OWN_OPS = { clone = true }

local module_of
local function owner(op)
  if not module_of then
    module_of = {}
    for name, ops in pairs(M.OPS_OF) do
      for each in ops:gmatch("%S+") do module_of[each] = name end
    end
  end
  return module_of[op]
end

-- handler(op[, extra]) -> the function that runs op, or nil. extra: a recipe's own steps.
local registry = {}
function M.handler(op, extra)
  if registry[op] then return registry[op] end
  local name = owner(op)
  if name then
    local found = rawget(require(name).steps, op)
    if not found then failure.raise("step " .. tostring(op), "not in " .. name .. "'s steps (exec.OPS_OF)") end
    registry[op] = found
    return found
  end
  return extra and rawget(extra, op)
end

local function run_step(step, state)
  -- hako-run starts without garbage collection (bin/hako-run); a start that allocates
  -- much (a thousand --mount options: 7 MiB) has it back.
  if collectgarbage("count") > 2048 and not collectgarbage("isrunning") then collectgarbage("restart") end
  local handler = M.handler(step.op, state.extra_steps)
  if not handler then failure.raise("step " .. tostring(step.op), "unknown step") end
  handler(step, state)
end

-- The sandbox's side: its steps from `from` on, ending in exec. Never returns: a failure
-- goes to the host side through the status pipe, and the process ends in _exit whatever
-- happens, never back in the caller's code.
local function run_sandbox(steps, from, state)
  local core = state.core
  local ok, err = pcall(function()
    for i = from, #steps do
      -- Where it is, for a step that hands the rest on (hako.resume).
      state.plan, state.step_index = steps, i
      if steps[i].side == "sandbox" then run_step(steps[i], state) end
    end
    failure.raise("plan", "has no exec step")
  end)
  local status = failure.SETUP
  pcall(function()
    if ok or not failure.is(err) then err = failure.new("internal error", tostring(err)) end
    status = math.tointeger(err.status) or failure.SETUP
    -- status, what and why, one per line; the host side raises it again.
    core.write(state.status_w, string.format("%d\n%s\n%s", status, tostring(err.what), tostring(err.why)))
  end)
  core._exit(status)
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
  -- Into its cgroup v2 from the start, where it has one (make_cgroups).
  local pid, message, errno
  if state.cgroup_fd then
    pid, message, errno = core.clone_into_cgroup(flags, state.cgroup_fd)
  else
    pid, message, errno = core.clone(flags)
  end
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
    if state.cgroup_fd and (errno == core.EACCES or errno == core.EPERM) then
      -- Moving into a cgroup needs write access to the cgroup.procs of the common ancestor.
      failure.raise("clone3 into the sandbox's cgroup", failure.why(message)
        .. " (hako-run must run inside the subtree its cgroups are made in)", nil, errno)
    end
    if flags & core.CLONE_NEWUSER ~= 0 then require("hako.start_steps").explain_userns_failure(core, errno) end
    failure.from_core(message, errno)
  end
  state.child, state.status_r, state.alive_w = pid, status_r, alive_w
  return false
end

-- Find every step's handler now, loading its module: once the host side has changed
-- directory into the target (enter_target), or the sandbox has pivoted, a stock Lua
-- could no longer find it on disk by a relative module path.
local function load_handlers(steps, state)
  for _, step in ipairs(steps) do M.handler(step.op, state.extra_steps) end
end

-- resume(steps, carried, core): the sandbox's first process, started again by
-- hako.resume, goes on with the sandbox steps left, with the state carried; never returns.
function M.resume(steps, carried, core)
  local state = { core = core, side = "sandbox", cleanups = {} }
  for key, value in pairs(carried) do state[key] = value end
  load_handlers(steps, state)
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

-- run(steps, core[, extra_steps]) -> the command's exit status (128+N if a signal N
-- killed it). extra_steps = { op = function(step, state) } adds a recipe's own steps; an
-- op of hako's own cannot be replaced.
function M.run(steps, core, extra_steps)
  -- A plain copy: what a recipe gives is looked at once, not asked again (a metatable).
  local extra = extra_steps and {}
  for op, handler in pairs(extra_steps or {}) do
    if M.handler(op) or M.OWN_OPS[op] then failure.raise("step " .. tostring(op), "is one of hako's own steps") end
    if type(handler) ~= "function" then failure.raise("step " .. tostring(op), "is not a function") end
    extra[op] = handler
  end
  extra_steps = extra
  local state = { core = core, side = "host", cleanups = {}, extra_steps = extra_steps,
    custom_steps = extra_steps ~= nil or nil }
  load_handlers(steps, state)
  local ok, err = pcall(function()
    for i, step in ipairs(steps) do
      if step.side == "host" then
        if step.op == "clone" then
          if start_sandbox(step, state) then run_sandbox(steps, i + 1, state) end
        else
          run_step(step, state)
        end
      end
    end
  end)
  clean_up(state)
  if not ok then error(err, 0) end
  return state.status
end

return M
