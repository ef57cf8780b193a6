-- hako.plan: spec -> the ordered list of steps that makes the sandbox. Pure data.
--
-- Each step is a plain table { op = NAME, side = "host" | "sandbox", ... }. The executor
-- runs the host steps in the hako-run process; a "clone" step starts the sandbox, whose
-- process runs the sandbox steps. Kernel flags are named, not numbered, so a plan reads
-- the same in a test, in --dry-run and in a debugger.

local policy = require "hako.policy"

local M = {}

local NAMESPACE_FLAG = {
  mount = "CLONE_NEWNS", pid = "CLONE_NEWPID", ipc = "CLONE_NEWIPC",
  uts = "CLONE_NEWUTS", net = "CLONE_NEWNET", user = "CLONE_NEWUSER",
}

-- Signals hako-run passes on to the sandbox. Blocked before the clone, with SIGCHLD,
-- so that neither they nor the sandbox's exit can be lost in between.
M.FORWARDED_SIGNALS = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH" }

-- Signals hako's PID 1 passes on to the command: the same, and SIGCONT.
M.INIT_FORWARDED_SIGNALS = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
  "SIGWINCH", "SIGCONT" }

-- Names of the namespace files in /proc/PID/ns, for the status report.
local NAMESPACE_FILE = { mount = "mnt", pid = "pid", ipc = "ipc", uts = "uts", net = "net", user = "user" }
-- /proc paths a process inside could change the host with, or learn the kernel's
-- secrets from (the list Docker and runc use): bound read-only onto themselves ...
M.PROC_READ_ONLY = { "bus", "fs", "irq", "sys", "sysrq-trigger" }
-- ... or covered: files by /dev/null, directories by an empty tmpfs.
M.PROC_MASKED = { "acpi", "asound", "kcore", "keys", "latency_stats", "sched_debug", "scsi",
  "timer_list", "timer_stats" }
