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

local PLAN, ENTER_PLAN = "lua/hako/plan.lua", "lua/hako/enter_plan.lua"
local ENTER_STEPS = "lua/hako/enter_steps.lua"

return {
  -- hako-run
  mutant("run-bounding-set", "capabilities stay in the bounding set",
    { "spec/run_options_spec.lua", "spec/rootless_spec.lua" },
    edit("lua/hako/privilege_steps.lua", "    if not kept[cap] then", "    if false then")),
  mutant("run-capset", "uid 0 keeps its capabilities",
    { "spec/caps_spec.lua", "spec/escape_privileges_spec.lua" },
    edit("lua/hako/privilege_steps.lua", "  check(core.capset(mask, mask, mask))\n", "")),
  mutant("run-no-new-privs", "no no_new_privs (and so no seccomp filter either)",
    { "spec/escape_privileges_spec.lua" },
    edit("lua/hako/privilege_steps.lua", "  check(core.prctl(core.PR_SET_NO_NEW_PRIVS, 1))\n", "")),
  mutant("run-host-fds", "hako's init and the command keep the caller's and the host's fds",
    { "spec/escape_processes_spec.lua", "spec/escape_privileges_spec.lua" },
    unplanned(PLAN, 'sandbox("close_host_fds", { keep = command_fds })')),
  mutant("run-dumpable-init", "hako's init stays dumpable",
    { "spec/escape_processes_spec.lua" },
    edit("lua/hako/security_steps.lua", "PR_SET_DUMPABLE, step.dumpable and 1 or 0)", "PR_SET_DUMPABLE, 1)")),
  mutant("run-rootless-reexec", "a rootless init does not start itself again inside its namespace",
    { "spec/enter_spec.lua", "spec/rootless_spec.lua" },
    edit("lua/hako/resume.lua", "  if state.custom_handlers then return end", "  do return end")),
  mutant("run-resume-module-paths", "the rootless init's re-exec finds modules relative to the sandbox's tree",
    { "spec/escape_processes_spec.lua" },
    edit("lua/hako/resume.lua", "absolute(package.path), absolute(package.cpath)", "package.path, package.cpath")),
  mutant("run-process-group", "the sandbox stays in the caller's process group",
    { "spec/escape_processes_spec.lua" },
    unplanned(PLAN, 'sandbox("new_process_group")'),
    edit("lua/hako/supervise_steps.lua", "  core.setpgid(state.child, state.child)", "")),
  mutant("run-chdir-magic-links", "--chdir follows magic links (hako-run and hako-enter)",
    { "spec/escape_processes_spec.lua" },
    edit("lua/hako/sandbox_steps.lua", "    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS)",
      "    core.RESOLVE_IN_ROOT)")),
  mutant("run-proc-masks", "kernel files in /proc are not masked",
    { "spec/escape_kernel_files_spec.lua" },
    edit(PLAN, "masked = { table.unpack(M.PROC_MASKED) }", "masked = {}")),
  mutant("run-proc-read-only", "/proc/sys and friends stay writable",
    { "spec/escape_kernel_files_spec.lua" },
    edit(PLAN, "read_only = { table.unpack(M.PROC_READ_ONLY) }", "read_only = {}")),
  mutant("run-ro-binds", ":ro binds are writable",
    { "spec/escape_mount_flags_spec.lua", "spec/run_options_spec.lua" },
    edit("lua/hako/mount_steps.lua",
      "  if not step.devices then set = set | core.MOUNT_ATTR_NODEV end\n"
        .. "  if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end",
      "  if not step.devices then set = set | core.MOUNT_ATTR_NODEV end")),
  mutant("run-read-only-root", "-R leaves the root writable",
    { "spec/run_options_spec.lua", "spec/escape_mount_flags_spec.lua" },
    edit("lua/hako/mount_steps.lua",
      "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n"
        .. "  if step.read_only then set = set | core.MOUNT_ATTR_RDONLY end",
      "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV")),
  mutant("run-nosuid-root", "setuid files in the tree work (but for no_new_privs)",
    { "spec/escape_mount_flags_spec.lua" },
    edit("lua/hako/mount_steps.lua", "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n",
      "  local set = core.MOUNT_ATTR_NODEV\n")),
  mutant("run-nodev-root", "device files in the tree work",
    { "spec/escape_mount_flags_spec.lua", "spec/escape_privileges_spec.lua" },
    edit("lua/hako/mount_steps.lua", "  local set = core.MOUNT_ATTR_NOSUID | core.MOUNT_ATTR_NODEV\n",
      "  local set = core.MOUNT_ATTR_NOSUID\n")),
  mutant("run-nodev-binds", "device files in a bind work",
    { "spec/escape_mount_flags_spec.lua", "spec/mounts_spec.lua" },
    edit("lua/hako/mount_steps.lua", "  if not step.devices then set = set | core.MOUNT_ATTR_NODEV end\n", "")),
  mutant("run-keyring", "the command shares the caller's session keyring",
    { "spec/escape_privileges_spec.lua" },
    unplanned(PLAN, 'sandbox("new_session_keyring")')),
  mutant("run-keyring-calls", "keyctl, add_key, request_key allowed",
    { "spec/escape_privileges_spec.lua" },
    edit(PLAN, "deny_syscalls = { table.unpack(M.DENIED_SYSCALLS) }", "deny_syscalls = {}")),
  mutant("run-tiocsti", "TIOCSTI and TIOCLINUX allowed",
    { "spec/escape_terminal_spec.lua" },
    edit(PLAN, "deny_ioctls = { table.unpack(M.DENIED_IOCTLS) }", "deny_ioctls = {}")),
  mutant("run-seccomp-foreign-abi", "a system call through a foreign ABI passes the filter",
    { "spec/seccomp_spec.lua" },
    edit("lua/hako/seccomp.lua", "  emit({ code = M.RET_K, k = M.RET_KILL_PROCESS })",
      "  emit({ code = M.RET_K, k = M.RET_ALLOW })")),
  mutant("run-die-with-parent", "the sandbox outlives a killed hako-run",
    { "spec/lifecycle_spec.lua" },
    edit("lua/hako/sandbox_steps.lua", "  check(core.prctl(core.PR_SET_PDEATHSIG, core.SIGKILL))\n", "")),
  mutant("run-userns-range", "--userns as root maps the sandbox to host uid 0",
    { "spec/idmap_spec.lua", "spec/escape_privileges_spec.lua" },
    edit("lua/hako/idmap.lua", "M.DEFAULT_RANGE_START = 0x70000000", "M.DEFAULT_RANGE_START = 0")),
  mutant("run-mapped-root-groups", "--userns as root keeps root's groups",
    { "spec/escape_privileges_spec.lua" },
    edit("lua/hako/privilege_steps.lua", "  check(core.setgroups({}))\n", ""),
    edit("lua/hako/privilege_steps.lua", "  if step.setgroups then check(core.setgroups(id.groups)) end\n", "")),
  mutant("run-result-pipe", "any stop told on the result pipe is believed",
    { "spec/supervise_steps_spec.lua" },
    edit("lua/hako/supervise_steps.lua", "for _, sig in ipairs(stops) do stopped = stopped or code == sig end",
      "stopped = true")),
  mutant("run-empty-argv", "the launcher runs with an empty argv",
    { "spec/launcher_spec.lua" },
    edit("c/launcher.c", "	if (argc < 1 || !argv[0] || !argv[0][0]) {", "	if (argc < 1) {")),
  mutant("run-integer-range", "integer arguments narrowed without a range check",
    { "spec/core_args_spec.lua" },
    edit("c/core.c", "	if (v < min || v > max)\n", "	if (0)\n")),

  -- hako-enter
  mutant("enter-dumpable", "hako-enter and its child are dumpable",
    { "spec/enter_escape_spec.lua" },
    edit(ENTER_STEPS, "M.set_nondumpable = security_steps.set_nondumpable", "M.set_nondumpable = function() end"),
    edit("bin/hako-enter", "core.prctl(core.PR_SET_DUMPABLE, 0)", "")),
  mutant("enter-caller-fds", "the caller's fds reach the entered command",
    { "spec/enter_escape_spec.lua" },
    skip(ENTER_STEPS, "function M.close_fds(_, state)")),
  mutant("enter-process-group", "the entered command stays in the caller's process group",
    { "spec/enter_escape_spec.lua" },
    unplanned(ENTER_PLAN, 'sandbox("new_process_group")'),
    edit("lua/hako/supervise_steps.lua", "  core.setpgid(state.child, state.child)", "")),
  mutant("enter-keyring", "the entered command shares the caller's session keyring",
    { "spec/enter_escape_spec.lua" },
    unplanned(ENTER_PLAN, 'sandbox("new_session_keyring")')),
  mutant("enter-filter", "no seccomp filter for the entered command",
    { "spec/enter_escape_spec.lua", "spec/escape_terminal_spec.lua" },
    edit(ENTER_PLAN, '    sandbox("filter_syscalls", { deny_ioctls = { table.unpack(run_plan.DENIED_IOCTLS) },\n'
      .. '      deny_syscalls = { table.unpack(run_plan.DENIED_SYSCALLS) } })\n', ""),
    edit(ENTER_PLAN, '    host("filter_syscalls", { deny_ioctls = { table.unpack(run_plan.DENIED_IOCTLS) },\n'
      .. '      deny_syscalls = { table.unpack(run_plan.DENIED_SYSCALLS) } })\n', "")),
  mutant("enter-bounding-set", "the entered command keeps capabilities the sandbox dropped",
    { "spec/enter_spec.lua", "spec/enter_steps_spec.lua" },
    edit(ENTER_STEPS, "      if keep & (1 << cap) == 0 then check(core.prctl(core.PR_CAPBSET_DROP, cap)) end\n", "")),
  mutant("enter-identity", "a stale or mismatched record is followed",
    { "spec/enter_spec.lua" },
    skip(ENTER_STEPS, "function M.check_identity(_, state)")),
  mutant("enter-record-writer", "a record written by another user is followed",
    { "spec/enter_spec.lua", "spec/enter_escape_spec.lua" },
    edit(ENTER_STEPS, "if rec and rec.owner ~= nil and rec.owner ~= owner and rec.owner ~= 0 then",
      "if false then")),
  mutant("enter-namespace-owner", "root follows a user's record into a namespace the user did not make",
    { "spec/enter_escape_spec.lua", "spec/enter_steps_spec.lua" },
    edit(ENTER_STEPS, "  return st ~= nil and same(rec.ns.user, { dev = st.dev_major .. \":\" .. st.dev_minor, ino = st.ino })\n"
      .. "    and uid == owner\n", "  return uid ~= nil\n")),
  mutant("enter-record-pid", "a record naming another pid than its file's is followed",
    { "spec/enter_escape_spec.lua", "spec/record_spec.lua" },
    edit("lua/hako/record.lua", "  if record.pid ~= pid then", "  if false then")),
  mutant("enter-record-fifo", "a FIFO in place of a record is opened for reading",
    { "spec/enter_escape_spec.lua", "spec/record_spec.lua" },
    edit("lua/hako/record.lua", '  if st and st.type == "file" and (st.uid == 0 or st.uid == euid) then',
      "  if true then")),
  mutant("enter-root-groups", "root's groups come along into a rootless sandbox",
    { "spec/enter_escape_spec.lua", "spec/enter_steps_spec.lua" },
    skip(ENTER_STEPS, "function M.drop_groups(_, state)")),
}
