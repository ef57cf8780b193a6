-- hako.plan: spec -> the ordered list of steps that makes the sandbox. Pure data.
--
-- Each step is a plain table { op = NAME, side = "host" | "sandbox", ... }. The executor
-- runs the host steps in the hako-run process; a "clone" step starts the sandbox, whose
-- process runs the sandbox steps. Kernel flags are named, not numbered, so a plan reads
-- the same in a test, in --dry-run and in a debugger.

local M = {}

local NAMESPACE_FLAG = {
  mount = "CLONE_NEWNS", pid = "CLONE_NEWPID", ipc = "CLONE_NEWIPC",
  uts = "CLONE_NEWUTS", net = "CLONE_NEWNET", user = "CLONE_NEWUSER",
}

-- Signals hako-run passes on to the sandbox. Blocked before the clone, with SIGCHLD,
-- so that neither they nor the sandbox's exit can be lost in between.
M.FORWARDED_SIGNALS = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" }

-- /proc paths a process inside could change the host with, or learn the kernel's
-- secrets from (the list Docker and runc use): bound read-only onto themselves ...
M.PROC_READ_ONLY = { "bus", "fs", "irq", "sys", "sysrq-trigger" }
-- ... or covered: files by /dev/null, directories by an empty tmpfs.
M.PROC_MASKED = { "acpi", "asound", "kcore", "keys", "latency_stats", "sched_debug", "scsi",
  "timer_list", "timer_stats" }
-- ioctls that push input into the caller's terminal.
M.DENIED_IOCTLS = { "TIOCSTI", "TIOCLINUX" }

local function blocked_signals()
  local list = { "SIGCHLD" }
  table.move(M.FORWARDED_SIGNALS, 1, #M.FORWARDED_SIGNALS, 2, list)
  return list
end

local function mount_steps(spec, sandbox)
  for _, m in ipairs(spec.mounts) do
    if m.type == "bind" then
      local read_only = m.mode == "ro" or (m.mode == nil and spec.read_only)
      sandbox("bind", { src = m.src, dst = m.dst, read_only = read_only, devices = m.devices })
    else
      sandbox("tmpfs", { dst = m.dst, size = m.size })
    end
  end
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
  if spec.net.mode == "join" then host("open_netns", { path = spec.net.path }) end
  if spec.user or spec.group then
    host("resolve_identity", { root = spec.root, user = spec.user, group = spec.group })
  end
  if spec.pid_file then host("prepare_pid_file", { path = spec.pid_file }) end
  host("block_signals", { signals = blocked_signals() })
  host("clone", { flags = flags })

  sandbox("die_with_parent")
  if spec.net.mode == "join" then sandbox("join_netns") end
  -- Nothing done in here may reach the host's mounts: private first, before any mount.
  sandbox("make_private", { path = "/" })
  sandbox("bind_root", { path = spec.root })
  sandbox("protect_root", { read_only = spec.read_only })
  if spec.proc ~= "off" then sandbox("mount_proc", { dst = "/proc", required = spec.proc == "on" }) end
  -- Kernel-global files: read-only or masked in /proc, no /sys unless asked (--sys).
  if spec.proc ~= "off" then
    sandbox("protect_proc", { read_only = { table.unpack(M.PROC_READ_ONLY) },
      masked = { table.unpack(M.PROC_MASKED) } })
  end
  if spec.sys then sandbox("mount_sys", { dst = "/sys", required = true }) end
  if spec.dev ~= "off" then sandbox("mount_dev", { dst = "/dev", required = spec.dev == "on" }) end
  mount_steps(spec, sandbox)
  sandbox("pivot_root", { old = ".hako" })
  sandbox("detach_old_root", { path = "/.hako" })
  sandbox("sethostname", { name = spec.hostname })
  if spec.net.mode == "none" then sandbox("loopback_up") end
  sandbox("drop_privileges", { keep_caps = spec.caps })
  -- The last walls: own keyring, no inherited fds, no terminal injection (no_new_privs is set).
  sandbox("new_session_keyring")
  sandbox("close_inherited_fds", { keep = spec.keep_fds })
  sandbox("filter_syscalls", { deny_ioctls = { table.unpack(M.DENIED_IOCTLS) } })
  -- Changing credentials cleared the parent-death signal: arm it again.
  sandbox("die_with_parent")
  sandbox("chdir", { path = spec.chdir })
  sandbox("restore_signals")
  sandbox("exec", { argv = spec.command, env = spec.env, search_path = spec.path })

  host("await_sandbox")
  if spec.pid_file then host("write_pid_file", { path = spec.pid_file }) end
  host("supervise", { forward = M.FORWARDED_SIGNALS })
  return steps
end

local function show(value)
  if type(value) == "table" then
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
