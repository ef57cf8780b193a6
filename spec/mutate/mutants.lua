-- spec/mutate/mutants.lua: one mutant per defence of the README's Security model, for
-- hako-run and for hako-enter apart. Each removes the defence with a small textual edit
-- (the text must stand exactly once in its file) and names the spec files that must then
-- fail. A new defence is not done until it is here and killed (make mutate).

local function edit(file, from, to)
  return { file = file, from = from, to = to }
end

-- A step handler that returns at once: the step is planned, and does nothing.
local function skip(file, header)
  return edit(file, header, header .. " do return end")
end

-- A step taken out of a plan (the line that plans it becomes a comment).
local function unplanned(file, line)
  return edit(file, line, "-- mutant: " .. line)
end

local function mutant(name, why, specs, ...)
  return { name = name, why = why, specs = specs, edits = { ... } }
end

-- A mutant of the old mode's code (--userns host), whose specs run in that mode: root's
-- own user namespace makes its trees with userns_steps instead.
local function old_mode(m)
  m.env = "HAKO_TEST_USERNS=host"
  return m
end
local USERNS_STEPS = "lua/hako/userns_steps.lua"

local PLAN, ENTER_PLAN = "lua/hako/plan.lua", "lua/hako/enter_plan.lua"
local CONFINE, POLICY = "lua/hako/confine_steps.lua", "lua/hako/policy.lua"
local ROOT_STEPS, JOIN_STEPS = "lua/hako/root_steps.lua", "lua/hako/join_steps.lua"
local STOP = "lua/hako/stop.lua"

