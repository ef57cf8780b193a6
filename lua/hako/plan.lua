-- hako.plan: spec -> the ordered list of steps that makes the sandbox. Pure data.
--
-- Each step is a plain table { op = NAME, side = "host" | "sandbox", ... }. The executor
-- runs the host steps in the hako-run process; a "clone" step starts the sandbox, whose
-- process runs the sandbox steps. Kernel flags are named, not numbered, so a plan reads
-- the same in a test, in --dry-run and in a debugger.

local record = require "hako.record"

local M = {}

local NAMESPACE_FLAG = {
  mount = "CLONE_NEWNS", pid = "CLONE_NEWPID", ipc = "CLONE_NEWIPC",
  uts = "CLONE_NEWUTS", net = "CLONE_NEWNET", user = "CLONE_NEWUSER",
}

-- Signals hako-run passes on to the sandbox. Blocked before the clone, with SIGCHLD,
-- so that neither they nor the sandbox's exit can be lost in between.
M.FORWARDED_SIGNALS = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" }

local function blocked_signals()
  local list = { "SIGCHLD" }
  table.move(M.FORWARDED_SIGNALS, 1, #M.FORWARDED_SIGNALS, 2, list)
  return list
end

function M.build(spec)
  local steps = {}
  local function add(side, op, args)
    local step = args or {}
    step.op, step.side = op, side
    steps[#steps + 1] = step
  end
  local function host(op, args) add("host", op, args) end
  local function sandbox(op, args) add("sandbox", op, args) end

  local flags = {}
  for i, ns in ipairs(spec.namespaces) do flags[i] = NAMESPACE_FLAG[ns] end

  host("check_target", { path = spec.root })
  host("check_old_root", { path = spec.root .. "/.hako" })
  host("block_signals", { signals = blocked_signals() })
  host("clone", { flags = flags })
  host("identify_sandbox")

  sandbox("die_with_parent")
  -- Nothing done in here may reach the host's mounts: private first, before any mount.
  sandbox("make_private", { path = "/" })
  sandbox("bind_root", { path = spec.root })
  sandbox("chdir", { path = spec.root })
  sandbox("pivot_root", { new = ".", old = ".hako" })
  sandbox("detach_old_root", { path = "/.hako" })
  sandbox("chdir", { path = "/" })
  sandbox("sethostname", { name = spec.hostname })
  sandbox("restore_signals")
  sandbox("exec", { argv = spec.command, env = spec.env, search_path = spec.path })

  host("await_sandbox")
  host("write_record", { dir = spec.record_dir, policy = record.policy(spec) })
  host("supervise", { forward = M.FORWARDED_SIGNALS })
  return steps
end

local function show(value)
  if type(value) == "table" and #value == 0 and next(value) ~= nil then
    local keys, parts = {}, {}
    for k in pairs(value) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for i, k in ipairs(keys) do parts[i] = k .. "=" .. show(value[k]) end
    return "{" .. table.concat(parts, " ") .. "}"
  elseif type(value) == "table" then
    local parts = {}
    for i, v in ipairs(value) do parts[i] = show(v) end
    return "[" .. table.concat(parts, " ") .. "]"
  elseif type(value) == "string" and (value == "" or value:find("[%s%[%]\"]")) then
    return string.format("%q", value)
  end
  return tostring(value)
end

-- describe(steps) -> text, one line per step: number, side, op and arguments.
function M.describe(steps)
  local lines = {}
  for i, step in ipairs(steps) do
    local keys = {}
    for k in pairs(step) do
      if k ~= "op" and k ~= "side" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    local args = {}
    for j, k in ipairs(keys) do args[j] = k .. "=" .. show(step[k]) end
    lines[i] = string.format("%3d  %-7s  %-16s %s", i, step.side, step.op, table.concat(args, " "))
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