-- Also blocked on the host side, to be waited for: SIGCONT (the shell's fg and bg, passed
-- on to the sandbox), SIGIO (hako's init has news on the result pipe); and SIGTTOU, so
-- that hako may take the terminal back from the background (tcsetpgrp(3)).
M.JOB_SIGNALS = { "SIGCONT", "SIGIO", "SIGTTOU" }

-- blocked_signals() -> what the host blocks before the clone: its own waited-for signals.
function M.blocked_signals(forwarded)
  local list = { "SIGCHLD" }
  table.move(forwarded, 1, #forwarded, 2, list)
  table.move(M.JOB_SIGNALS, 1, #M.JOB_SIGNALS, #list + 1, list)
  return list
end

-- mounts(spec, sandbox) -> the binds, for hako-run to make them idmapped (hako.userns_steps).
local function mounts(spec, sandbox)
  local idmapped, binds = spec.userns and spec.userns.idmapped, {}
  for _, m in ipairs(spec.mounts) do
    if m.type == "bind" then
      local read_only = m.mode == "ro" or (m.mode == nil and spec.read_only)
      -- --noexec-writable: a writable mount is noexec (mmap of its files for execution too).
      local bind = { src = m.src, dst = m.dst, read_only = read_only, devices = m.devices,
        noexec = spec.noexec_writable and not read_only or nil,
        any_link = spec.userns ~= nil and not idmapped or nil, idmapped = idmapped }
      sandbox("bind", bind)
      binds[#binds + 1] = { src = bind.src, read_only = bind.read_only, devices = bind.devices, noexec = bind.noexec }
    else
      sandbox("tmpfs", { dst = m.dst, size = m.size, noexec = spec.noexec_writable or nil })
    end
  end
  return binds
end

-- builder() -> steps, host, sandbox: an empty plan, and the functions that add a step
-- { op = OP, side = ..., args... } to it on each side (hako-enter's plan uses it too).
function M.builder()
  local steps = {}
  local function add(side, op, args)
    local step = args or {}
    step.op, step.side = op, side
    steps[#steps + 1] = step
  end
  return steps, function(op, args) add("host", op, args) end,
    function(op, args) add("sandbox", op, args) end
end

-- confine(add): the confinement both commands end with, in the order the kernel needs:
-- Landlock's rules made while still root (their paths may be closed to the command's
-- user), resource limits while CAP_SYS_RESOURCE is there (to raise one), the bounding set
-- while CAP_SETPCAP is, groups and gid while CAP_SETGID is, the capabilities kept,
-- no_new_privs (which the filter and Landlock need), not dumpable again (changing ids
-- reset it), a keyring of its own, the syscall filter, the working directory as the
-- command's user, and Landlock loaded last. Every step reads state.policy (hako.policy).
function M.confine(add)
  add("build_landlock")
  add("set_rlimits")
  add("limit_capabilities")
  add("set_ids")
  add("set_capabilities")
  add("set_no_new_privs")
  add("set_dumpable", { dumpable = false })
  add("new_session_keyring")
  add("filter_syscalls")
  add("chdir")
  add("restrict_landlock")
end

function M.build(spec)
  local steps, host, sandbox = M.builder()

  local flags = {}
  for i, ns in ipairs(spec.namespaces) do flags[i] = NAMESPACE_FLAG[ns] end

  local status_fd = spec.json_status_fd
  -- First, before hako opens anything: a closed fd number would otherwise pass the check
  -- as one of hako's own files (the pid file), and the status go there.
  if status_fd then host("check_status_fd", { fd = status_fd }) end
  host("check_target", { path = spec.root })
  host("check_old_root", { path = spec.root .. "/.hako", name = ".hako" })
  if spec.net.mode == "join" then host("open_netns", { path = spec.net.path }) end
  -- What the command is confined by (hako.policy), the user's ids and HOME filled in.
  host("resolve_policy", { policy = policy.from_spec(spec), user = spec.user, group = spec.group })
  host("compile_syscall_filter", { source = spec.seccomp })
  -- On a shared network a missing abstract-socket scope is worth a word, not silence.
  host("check_landlock", { program = "hako-run", shared_net = spec.net.mode ~= "none" or nil })
  if spec.pid_file then host("prepare_pid_file", { path = spec.pid_file }) end
  if spec.record_dir then host("open_record_directory", { dir = spec.record_dir, name = spec.name }) end
  -- The sandbox's cgroups, and a watcher that removes them whenever hako-run ends.
  host("block_signals", { signals = M.blocked_signals(M.FORWARDED_SIGNALS) })
  -- After the signals are blocked: a ^C between two mkdirs must not leave one behind.
  if spec.limits then host("make_cgroups", { limits = spec.limits }) end
  -- hako's PID 1 tells the host how the command ended (exit code or signal) through it.
  if not spec.as_pid_1 then host("open_result_pipe") end
  -- Root's sandbox: host ids of its own, and the way its idmapped mounts will travel.
  local idmapped = spec.userns and spec.userns.idmapped
  if idmapped then
    host("reserve_id_range")
    host("open_tree_channel")
  end
  local join_from_host = idmapped and spec.net.mode == "join"
  if join_from_host then host("enter_netns") end
  host("enter_target")
  host("clone", { flags = flags })
  if join_from_host then host("leave_netns") end
  host("start_job")
  if spec.userns then
    host("write_id_maps", { uid = spec.userns.uid, gid = spec.userns.gid,
      map_users = spec.userns.map_users, map_groups = spec.userns.map_groups })
  end
  -- Before the sandbox runs anything of its own (it is held, or busy with hako's own
  -- steps): what it is, for the record and the status report. An ended process has no
  -- /proc/PID/ns.
  host("identify_sandbox")
  -- Into its v1 cgroups (the v2 one it was cloned into) before it runs anything of its own.
  if spec.limits then host("enter_cgroups") end
  -- The sandbox waits until the host has done what must come first: mapped its ids (it
  -- has no privilege before), and identified it for the record and the status report
  -- (once it is not dumpable, a hako-run without CAP_SYS_PTRACE could not).
  local held = spec.userns or status_fd or spec.record_dir or spec.limits
  if held then host("release_sandbox") end
  -- Made once the maps are written; handed over while the sandbox takes them.
  local hand = idmapped and { root = { path = spec.root, read_only = spec.read_only }, binds = {} }
  if hand then host("hand_idmapped_trees", hand) end
  -- Not sooner: the sandbox makes itself non-dumpable early, and then hako-run, without
  -- CAP_SYS_PTRACE, can no longer read its namespaces: identify it first.
  host("leave_target")

  -- Before anything else in the sandbox: nothing of the host may be found in this process,
  -- and nothing inside may look into it. The command, forked or exec'd from it, gets
  -- only 0-2 and the policy's keep_fds: every fd opened after this is close-on-exec.
  sandbox("close_host_fds")
  sandbox("new_process_group")
  sandbox("die_with_parent")
  -- Non-dumpable only once the host has written the id maps and read the namespaces:
  -- that makes /proc/PID/* root's, which a rootless hako-run could no longer open.
  if held then sandbox("await_release") end
  -- Its own cgroup is its root: /proc/self/cgroup says "/" inside.
  if spec.limits then sandbox("new_cgroup_namespace") end
  if spec.userns and spec.userns.uid == 0 then sandbox("become_mapped_root") end
  -- hako's init is not dumpable, so nothing inside can look into it. A rootless one
  -- first starts itself again inside the user namespace (hako.resume): else its owner's
  -- hako-enter could not look into it either.
  if spec.userns and spec.userns.uid ~= 0 and not spec.as_pid_1 then sandbox("reexec_in_userns") end
  sandbox("set_dumpable", { dumpable = false })
  if spec.net.mode == "join" and not join_from_host then sandbox("join_netns") end
  -- Nothing done in here may reach the host's mounts: private first, before any mount.
  sandbox("make_private", { path = "/" })
  sandbox("bind_root", { path = spec.root, idmapped = idmapped })
  sandbox("protect_root", { read_only = spec.read_only })
  if spec.proc ~= "off" then sandbox("mount_proc", { dst = "/proc", required = spec.proc == "on" }) end
  -- Kernel-global files: read-only or masked in /proc, no /sys unless asked (--sys).
  if spec.proc ~= "off" then
    sandbox("protect_proc", { read_only = { table.unpack(M.PROC_READ_ONLY) },
      masked = { table.unpack(M.PROC_MASKED) } })
  end
  if spec.sys then sandbox("mount_sys", { dst = "/sys", required = true }) end
  if spec.dev ~= "off" then
    -- In a user namespace device nodes cannot be made: the host's are bound instead.
    sandbox("mount_dev", { dst = "/dev", required = spec.dev == "on", bind_devices = spec.userns ~= nil })
  end
  local binds = mounts(spec, sandbox)
  if hand then hand.binds = binds end
  -- --notify sandbox: the host's notify socket for the command, while host paths are
  -- still there to open (as the binds' sources); reached as /proc/self/fd/N (hako.notify).
  if spec.notify.mode == "sandbox" and spec.notify.socket and not spec.notify.abstract then
    sandbox("hand_notify_socket", { path = spec.notify.socket, any_link = spec.userns ~= nil or nil })
  end
  sandbox("pivot_root", { old = ".hako" })
  sandbox("detach_old_root", { path = "/.hako" })
  sandbox("sethostname")
  if spec.net.mode == "none" then sandbox("loopback_up") end
  -- Credential changes go here, before the init forks, so that the init and the command
  -- both run with them.
  M.confine(sandbox)
  -- Changing credentials cleared the parent-death signal: arm it again, after the last.
  sandbox("die_with_parent")
  local command = { argv = spec.command }
  if spec.as_pid_1 then
    sandbox("restore_signals")
    sandbox("exec", command)
  else
    command.forward = M.INIT_FORWARDED_SIGNALS
    sandbox("init", command)
  end

  -- The record is written while the sandbox sets itself up, and published once it is up:
  -- first of all, since once the pid file names the sandbox, hako-enter can be asked in.
  if spec.record_dir then
    host("write_record", { root = spec.root, name = spec.name, command = spec.command, defer = spec.limits and true })
  end
  host("await_sandbox")
  if spec.record_dir then host("publish_record") end
  if spec.pid_file then host("write_pid_file", { path = spec.pid_file }) end
  if status_fd then
    local ns = {}
    for i, name in ipairs(spec.namespaces) do ns[i] = NAMESPACE_FILE[name] end
    host("report_up", { fd = status_fd, namespaces = ns })
  end
  -- systemd's Type=notify: ready once the command runs, and hako-run the pid to watch
  -- (hako.notify); after the record and pid file, so that ready means enterable too.
  if spec.notify.mode == "hako" and spec.notify.socket then host("notify_ready", { socket = spec.notify.socket }) end
  -- freeze: at ^Z the whole sandbox stops with the job (hako.freeze).
  host("supervise", { forward = M.FORWARDED_SIGNALS, freeze = true, timeout = spec.timeout,
    grace = spec.timeout and spec.timeout_grace })
  -- Read before the cgroups go: OOM kills and peaks, for stderr and the status report.
  if spec.limits then host("report_limits") end
  if status_fd then host("report_end", { fd = status_fd }) end
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