return {
  -- The confinement both commands share (hako.policy, hako.confine_steps): each mutant
  -- must be caught by hako-run's tests and by hako-enter's.
  mutant("bounding-set", "capabilities stay in the bounding set",
    { "spec/run_options_spec.lua", "spec/rootless_spec.lua", "spec/enter_spec.lua", "spec/confine_steps_spec.lua" },
    edit(CONFINE, "    if not kept[cap] then", "    if false then")),
  mutant("capset", "uid 0 keeps its capabilities",
    { "spec/caps_spec.lua", "spec/escape_privileges_spec.lua", "spec/confine_steps_spec.lua" },
    edit(CONFINE, "  check(core.capset(mask, mask, mask))\n", "")),
  mutant("no-new-privs", "no no_new_privs (and so no seccomp filter either)",
    { "spec/escape_privileges_spec.lua", "spec/enter_escape_spec.lua" },
    edit(CONFINE, "  if state.policy.no_new_privs then "
      .. "check(state.core.prctl(state.core.PR_SET_NO_NEW_PRIVS, 1)) end\n",
      "")),
  mutant("keyring", "the command shares the caller's session keyring",
    { "spec/escape_privileges_spec.lua", "spec/enter_escape_spec.lua" },
    unplanned(PLAN, 'add("new_session_keyring")')),
  mutant("keyring-calls", "keyctl, add_key, request_key allowed",
    { "spec/escape_privileges_spec.lua", "spec/enter_escape_spec.lua" },
    edit(POLICY, 'M.DENIED_SYSCALLS = { "keyctl", "add_key", "request_key" }', "M.DENIED_SYSCALLS = {}")),
  mutant("tiocsti", "TIOCSTI and TIOCLINUX allowed",
    { "spec/escape_terminal_spec.lua" },
    edit(POLICY, 'M.DENIED_IOCTLS = { "TIOCSTI", "TIOCLINUX" }', "M.DENIED_IOCTLS = {}")),
  mutant("filter", "no seccomp filter at all",
    { "spec/escape_privileges_spec.lua", "spec/enter_escape_spec.lua", "spec/escape_terminal_spec.lua" },
    unplanned(PLAN, 'add("filter_syscalls")')),
  mutant("chdir-magic-links", "--chdir follows magic links (hako-run and hako-enter)",
    { "spec/escape_processes_spec.lua" },
    edit(CONFINE, "    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS)", "    core.RESOLVE_IN_ROOT)")),
  mutant("record-keeps-walls", "a record can take no_new_privs and the denied calls away from hako-enter",
    { "spec/policy_spec.lua" },
    edit(POLICY, "  p.no_new_privs = true\n", ""),
    edit(POLICY, "  p.seccomp = { deny_syscalls = union(M.DENIED_SYSCALLS, seccomp.deny_syscalls),",
      "  p.seccomp = { deny_syscalls = union({}, seccomp.deny_syscalls),")),

  mutant("landlock-scope", "abstract sockets and signals reach outside the sandbox",
    { "spec/escape_network_spec.lua", "spec/escape_processes_spec.lua", "spec/landlock_spec.lua" },
    edit("lua/hako/landlock.lua", "  if abi >= M.SCOPE_ABI then", "  if false then")),
  mutant("landlock-files", "no file layer: files made anywhere, host files through a given fd",
    { "spec/escape_network_spec.lua", "spec/escape_processes_spec.lua", "spec/escape_privileges_spec.lua" },
    edit("lua/hako/landlock.lua", "  if l.fs then\n    rules.fs =", "  if false then\n    rules.fs =")),
  mutant("landlock-ports", "--allow-connect and --allow-bind limit nothing",
    { "spec/escape_network_spec.lua", "spec/landlock_spec.lua" },
    edit("lua/hako/landlock.lua", "  if abi >= M.NET_ABI then", "  if false then")),
  mutant("tcp-only", "UDP and raw sockets open though ports are limited",
    { "spec/escape_network_spec.lua", "spec/seccomp_spec.lua" },
    edit("lua/hako/seccomp.lua", "      for _, n in ipairs(nr.socket) do", "      for _, n in ipairs({}) do")),

  mutant("limits-pids", "--pids limits nothing",
    { "spec/limits_spec.lua", "spec/cgroup_spec.lua" },
    edit("lua/hako/cgroup.lua", '        if c == "pids" then add(cg, "pids.max", limits.pids) end\n'
      .. '        if c == "cpu" then add(cg, "cpu.max"', '        if c == "cpu" then add(cg, "cpu.max"'),
    edit("lua/hako/cgroup.lua", '        if c == "pids" then add(cg, "pids.max", limits.pids) end\n'
      .. '        if c == "cpu" then add(cg, "cpu.cfs_period_us"',
      '        if c == "cpu" then add(cg, "cpu.cfs_period_us"')),
  mutant("limits-watcher", "a SIGKILLed hako-run leaves its cgroups behind",
    { "spec/limits_spec.lua" },
    edit("lua/hako/cgroupfs.lua", "        M.remove(core, cg, true)\n", "")),
  mutant("limits-enter", "hako-enter's command stays outside the sandbox's cgroups",
    { "spec/limits_spec.lua" },
    edit("lua/hako/start_steps.lua", "    local ok, message, errno = core.write(fd, pid)\n",
      "    local ok, message, errno = true, nil, nil\n")),

  -- hako-run
  mutant("run-host-fds", "hako's init and the command keep the caller's and the host's fds",
    { "spec/escape_processes_spec.lua", "spec/escape_privileges_spec.lua" },
    unplanned(PLAN, 'sandbox("close_host_fds")')),
  mutant("run-dumpable-init", "hako's init stays dumpable",
    { "spec/escape_processes_spec.lua" },
    edit(CONFINE, "PR_SET_DUMPABLE, step.dumpable and 1 or 0)", "PR_SET_DUMPABLE, 1)")),
  mutant("run-rootless-reexec", "a rootless init does not start itself again inside its namespace",
    { "spec/enter_spec.lua", "spec/rootless_spec.lua" },
    edit("lua/hako/resume.lua", "  if state.custom_steps then return end", "  do return end")),
  mutant("run-resume-module-paths", "the rootless init's re-exec finds modules relative to the sandbox's tree",
    { "spec/escape_processes_spec.lua" },
    edit("lua/hako/resume.lua", "absolute(package.path), absolute(package.cpath)", "package.path, package.cpath")),
  mutant("run-process-group", "the sandbox stays in the caller's process group",
    { "spec/escape_processes_spec.lua" },
    unplanned(PLAN, 'sandbox("new_process_group")'),
    edit("lua/hako/supervise_steps.lua", "  core.setpgid(state.child, state.child)", "")),
  mutant("run-proc-masks", "kernel files in /proc are not masked",
    { "spec/escape_kernel_files_spec.lua" },
    edit(PLAN, "masked = { table.unpack(M.PROC_MASKED) }", "masked = {}")),
  mutant("run-proc-read-only", "/proc/sys and friends stay writable",
    { "spec/escape_kernel_files_spec.lua" },
    edit(PLAN, "read_only = { table.unpack(M.PROC_READ_ONLY) }", "read_only = {}")),
  old_mode(mutant("run-ro-binds", ":ro binds are writable",
    { "spec/escape_mount_flags_spec.lua", "spec/run_options_spec.lua" },
    edit(ROOT_STEPS,
      "    if not step.devices then set = set | core.MOUNT_ATTR_NODEV end\n"
        .. "    if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end",
      "    if not step.devices then set = set | core.MOUNT_ATTR_NODEV end"))),
  old_mode(mutant("run-read-only-root", "-R leaves the root writable",
    { "spec/run_options_spec.lua", "spec/escape_mount_flags_spec.lua" },
    edit(ROOT_STEPS,
      "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n"
        .. "  if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end",
      "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV"))),
  old_mode(mutant("run-nosuid-root", "setuid files in the tree work (but for no_new_privs)",
    { "spec/escape_mount_flags_spec.lua" },
    edit(ROOT_STEPS, "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n",
      "  local set = core.MOUNT_ATTR_NODEV\n"))),
  -- The same flags on root's idmapped trees, set by hako-run (protect_root sets them again).
  mutant("run-idmap-read-only", ":ro binds and -R are writable in root's own user namespace",
    { "spec/userns_spec.lua", "spec/escape_mount_flags_spec.lua", "spec/run_options_spec.lua" },
    edit(USERNS_STEPS, "  if mount.read_only then set = set | core.MOUNT_ATTR_RDONLY end\n", ""),
    edit(ROOT_STEPS, "  if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end\n  check(", "  check(")),
  mutant("run-idmap-nosuid", "no nosuid on root's idmapped trees",
    { "spec/escape_mount_flags_spec.lua" },
    edit(USERNS_STEPS, "  local set = core.MOUNT_ATTR_NOSUID\n", "  local set = 0\n"),
    edit(ROOT_STEPS, "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n  if step.read_only",
      "  local set = core.MOUNT_ATTR_NODEV\n  if step.read_only")),
  mutant("run-nodev-root", "device files in the tree work",
    { "spec/escape_mount_flags_spec.lua", "spec/escape_privileges_spec.lua" },
    edit(ROOT_STEPS, "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n",
      "  local set = core.MOUNT_ATTR_NOSUID\n")),
  mutant("run-nodev-binds", "device files in a bind work",
    { "spec/escape_mount_flags_spec.lua", "spec/mounts_spec.lua" },
    edit(ROOT_STEPS, "  if not step.devices then set = set | core.MOUNT_ATTR_NODEV end\n", "")),
  mutant("run-seccomp-foreign-abi", "a system call through a foreign ABI passes the filter",
    { "spec/seccomp_spec.lua" },
    edit("lua/hako/seccomp.lua", "  emit({ code = M.RET_K, k = M.RET_KILL_PROCESS })",
      "  emit({ code = M.RET_K, k = M.RET_ALLOW })")),
  mutant("run-die-with-parent", "the sandbox outlives a killed hako-run",
    { "spec/lifecycle_spec.lua" },
    edit("lua/hako/start_steps.lua", "  check(core.prctl(core.PR_SET_PDEATHSIG, core.SIGKILL))\n", "")),
  mutant("run-userns-range", "root's sandbox is mapped to host uid 0",
    { "spec/idmap_spec.lua", "spec/escape_privileges_spec.lua", "spec/userns_spec.lua" },
    edit("lua/hako/idmap.lua", "M.DEFAULT_RANGE_START = 0x70000000", "M.DEFAULT_RANGE_START = 0")),
  mutant("run-userns-slot-lock", "two running sandboxes share a range of host ids",
    { "spec/userns_spec.lua", "spec/userns_steps_spec.lua" },
    edit("lua/hako/userns_steps.lua", "    ok, message, errno = core.flock(fd, core.LOCK_EX | core.LOCK_NB)\n",
      "    ok = true\n")),
  mutant("run-idmap-private", "an idmapped tree of a shared mount stays shared: mounts inside reach the host",
    { "spec/escape_filesystem_spec.lua", "spec/userns_steps_spec.lua" },
    edit("lua/hako/userns_steps.lua", "core.MOUNT_ATTR_IDMAP, 0, core.MS_PRIVATE, userns)",
      "core.MOUNT_ATTR_IDMAP, 0, 0, userns)")),
  mutant("container-caps-for-all", "users other than uid 0 get the container's capabilities",
    { "spec/userns_spec.lua", "spec/confine_steps_spec.lua", "spec/policy_spec.lua" },
    edit(POLICY, "  if p.uid == 0 and p.root_caps then return p.root_caps end",
      "  if p.root_caps then return p.root_caps end")),
  mutant("run-mapped-root-groups", "--userns as root keeps root's groups",
    { "spec/escape_privileges_spec.lua" },
    edit("lua/hako/start_steps.lua", "  check(core.setgroups({}))\n", ""),
    edit(CONFINE, "  if p.setgroups then check(core.setgroups(p.groups)) end\n", "")),
  mutant("run-pid-file-directory", "the pid file's directory may be anyone's",
    { "spec/escape_filesystem_spec.lua" },
    edit("lua/hako/prepare_steps.lua", "  if wrong then\n    core.close(dirfd)",
      "  if false then\n    core.close(dirfd)")),
  mutant("run-pid-file-same-inode", "the pid file is removed at the end whatever stands there",
    { "spec/escape_filesystem_spec.lua" },
    edit("lua/hako/supervise_steps.lua",
      "    if same_file(core, file.dirfd, file.name, file.id) then core.unlinkat(file.dirfd, file.name) end",
      "    core.unlinkat(file.dirfd, file.name)")),
  old_mode(mutant("run-target-once", "the root is bound by its name, looked up again in the sandbox",
    { "spec/escape_filesystem_spec.lua" },
    edit(ROOT_STEPS, "    or check(core.open_tree(core.AT_FDCWD, \".\",",
      "    or core.chdir(step.path) and check(core.open_tree(core.AT_FDCWD, \".\","))),
  mutant("run-host-path-links", "root follows another user's links on a host path",
    { "spec/escape_filesystem_spec.lua" },
    edit("lua/hako/host_path.lua", "  if not trusted(link, uid) then return \"owned by uid \" .. link.uid end\n", "")),
  mutant("host-files-regular-only", "a FIFO given as --net PATH or as a record is opened (hako-run, hako-enter)",
    { "spec/escape_filesystem_spec.lua", "spec/enter_escape_spec.lua" },
    edit("lua/hako/host_path.lua", 'if not st or st.type ~= "file" or allowed and not allowed(st) then return nil end',
      "if not st or allowed and not allowed(st) then return nil end"),
    edit("lua/hako/host_path.lua", "core.O_RDONLY | core.O_NONBLOCK | core.O_CLOEXEC)\nend",
      "core.O_RDONLY | core.O_CLOEXEC)\nend")),
  mutant("run-bind-source-symlink", "a bind source that is a symlink is followed",
    { "spec/escape_filesystem_spec.lua" },
    edit("lua/hako/host_path.lua", '      if last and options.last_link == "refuse" then', "      if false then")),
  mutant("run-old-root-nofollow", "/.hako is detached through a symlink",
    { "spec/escape_filesystem_spec.lua" },
    edit(ROOT_STEPS, "core.MNT_DETACH | core.UMOUNT_NOFOLLOW", "core.MNT_DETACH")),
  mutant("run-status-fd-first", "--json-status-fd is checked after hako's own fds are open",
    { "spec/lifecycle_spec.lua" },
    edit(PLAN, '  if status_fd then host("check_status_fd", { fd = status_fd }) end\n', ""),
    edit(PLAN, '  host("block_signals", { signals = M.blocked_signals(M.FORWARDED_SIGNALS) })\n',
      '  if status_fd then host("check_status_fd", { fd = status_fd }) end\n'
        .. '  host("block_signals", { signals = M.blocked_signals(M.FORWARDED_SIGNALS) })\n')),
  mutant("run-freeze-on-stop", "while hako-run is stopped, the sandbox runs on (and may take the terminal)",
    { "spec/terminal_spec.lua" },
    edit("lua/hako/supervise_steps.lua", "  state.freeze = step.freeze\n", "")),
  mutant("run-freeze-nested", "a process in a PID namespace nested in the sandbox's is not frozen",
    { "spec/terminal_spec.lua" },
    edit("lua/hako/freeze.lua", "    local parent = core.ns_get_parent(fd)", "    local parent = nil")),
  mutant("run-host-path-magic-links", "a /proc magic link on a host path is walked as text",
    { "spec/escape_filesystem_spec.lua" },
    edit("lua/hako/host_path.lua", "      elseif errno == core.ELOOP then", "      elseif false then")),
  mutant("run-result-pipe", "any stop told on the result pipe is believed",
    { "spec/supervise_steps_spec.lua" },
    edit("lua/hako/supervise_steps.lua", "for _, sig in ipairs(stops) do stopped = stopped or code == sig end",
      "stopped = true")),
  mutant("run-empty-argv", "the launcher runs with an empty argv",
    { "spec/launcher_spec.lua" },
    edit("c/launcher.c", "	if (argc < 1 || !argv[0] || !argv[0][0]) {", "	if (argc < 1) {")),
  mutant("run-notify-read-only", "--notify sandbox gives the command the host's mount of root's notify socket",
    { "spec/notify_spec.lua" },
    edit("lua/hako/notify.lua", "core.MOUNT_ATTR_RDONLY | core.MOUNT_ATTR_NOSUID", "core.MOUNT_ATTR_NOSUID")),
  mutant("run-notify-env", "NOTIFY_SOCKET reaches the command by --keep-env",
    { "spec/notify_spec.lua" },
    edit("lua/hako/spec.lua", "ipairs(notify.without(context.environ or {}))", "ipairs(context.environ or {})")),
  mutant("run-integer-range", "integer arguments narrowed without a range check",
    { "spec/core_args_spec.lua" },
    edit("c/core.c", "	if (v < min || v > max)\n", "	if (0)\n")),

  -- hako-enter
  mutant("enter-dumpable", "hako-enter is dumpable",
    { "spec/enter_escape_spec.lua" },
    unplanned(ENTER_PLAN, 'host("set_dumpable", { dumpable = false })'),
    edit("bin/hako-enter", "core.prctl(core.PR_SET_DUMPABLE, 0)", "")),
  mutant("enter-caller-fds", "the caller's fds reach the entered command",
    { "spec/enter_escape_spec.lua" },
    unplanned(ENTER_PLAN, 'command("close_host_fds")')),
  mutant("enter-process-group", "the entered command stays in the caller's process group",
    { "spec/enter_escape_spec.lua" },
    unplanned(ENTER_PLAN, 'sandbox("new_process_group")'),
    edit("lua/hako/supervise_steps.lua", "  core.setpgid(state.child, state.child)", "")),
  mutant("enter-identity", "a stale or mismatched record is followed",
    { "spec/enter_spec.lua" },
    skip(JOIN_STEPS, "function M.check_identity(_, state)")),
  mutant("enter-record-writer", "a record written by another user is followed",
    { "spec/enter_spec.lua", "spec/enter_escape_spec.lua" },
    edit(JOIN_STEPS, "if rec and rec.owner ~= owner then",
      "if false then")),
  mutant("enter-namespace-owner", "root follows a user's record into a namespace the user did not make",
    { "spec/enter_escape_spec.lua", "spec/join_steps_spec.lua" },
    edit(JOIN_STEPS, "  return st ~= nil and same(rec.ns.user, "
      .. "{ dev = st.dev_major .. \":\" .. st.dev_minor, ino = st.ino })\n"
      .. "    and uid == owner\n", "  return uid ~= nil\n")),
  mutant("enter-record-pid", "a record naming another pid than its file's is followed",
    { "spec/enter_escape_spec.lua", "spec/record_spec.lua" },
    edit("lua/hako/record.lua", "  if record.pid ~= pid then", "  if false then")),
  mutant("enter-record-file-owner", "a record file of another owner is read",
    { "spec/record_spec.lua", "spec/enter_escape_spec.lua" },
    edit("lua/hako/record.lua", "return (st.uid == 0 or st.uid == euid) and (st.size or 0) <= M.MAX_SIZE",
      "return true")),
  mutant("enter-root-groups", "root's groups come along into a rootless sandbox",
    { "spec/enter_escape_spec.lua", "spec/join_steps_spec.lua" },
    skip(JOIN_STEPS, "function M.drop_groups(_, state)")),

  -- Records and names
  mutant("record-directory-owner", "a runtime directory of someone else's (a squatted /tmp/hako-UID) is used",
    { "spec/record_spec.lua", "spec/record_fallback_spec.lua" },
    edit("lua/hako/record.lua", '    or st.uid ~= euid and (create or st.uid ~= 0) and "owned by uid " .. st.uid'
      .. " .. M.whose(path, st, euid)\n", "")),
  mutant("name-form", "a name may be a path or a pid",
    { "spec/record_spec.lua", "spec/names_spec.lua" },
    edit("lua/hako/record.lua", "  if #name > M.NAME_MAX or not name:match(", "  if false and not name:match(")),
  mutant("name-unique", "hako-run --name takes a name a running sandbox of the caller's has",
    { "spec/names_spec.lua" },
    edit("lua/hako/sandboxes.lua", "  if other then\n", "  if false then\n")),
  mutant("name-stale", "a name held by a process of another start time (a reused pid) still counts",
    { "spec/names_spec.lua" },
    edit("lua/hako/sandboxes.lua", "if held == name and start_time(core, pid) == tonumber(since) then",
      "if held == name then")),

  -- hako stop
  mutant("stop-parent", "hako stop signals a recorded supervisor that is not the sandbox's parent",
    { "spec/ps_stop_spec.lua" },
    edit(STOP, "      if record.stat_field(stat, 4) ~= rec.supervisor then", "      if false then")),
  mutant("stop-supervisor-start-time", "hako stop signals a recorded supervisor of another start time",
    { "spec/ps_stop_spec.lua" },
    edit(STOP, "record.start_time(sup_stat) ~= rec.supervisor_start_time then", "false then")),
}
